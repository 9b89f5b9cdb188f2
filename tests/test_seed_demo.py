import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from core.audit import verify_chain
from core.models import AuditEvent, Membership, Palace, Role, User
from procurement.models import Provider, ServiceProject

DEMO_USERS = (
    ["admin", "ws-admin", "ws-auditor", "fs-admin", "fs-auditor", "prov-auditor"]
    + [f"ws-eval{i}" for i in range(1, 6)]
    + [f"fs-eval{i}" for i in range(1, 4)]
    + [f"provider{i}" for i in range(1, 11)]
)


@pytest.fixture
def seeded(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", verbosity=0)


def test_seed_demo_creates_the_documented_palaces_and_logins(seeded):
    assert set(Palace.objects.values_list("name", flat=True)) == {"汶上县工人文化宫", "佛山市工人文化宫"}
    for username in DEMO_USERS:
        assert authenticate(username=username, password="hezuo-demo") is not None, username
    auditor = User.objects.get(username="prov-auditor")
    assert Membership.objects.filter(user=auditor, role=Role.AUDITOR).count() == 2
    assert Provider.objects.count() == 10
    assert ServiceProject.objects.count() >= 20
    assert all(p.kpi_targets.exists() for p in ServiceProject.objects.all())


def test_seed_demo_is_idempotent_and_the_chain_verifies(seeded, django_capture_on_commit_callbacks):
    counts = (User.objects.count(), Provider.objects.count(), ServiceProject.objects.count(),
              AuditEvent.objects.count())
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", verbosity=0)
    assert counts == (User.objects.count(), Provider.objects.count(), ServiceProject.objects.count(),
                      AuditEvent.objects.count())
    report = verify_chain()
    assert report.ok and report.checked == counts[3]


def test_every_demo_login_reaches_its_home_page(seeded, client):
    for username in DEMO_USERS:
        client.logout()
        response = client.post("/accounts/login/", {"username": username, "password": "hezuo-demo"})
        assert response.status_code == 302, username
        home = client.get("/", follow=True)
        assert home.status_code == 200, username
        assert home.request["PATH_INFO"] == "/app/workbench/"
