"""Building blocks of the authorization matrix (tests/test_authorization_matrix.py).

Each area of the app lists its URLs in a module here: ``ROWS`` maps a URL name
to its checks, and ``build(world)`` adds the objects those checks need.
"""

from dataclasses import dataclass, field
from functools import cached_property

from django.urls import reverse

ROLES = [
    "anon",
    "provider_b",
    "other_admin",
    "other_auditor",
    "evaluator",
    "auditor",
    "provider_a",
    "admin",
    "superuser",
]

LOGIN = "login"  # a redirect to the login page


def E(anon, pb, oa, ou, ev, au, pa, ad, su) -> dict:
    """Expected answers in ROLES order: anon, provider B, other palace's admin and auditor,
    evaluator, auditor, provider A, administrator, superuser."""
    return dict(zip(ROLES, [anon, pb, oa, ou, ev, au, pa, ad, su], strict=True))


def ALL(value) -> dict:
    return dict.fromkeys(ROLES, value)


def AUTHED(value) -> dict:
    return {**ALL(value), "anon": LOGIN}


@dataclass
class Check:
    url: callable
    expect: dict
    method: str = "get"
    data: dict = field(default_factory=dict)


def url(name, *args):
    return lambda w: reverse(name, args=[a(w) if callable(a) else a for a in args])


def build_everything(world) -> None:
    """Build every area's objects now (the matrix builds each when a row first asks), for tests that
    want the whole lifecycle at once. An exit (and a 差 rating) bars provider A from recruitments, so
    the recruitment areas come first and the exit last."""
    first = ("recruitment", "application", "draft", "publicised", "staff")
    parts = sorted(vars(world).items(), key=lambda item: (item[0] not in first, item[0] == "exit"))
    for _, part in parts:
        for name, attr in vars(type(part)).items():
            if isinstance(attr, cached_property):
                getattr(part, name)
