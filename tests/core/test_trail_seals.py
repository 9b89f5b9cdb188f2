"""The trail keeps the seals (DOMAIN.md §6): whoever reads the audit trail sees no more than the sealed
pages show. Before the deadline an application's events name neither the applicant nor its content;
before compilation no evaluator's points. The events stay complete and the chain verifies throughout."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from core.audit_display import SEALED, SEALED_OBJECT, SEALED_VALUES
from core.desk_audit import history_url
from core.models import AuditEvent, Role
from procurement.models import Application, PanelMember
from tests.factories import UserFactory, staff
from tests.recruitment_builders import RecruitmentBuilder, Stage

pytestmark = pytest.mark.django_db

AUDIT = reverse("desk:table", args=["audit"])


def zh(text) -> str:
    with translation.override("zh-hans"):
        return str(text)


@pytest.fixture
def built():
    """A recruitment with three applications (and a fourth withdrawn) that is still open."""
    b = RecruitmentBuilder(applicants=3, invalid=1, evaluators=3, opens_at=timezone.now() - timedelta(days=30))
    b.advance_to(Stage.APPLIED)
    return b


def readers(b) -> dict[str, Client]:
    """The palace administrator, the auditor and a superuser, each logged in."""
    clients = {}
    for name, user in (
        ("admin", b.admin),
        ("auditor", staff(b.palace, Role.AUDITOR)),
        ("superuser", UserFactory(is_superuser=True, is_staff=True)),
    ):
        client = Client()
        client.force_login(user)
        clients[name] = client
    return clients


def text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def exported(client, export_format: str, **query) -> str:
    response = client.get(AUDIT, {"_export": export_format, **query})
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    if export_format == "csv":
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    else:
        rows = load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)
    return "\n".join(" | ".join("" if v is None else str(v) for v in row) for row in rows)


def applicant_names(b) -> list[str]:
    return [p.name for p in b.providers]


def applicant_logins(b) -> list[str]:
    return [u.username for u in b.provider_users]


def application_events():
    return AuditEvent.objects.filter(object_type="procurement.Application").order_by("seq")


def everything_a_reader_sees(client, b) -> dict[str, str]:
    """The event pages, the table, its exports and each application's history, as one reader gets them."""
    seen = {"table": text(client.get(AUDIT, {"object_type": "procurement.Application"}))}
    seen["all"] = text(client.get(AUDIT))
    seen["csv"] = exported(client, "csv")
    seen["xlsx"] = exported(client, "xlsx", object_type="procurement.Application")
    for e in application_events():
        seen[f"event {e.seq}"] = text(client.get(reverse("desk:audit_event", args=[e.seq])))
    for a in Application.objects.all():
        seen[f"history {a.pk}"] = text(client.get(history_url("procurement.Application", str(a.pk))))
    return seen


def test_application_events_name_no_applicant_before_the_deadline(built):
    b = built
    events = list(application_events())
    assert {e.action for e in events} == {"application.submitted", "application.withdrawn"}
    assert all(e.after and e.actor_id for e in events)  # the trail itself is complete
    for who, client in readers(b).items():
        seen = everything_a_reader_sees(client, b)
        for where, page in seen.items():
            for secret in applicant_names(b) + applicant_logins(b):
                assert secret not in page, (who, where, secret)
            assert "submitted_at" not in page, (who, where)  # no before/after values
        # That an application event happened is still shown, and when.
        for e in events:
            link = reverse("desk:audit_event", args=[e.seq])
            assert link in seen["table"] and link in seen["all"], who
            assert link in seen[f"history {e.object_id}"], who
            page = seen[f"event {e.seq}"]
            assert e.action in page and zh(SEALED_VALUES) in page and zh(SEALED) in page, who
            assert timezone.localtime(e.created_at).strftime("%Y-%m-%d %H:%M:%S") in page
        for export in ("csv", "xlsx"):
            assert seen[export].count(zh(SEALED_OBJECT)) >= len(events), (who, export)


def test_a_search_or_an_actor_filter_never_finds_a_sealed_applicant(built):
    b = built
    client = readers(b)["auditor"]
    name, login = b.providers[0].name, b.provider_users[0].username
    first = application_events().filter(actor=b.provider_users[0]).first()
    for query in ({"q": name}, {"q": login}, {"actor": login}, {"actor": b.provider_users[0].full_name}):
        page = text(client.get(AUDIT, query))
        assert reverse("desk:audit_event", args=[first.seq]) not in page, query


def test_the_names_and_values_appear_the_moment_the_recruitment_closes(built):
    b = built
    b.advance_to(Stage.CLOSED)
    submitted = application_events().filter(action="application.submitted").first()
    for who, client in readers(b).items():
        seen = everything_a_reader_sees(client, b)
        for name in applicant_names(b):
            assert name in seen["table"], (who, name)
            assert name in seen["csv"], (who, name)
            assert name in seen["xlsx"], (who, name)
        page = seen[f"event {submitted.seq}"]
        assert str(submitted.object_repr) in page
        assert "submitted_at" in page
        assert zh(SEALED_VALUES) not in page
        history = seen[f"history {submitted.object_id}"]
        assert submitted.object_repr in history
        found = text(client.get(AUDIT, {"q": b.providers[0].name}))
        assert reverse("desk:audit_event", args=[application_events().first().seq]) in found


def scores_events():
    return AuditEvent.objects.filter(action="scores.submitted").order_by("seq")


def test_evaluator_points_stay_sealed_until_the_scores_are_compiled(built):
    b = built
    b.advance_to(Stage.SCORED)
    events = list(scores_events())
    assert events, "the builder's panel submitted sheets"
    assert all(e.after["scores"] for e in events)  # the trail is complete
    for who, client in readers(b).items():
        for e in events:
            page = text(client.get(reverse("desk:audit_event", args=[e.seq])))
            assert "points" not in page, who
            assert zh(SEALED_VALUES) in page, who
        exports = exported(client, "csv") + exported(client, "xlsx")
        assert "points" not in exports
    b.advance_to(Stage.COMPILED)
    for who, client in readers(b).items():
        page = text(client.get(reverse("desk:audit_event", args=[events[0].seq])))
        assert "points" in page, who
        assert zh(SEALED_VALUES) not in page


def test_the_home_panel_and_an_object_history_keep_the_seal(built):
    b = built
    auditor = staff(b.palace, Role.AUDITOR)
    client = Client()
    client.force_login(auditor)
    home = text(client.get(reverse("workbench:index")))
    for name in applicant_names(b):
        assert name not in home
    # The change-history panel of any page reads through the same seal.
    application = Application.objects.first()
    request = RequestFactory().get("/")
    request.user = auditor
    panel = Template("{% load hezuo_audit %}{% object_history obj %}").render(
        Context({"request": request, "obj": application})
    )
    assert 'data-testid="object-history"' in panel
    assert application.provider.name not in panel
    assert zh(SEALED) in panel


def test_the_chain_verifies_whatever_is_sealed(built, capsys):
    b = built
    call_command("verify_audit")
    b.advance_to(Stage.SCORED)
    call_command("verify_audit")
    b.advance_to(Stage.COMPILED)
    call_command("verify_audit")
    assert capsys.readouterr().out.count("the chain is intact") == 3
    assert PanelMember.objects.exists()


def test_a_broken_chain_is_named_without_naming_a_sealed_applicant(built):
    b = built
    event = application_events().first()
    # Someone alters a sealed event in the database: the check names it, and still not its applicant.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET after = %s WHERE seq = %s", [json.dumps({"state": "x"}), event.seq])
    client = Client()
    client.force_login(staff(b.palace, Role.AUDITOR))
    page = text(client.post(reverse("desk:verify_chain")))
    assert reverse("desk:audit_event", args=[event.seq]) in page
    assert zh(SEALED_OBJECT) in page
    for secret in applicant_names(b) + applicant_logins(b):
        assert secret not in page
