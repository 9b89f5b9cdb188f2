from decimal import Decimal

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import transaction
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from contracts import statistics
from contracts.models import Activity, Contract, Milestone, ServiceReport
from core.audit import verify_chain
from core.models import AuditEvent, Membership, Palace, Role, User
from procurement.models import Objection, PanelMember, Provider, Recruitment, ServiceProject

DEMO_USERS = (
    ["admin", "ws-admin", "ws-admin2", "ws-auditor", "fs-admin", "fs-auditor", "prov-auditor"]
    + [f"ws-eval{i}" for i in range(1, 7)]
    + [f"fs-eval{i}" for i in range(1, 4)]
    + [f"provider{i}" for i in range(1, 11)]
)


# One worker seeds once for all of them (the seed is the slowest thing the suite builds).
pytestmark = pytest.mark.xdist_group("seed_demo")


@pytest.fixture(scope="module")
def _seeded_once(django_db_setup, django_db_blocker):
    """The demo, seeded once, in a transaction rolled back after the module's last test.

    Each test runs in a savepoint inside it (pytest-django's ``db``): what a test writes (logins,
    a second seeding) is gone for the next, as when every test seeded its own."""
    from django.test import TestCase

    with django_db_blocker.unblock(), transaction.atomic():
        with TestCase.captureOnCommitCallbacks(execute=True):
            call_command("seed_demo", verbosity=0)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def seeded(_seeded_once, db):
    pass


def test_seed_demo_creates_the_documented_palaces_and_logins(seeded):
    assert set(Palace.objects.values_list("name", flat=True)) == {"汶上县工人文化宫", "佛山市工人文化宫"}
    for username in DEMO_USERS:
        # django-axes checks every authentication against its locks, which needs the request.
        request = RequestFactory().post("/accounts/login/")
        assert authenticate(request, username=username, password="hezuo-demo") is not None, username
    auditor = User.objects.get(username="prov-auditor")
    assert Membership.objects.filter(user=auditor, role=Role.AUDITOR).count() == 2
    assert Provider.objects.count() == 10
    assert ServiceProject.objects.count() >= 20
    assert all(p.kpi_targets.exists() for p in ServiceProject.objects.all())


def _counts():
    return (
        User.objects.count(),
        Provider.objects.count(),
        ServiceProject.objects.count(),
        Recruitment.objects.count(),
        PanelMember.objects.count(),
        Objection.objects.count(),
        Contract.objects.count(),
        ServiceReport.objects.exclude(state=ServiceReport.State.PENDING).count(),
        Activity.objects.count(),
        AuditEvent.objects.count(),
    )


def test_seed_demo_is_idempotent_and_the_chain_verifies(seeded, django_capture_on_commit_callbacks):
    counts = _counts()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", verbosity=0)
    assert counts == _counts()
    report = verify_chain()
    assert report.ok and report.checked == counts[-1]


def test_seed_demo_has_a_wenshang_recruitment_at_every_stage(seeded):
    S = Recruitment.State
    wenshang = Recruitment.objects.filter(palace__code="wenshang")
    assert {S.PUBLISHED, S.EVALUATING, S.PUBLICITY, S.AWARDED, S.FAILED} <= set(
        wenshang.values_list("state", flat=True)
    )

    published = wenshang.get(state=S.PUBLISHED)
    assert published.applications.count() == 1
    assert published.deadline > published.opens_at

    evaluating = wenshang.get(state=S.EVALUATING)
    assert evaluating.compiled_at is None
    active = evaluating.panel.exclude(state=PanelMember.State.RECUSED)
    assert active.count() == 5
    assert 0 < active.filter(state=PanelMember.State.SUBMITTED).count() < 5
    assert evaluating.panel.filter(state=PanelMember.State.RECUSED, replaced_by__isnull=False).exists()

    publicity = wenshang.get(state=S.PUBLICITY)
    assert publicity.objections.filter(state=Objection.State.OPEN).count() == 1
    assert publicity.awarded_application.rank == 1

    # 育婴师培训's award; the other awarded recruitment is the final-evaluation demo's exited term.
    awarded = wenshang.get(state=S.AWARDED, project__name="育婴师培训")
    contract = Contract.objects.get(recruitment=awarded)
    assert contract.state == Contract.State.DRAFT
    assert contract.provider_id == awarded.awarded_application.provider_id
    assert awarded.panel.first().scores.exists()

    failed = wenshang.get(state=S.FAILED)
    assert failed.applications.filter(is_valid=True).count() < 2


def test_every_demo_login_reaches_its_home_page(seeded, client):
    for username in DEMO_USERS:
        client.logout()
        response = client.post("/accounts/login/", {"username": username, "password": "hezuo-demo"})
        assert response.status_code == 302, username
        home = client.get("/", follow=True)
        assert home.status_code == 200, username
        assert home.request["PATH_INFO"] == "/app/workbench/"


def test_seed_demo_gives_wenshang_contracts_with_months_of_reports(seeded):
    today = timezone.localdate()
    wenshang = Palace.objects.get(code="wenshang")
    # In force: active, or under rectification after the real-time evaluation's demo orders.
    active = list(
        Contract.objects.filter(palace=wenshang, state__in=[Contract.State.ACTIVE, Contract.State.RECTIFICATION])
    )
    assert len(active) >= 8
    R = ServiceReport.State
    for contract in active:
        closed = contract.reports.filter(period_end__lt=today)
        assert closed.count() >= 6, contract
        assert closed.filter(state__in=[R.SUBMITTED, R.ACCEPTED, R.RETURNED]).count() >= 5, contract
        assert (
            contract.signed_by.username == "ws-admin"
            and contract.accepted_by.provider_link.provider_id == contract.provider_id
        )
    reports = ServiceReport.objects.filter(contract__palace=wenshang)
    accepted = reports.filter(state=R.ACCEPTED)
    assert accepted.count() >= 50
    assert all(Decimal(75) <= r.score <= Decimal(98) for r in accepted)
    assert set(accepted.values_list("reviewed_by__username", flat=True)) <= {
        "ws-admin",
        *[f"ws-eval{i}" for i in range(1, 7)],
    }
    overdue = [r for r in reports.filter(state__in=ServiceReport.OUTSTANDING) if r.is_overdue(today)]
    assert 2 <= len(overdue) <= 3
    assert not reports.filter(state=R.MISSED).exists()
    returned = reports.get(state=R.RETURNED)
    assert returned.review_comment and returned.versions.get().outcome == R.RETURNED
    assert reports.filter(state=R.SUBMITTED).exists()  # some wait for review

    # The award's draft; the other draft is the final-evaluation demo's renewal (续约).
    waiting = Contract.objects.get(palace=wenshang, state=Contract.State.DRAFT, renewal_of__isnull=True)
    assert waiting.signed_at is not None and waiting.accepted_at is None
    released = Milestone.objects.filter(contract__in=active, position=1, released_at__isnull=False).count()
    assert len(active) - 2 <= released < len(active)
    assert Contract.objects.filter(palace__code="foshan", state=Contract.State.ACTIVE).count() in (1, 2)


def test_seed_demo_wenshang_figures_are_those_of_the_article(seeded):
    start, end = statistics.default_period(timezone.localdate())
    stats = statistics.palace_statistics(palace=Palace.objects.get(code="wenshang"), start=start, end=end)
    by = {c.category: c.activities for c in stats.categories}
    assert 100 <= stats.activities <= 250
    assert 50_000 <= stats.participants <= 120_000
    assert 55 <= by["training"] <= 75 and 40 <= by["culture"] <= 56 and 22 <= by["sports"] <= 32
    assert stats.contracts >= 8


def test_the_demo_staff_read_their_palace_statistics(seeded, client):
    for username, expected in [("ws-admin", 200), ("ws-auditor", 200), ("fs-eval1", 200), ("provider1", 403)]:
        client.force_login(User.objects.get(username=username))
        response = client.get(reverse("contracts:statistics"))
        assert response.status_code == expected, username
    client.force_login(User.objects.get(username="fs-auditor"))
    wenshang = Palace.objects.get(code="wenshang")
    assert client.get(reverse("contracts:statistics"), {"palace": wenshang.pk}).status_code == 403
