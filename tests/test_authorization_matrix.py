"""Every URL the project resolves × every role → the expected answer.

The rows live in tests/authz/<area>.py, one module per area. A URL that is
missing from every module fails ``test_every_url_is_in_the_matrix``. Roles run
from least to most privileged, so that a state-changing POST allowed to one
role happens after everyone else has been refused.

The superuser is a technical account: it reads every palace, but palace business
(reviewing, creating, editing) belongs to that palace's administrators.
"""

import importlib
import pkgutil
from functools import cached_property
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.db.models import Model
from django.urls import URLPattern, URLResolver, get_resolver, reverse

import tests.authz
from core.models import Notification, Role
from procurement import services as procurement_services
from procurement.models import Provider

from .authz import LOGIN, ROLES, Check
from .conftest import make_roles
from .factories import (
    PalaceFactory,
    ProviderFactory,
    ServiceProjectFactory,
    UserFactory,
    pdf_upload,
)

AREAS = [importlib.import_module(f"tests.authz.{m.name}") for m in pkgutil.iter_modules(tests.authz.__path__)]
MATRIX: dict[str, list[Check]] = {}
for area in AREAS:
    overlap = MATRIX.keys() & area.ROWS.keys()
    assert not overlap, f"{area.__name__} repeats rows: {overlap}"
    MATRIX.update(area.ROWS)


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


@pytest.fixture(scope="module")
def _matrix_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world, built once per module (per xdist worker), in a transaction rolled back after the module.

    Each test runs in a savepoint inside that transaction (pytest-django's ``db``), so what one test
    writes is gone for the next, as when every test built its own world. ``world`` restores the
    Python side: the objects are re-read from the database before each test, and what a test built
    lazily (the areas' cached properties, rolled back with its savepoint) is forgotten after it.
    The world's files live in a media root of the module's (the per-test one would not have them).
    """
    from django.test import TestCase
    from django.test.utils import override_settings

    media = tmp_path_factory.mktemp("matrix-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), transaction.atomic():
        wenshang, foshan = PalaceFactory(wenshang=True), PalaceFactory(foshan=True)
        world = _build_world(make_roles(wenshang, foshan), wenshang, TestCase.captureOnCommitCallbacks)
        yield world, media
        transaction.set_rollback(True)


@pytest.fixture
def world(_matrix_world, db, settings):
    world, media = _matrix_world
    settings.MEDIA_ROOT = media
    saved = (
        dict(vars(world)),
        dict(world.users),
        {id(v): (v, dict(vars(v))) for v in vars(world).values() if _is_part(v)},
    )
    for obj in [*world.users.values(), *vars(world).values()]:
        if isinstance(obj, Model):
            obj.refresh_from_db()
    yield world
    namespace, users, parts = saved
    for part, attributes in parts.values():
        vars(part).clear()
        vars(part).update(attributes)
    world.users.clear()
    world.users.update(users)
    vars(world).clear()
    vars(world).update(namespace)


def _is_part(value) -> bool:
    """An area's lazily built objects (a class with cached properties)."""
    return any(isinstance(attr, cached_property) for attr in vars(type(value)).values())


def _build_world(roles, wenshang, capture_on_commit_callbacks):
    from procurement.documents import issue_provider_certificate

    users = dict(roles)
    users["superuser"] = UserFactory(username="t-root", is_superuser=True, is_staff=True)
    provider_a = users["provider_a"].provider
    with capture_on_commit_callbacks(execute=True):
        doc = procurement_services.provider_add_documents(
            actor=users["provider_a"],
            provider=provider_a,
            documents=[procurement_services.DocumentUpload("licence", pdf_upload())],
        )[0]
    document = issue_provider_certificate(actor=users["admin"], provider=provider_a)
    project = ServiceProjectFactory(palace=wenshang, created_by=users["admin"])
    pending = ProviderFactory(palace=wenshang, name="待核验机构")
    notification = Notification.objects.create(recipient=users["provider_a"], subject="hello")
    world = SimpleNamespace(
        users=users,
        provider_a=provider_a,
        licence=doc.file,
        document=document,
        project=project,
        pending=pending,
        notification=notification,
        wenshang=wenshang,
    )
    for area in AREAS:
        area.build(world)
    return world


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
        reverse("procurement:provider_detail", args=[world.pending.pk]), {"decision": "verify"}
    )
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
