"""Every URL the project resolves × every role → the expected answer.

The superuser is a technical account: it reads every palace, but palace business
(reviewing, creating, editing) belongs to that palace's administrators.

A URL that is missing here fails ``test_every_url_is_in_the_matrix``. Roles run
from least to most privileged, so that a state-changing POST allowed to one
role happens after everyone else has been refused.
"""

from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from core.models import Notification, Role
from procurement import services as procurement_services
from procurement.models import Provider

from .factories import ProviderFactory, ServiceProjectFactory, UserFactory, pdf_upload

ROLES = ["anon", "provider_b", "other_admin", "other_auditor", "evaluator", "auditor",
         "provider_a", "admin", "superuser"]

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


MATRIX: dict[str, list[Check]] = {
    # public and account pages
    "home": [Check(url("home"), ALL(302))],
    "index": [Check(url("index"), ALL(302))],
    "login": [Check(url("login"), ALL(200))],
    "logout": [Check(url("logout"), ALL(405)), Check(url("logout"), ALL(LOGIN), "post")],
    "password_change": [Check(url("password_change"), AUTHED(200))],
    "password_change_done": [Check(url("password_change_done"), AUTHED(200))],
    "password_reset": [Check(url("password_reset"), ALL(200))],
    "password_reset_done": [Check(url("password_reset_done"), ALL(200))],
    "password_reset_confirm": [Check(url("password_reset_confirm", "MQ", "bad-token"), ALL(200))],
    "password_reset_complete": [Check(url("password_reset_complete"), ALL(200))],
    "set_language": [Check(url("set_language"), ALL(302), "post", {"language": "en", "next": "/"})],
    "javascript-catalog": [Check(url("javascript-catalog"), ALL(200))],
    "healthz": [Check(url("healthz"), ALL(200))],
    "provider_signup": [Check(url("provider_signup"), {**ALL(302), "anon": 200})],
    "provider_signup_done": [Check(url("provider_signup_done"), ALL(200))],
    # documents and files
    "verify_upload": [Check(url("verify_upload"), ALL(200))],
    "verify_document": [
        Check(url("verify_document", lambda w: w.document.sha256), ALL(200)),
        Check(url("verify_document", "0" * 64), ALL(404)),
    ],
    "document_download": [
        Check(url("document_download", lambda w: w.document.pk),
              E(LOGIN, 403, 403, 403, 403, 200, 200, 200, 200)),
    ],
    "file_download": [
        Check(url("file_download", lambda w: w.licence.pk),
              E(LOGIN, 403, 403, 403, 403, 200, 200, 200, 200)),
    ],
    # workbench
    "workbench:index": [Check(url("workbench:index"), AUTHED(200))],
    "workbench:notifications": [Check(url("workbench:notifications"), AUTHED(200))],
    "workbench:notification_read": [
        Check(url("workbench:notification_read", lambda w: w.notification.pk),
              E(LOGIN, 404, 404, 404, 404, 404, 302, 404, 404), "post"),
    ],
    # provider portal
    "portal:index": [Check(url("portal:index"), E(302, 302, 403, 403, 403, 403, 302, 403, 403))],
    "portal:organisation": [Check(url("portal:organisation"), E(LOGIN, 200, 403, 403, 403, 403, 200, 403, 403))],
    "portal:organisation_edit": [
        Check(url("portal:organisation_edit"), E(LOGIN, 200, 403, 403, 403, 403, 200, 403, 403)),
    ],
    "portal:organisation_documents": [
        Check(url("portal:organisation_documents"), E(LOGIN, 405, 403, 403, 403, 403, 405, 403, 403)),
        Check(url("portal:organisation_documents"), E(LOGIN, 302, 403, 403, 403, 403, 302, 403, 403), "post"),
    ],
    "portal:organisation_resubmit": [
        Check(url("portal:organisation_resubmit"), E(LOGIN, 302, 403, 403, 403, 403, 302, 403, 403), "post"),
    ],
    # staff: providers and service projects
    "procurement:index": [Check(url("procurement:index"), E(302, 403, 302, 302, 302, 302, 403, 302, 302))],
    "procurement:provider_list": [
        Check(url("procurement:provider_list"), E(LOGIN, 403, 200, 200, 403, 200, 403, 200, 200)),
    ],
    "procurement:provider_detail": [
        Check(url("procurement:provider_detail", lambda w: w.provider_a.pk),
              E(LOGIN, 403, 403, 403, 403, 200, 403, 200, 200)),
        Check(url("procurement:provider_detail", lambda w: w.pending.pk),
              E(LOGIN, 403, 403, 403, 403, 403, 403, 302, 403), "post", {"decision": "verify"}),
    ],
    "procurement:project_list": [
        Check(url("procurement:project_list"), E(LOGIN, 403, 200, 200, 200, 200, 403, 200, 200)),
    ],
    "procurement:project_create": [
        Check(url("procurement:project_create"), E(LOGIN, 403, 200, 403, 403, 403, 403, 200, 403)),
    ],
    "procurement:project_detail": [
        Check(url("procurement:project_detail", lambda w: w.project.pk),
              E(LOGIN, 403, 403, 403, 200, 200, 403, 200, 200)),
    ],
    "procurement:project_edit": [
        Check(url("procurement:project_edit", lambda w: w.project.pk),
              E(LOGIN, 403, 403, 403, 403, 403, 403, 200, 403)),
    ],
}


def _walk(patterns, ns=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, f"{ns}{p.namespace}:" if p.namespace else ns)
        elif isinstance(p, URLPattern):
            yield f"{ns}{p.name}" if p.name else f"{ns}<unnamed {p.pattern}>"


def test_every_url_is_in_the_matrix():
    resolved = set(_walk(get_resolver().url_patterns))
    missing = sorted(resolved - MATRIX.keys())
    stale = sorted(MATRIX.keys() - resolved)
    assert not missing, f"URLs without a row in the authorization matrix: {missing}"
    assert not stale, f"Matrix rows for URLs that no longer exist: {stale}"


@pytest.fixture
def world(roles, wenshang, django_capture_on_commit_callbacks):
    from procurement.documents import issue_provider_certificate

    users = dict(roles)
    users["superuser"] = UserFactory(username="t-root", is_superuser=True, is_staff=True)
    provider_a = users["provider_a"].provider
    with django_capture_on_commit_callbacks(execute=True):
        doc = procurement_services.provider_add_documents(
            actor=users["provider_a"], provider=provider_a,
            documents=[procurement_services.DocumentUpload("licence", pdf_upload())],
        )[0]
    document = issue_provider_certificate(actor=users["admin"], provider=provider_a)
    project = ServiceProjectFactory(palace=wenshang, created_by=users["admin"])
    pending = ProviderFactory(palace=wenshang, name="待核验机构")
    notification = Notification.objects.create(recipient=users["provider_a"], subject="hello")
    return SimpleNamespace(users=users, provider_a=provider_a, licence=doc.file, document=document,
                           project=project, pending=pending, notification=notification)


def _answer(response) -> int | str:
    if response.status_code == 302 and "/accounts/login/" in response.get("Location", ""):
        return LOGIN
    return response.status_code


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_authorization_matrix(name, world, client_for):
    wrong = []
    for check in MATRIX[name]:
        for role in ROLES:
            client = client_for(world.users.get(role))
            target = check.url(world)
            response = getattr(client, check.method)(target, check.data)
            got = _answer(response)
            if got != check.expect[role]:
                wrong.append(f"{check.method.upper()} {target} as {role}: expected {check.expect[role]}, got {got}")
    assert not wrong, "\n".join(wrong)


def test_reviewing_is_refused_before_anything_changes(world, client_for):
    """The refused POSTs in the matrix left the pending provider untouched until the admin acted."""
    client_for(world.users["auditor"]).post(
        reverse("procurement:provider_detail", args=[world.pending.pk]), {"decision": "verify"})
    world.pending.refresh_from_db()
    assert world.pending.status == Provider.Status.PENDING


def test_other_palace_admin_lists_none_of_this_palace(world, client_for):
    response = client_for(world.users["other_admin"]).get(reverse("procurement:provider_list"))
    assert response.status_code == 200
    assert world.provider_a.name not in response.content.decode()
    response = client_for(world.users["other_admin"]).get(reverse("procurement:project_list"))
    assert world.project.name not in response.content.decode()


def test_provider_sees_only_its_own_organisation(world, client_for):
    body = client_for(world.users["provider_b"]).get(reverse("portal:organisation")).content.decode()
    assert world.provider_a.name not in body
    assert world.users["provider_b"].provider.name in body


def test_membership_roles_are_what_the_matrix_assumes(world):
    assert world.users["auditor"].memberships.get().role == Role.AUDITOR
    assert not world.users["provider_a"].memberships.exists()
