import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.urls import reverse

from core import audit
from core.middleware import _client_ip
from core.models import AuditEvent, AuditHead, Role
from procurement import services
from procurement.models import KpiMetric, Provider, ServiceCategory

from ..factories import PalaceFactory, ProviderFactory, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(wenshang):
    """Five events written by real services, so the chain holds what production writes."""
    admin = staff(wenshang, Role.ADMIN, "chain-admin")
    services.service_project_create(
        actor=admin,
        palace=wenshang,
        name="经典诵读",
        category=ServiceCategory.CULTURE,
        description="每周一次",
        budget=Decimal("86000.50"),
        term_months=12,
        kpi_targets=[services.KpiTargetInput(KpiMetric.SESSIONS, Decimal("24"), "场")],
    )
    services.provider_verify(actor=admin, provider=ProviderFactory(palace=wenshang, name="汶上县心理学会"))
    services.provider_reject(
        actor=admin,
        provider=ProviderFactory(palace=wenshang, name="筑安技术培训中心"),
        reason="营业执照已过期",
    )
    services.provider_verify(actor=admin, provider=ProviderFactory(palace=wenshang, name="惠工影院"))
    services.service_project_create(
        actor=admin,
        palace=wenshang,
        name="电商培训",
        category=ServiceCategory.TRAINING,
        description="",
        budget=Decimal("120000"),
        term_months=6,
        kpi_targets=[services.KpiTargetInput(KpiMetric.PARTICIPANT_VISITS, Decimal("600"), "人次")],
    )
    assert AuditEvent.objects.count() == 5
    return admin


def verify_audit() -> str:
    """Run the command; return its failure message (CommandError exits 1 from the shell)."""
    with pytest.raises(CommandError) as excinfo:
        call_command("verify_audit")
    assert excinfo.value.returncode == 1
    return str(excinfo.value)


def sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


# --- an intact chain ----------------------------------------------------------------------


def test_intact_chain_from_real_services_passes_and_reports_the_count(chain, capsys):
    call_command("verify_audit")
    assert "Checked 5 events; the chain is intact." in capsys.readouterr().out
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions == [
        "service_project.created",
        "provider.verified",
        "provider.rejected",
        "provider.verified",
        "service_project.created",
    ]


def test_empty_chain_is_intact(capsys):
    call_command("verify_audit")
    assert "Checked 0 events; the chain is intact." in capsys.readouterr().out


def test_chain_survives_the_database_round_trip_of_awkward_values(wenshang):
    # jsonb reorders keys and re-renders numbers; the hash must still verify after reading back.
    values = {
        "z": 1,
        "a": [3, 2, 1],
        "中文": "汶上县工人文化宫",
        "nested": {"b": None, "a": True},
        "money": Decimal("86000.50"),
        "ratio": 0.1,
        "big": 1e16,
        "tiny": 1e-7,
        "neg_zero": -0.0,
        "score": 85.0,
        "long_key_" + "x" * 20: "y",
    }
    with transaction.atomic():
        audit.record(
            actor=None,
            action="test.values",
            obj=wenshang,
            palace=wenshang,
            before={"b": 2, "a": 1},
            after=values,
        )
    assert audit.verify_chain().ok


@pytest.mark.parametrize(
    "raw, stored",
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("::ffff:203.0.113.9", "::ffff:203.0.113.9"),
        ("fe80::1%eth0", "fe80::1"),
        ("not-an-address", None),
    ],
)
def test_client_ip_is_stored_as_the_database_keeps_it(wenshang, raw, stored):
    token = _client_ip.set(raw)
    try:
        with transaction.atomic():
            audit.record(actor=None, action="test.ip", obj=wenshang)
    finally:
        _client_ip.reset(token)
    assert AuditEvent.objects.get().ip == stored
    assert audit.verify_chain().ok


# --- tampering, done the way an intruder would: straight in the database ------------------


def test_altered_after_json_names_event_2(chain):
    sql(
        "UPDATE core_auditevent SET after = %s WHERE seq = 2",
        [json.dumps({"status": "rejected", "status_reason": ""})],
    )
    message = verify_audit()
    assert "broken at event #2" in message
    assert "#2 was altered" in message
    assert "provider.verified" in message and "汶上县心理学会" in message


def test_altered_actor_label_names_event_2(chain):
    sql("UPDATE core_auditevent SET actor_label = %s WHERE seq = 2", ["someone-else"])
    message = verify_audit()
    assert "broken at event #2" in message and "#2 was altered" in message


def test_rehashed_event_is_caught_by_the_next_link(chain):
    # An intruder who recomputes event 2's own hash still breaks event 3's prev_hash.
    event = AuditEvent.objects.get(seq=2)
    event.actor_label = "someone-else"
    new_hash = audit._digest(event)
    sql(
        "UPDATE core_auditevent SET actor_label = %s, hash = %s WHERE seq = 2",
        ["someone-else", new_hash],
    )
    message = verify_audit()
    assert "broken at event #3" in message and "does not follow event #2" in message


def test_deleted_event_2_is_named_as_missing(chain):
    sql("DELETE FROM core_auditevent WHERE seq = 2")
    message = verify_audit()
    assert "broken at event #2" in message
    assert "event #2 is missing (next stored event is #3)" in message
    assert "next stored event: #3 · provider.rejected" in message


def test_swapped_events_fail_at_2(chain):
    # seq is unique, so swap through a temporary value.
    sql("UPDATE core_auditevent SET seq = 999999 WHERE seq = 2")
    sql("UPDATE core_auditevent SET seq = 2 WHERE seq = 3")
    sql("UPDATE core_auditevent SET seq = 3 WHERE seq = 999999")
    message = verify_audit()
    assert "broken at event #2" in message
    assert "event #2 does not follow event #1" in message


def test_deleted_last_event_is_reported_as_a_removed_tail(chain):
    sql("DELETE FROM core_auditevent WHERE seq = 5")
    message = verify_audit()
    assert "broken at event #5" in message
    assert "events after #4 were removed (the chain tip is #5)" in message
    assert "last good event:   #4" in message


# --- append-only and atomic ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_record_outside_a_transaction_is_refused():
    palace = PalaceFactory()
    with pytest.raises(RuntimeError, match="inside transaction.atomic"):
        audit.record(actor=None, action="test.outside", obj=palace)
    assert not AuditEvent.objects.exists()


def test_saved_event_cannot_be_saved_again_or_deleted(chain):
    event = AuditEvent.objects.get(seq=2)
    event.actor_label = "someone-else"
    with pytest.raises(RuntimeError, match="append-only"):
        event.save()
    with pytest.raises(RuntimeError, match="append-only"):
        event.delete()
    assert AuditEvent.objects.get(seq=2).actor_label == "chain-admin"
    assert audit.verify_chain().ok


def test_service_failing_after_its_audit_record_leaves_no_event(wenshang, monkeypatch):
    admin = staff(wenshang, Role.ADMIN, "atomic-admin")
    provider = ProviderFactory(palace=wenshang)

    def mail_server_down(*args, **kwargs):
        raise ConnectionError("mail server down")

    # notify() runs after audit.record() inside provider_verify's transaction.
    monkeypatch.setattr(services.providers, "notify", mail_server_down)
    with pytest.raises(ConnectionError):
        services.provider_verify(actor=admin, provider=provider)
    assert not AuditEvent.objects.exists()
    assert AuditHead.objects.filter(seq__gt=0).count() == 0
    provider.refresh_from_db()
    assert provider.status == Provider.Status.PENDING
    assert audit.verify_chain().ok


def test_event_recorded_during_a_request_stores_the_client_address(roles, wenshang, client_for):
    pending = ProviderFactory(palace=wenshang, name="待审机构")
    client = client_for(roles["admin"])
    response = client.post(
        reverse("procurement:provider_detail", args=[pending.pk]),
        {"decision": "verify", "reason": ""},
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="provider.verified")
    assert event.ip == "203.0.113.9"
    assert event.actor == roles["admin"] and event.actor_label == "t-ws-admin"
    assert event.palace_id == wenshang.pk
    assert event.before == {"status": "pending", "status_reason": ""}
    assert event.after == {"status": "verified", "status_reason": ""}
    assert audit.verify_chain().ok


def test_bulk_update_and_delete_of_audit_events_are_refused(db):
    with pytest.raises(RuntimeError):
        AuditEvent.objects.all().update(action="x")
    with pytest.raises(RuntimeError):
        AuditEvent.objects.all().delete()
