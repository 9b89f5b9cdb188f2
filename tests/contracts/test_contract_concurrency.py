"""Concurrent writers on a contract: the row locks the services take must hold on PostgreSQL."""

from datetime import date

import pytest
from django.db import connection

from contracts import services
from contracts.models import Milestone, ReportVersion, ServiceReport
from core.audit import verify_chain
from core.errors import DomainError
from core.models import AuditEvent
from tests.contract_builders import active_contract, draft_contract

from ..threads import run_together

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")


@pytest.fixture
def contract(roles, wenshang):
    return active_contract(
        palace=wenshang,
        provider=roles["provider_a"].provider,
        provider_user=roles["provider_a"],
        admin=roles["admin"],
        starts_on=date(2026, 1, 1),
    )


@pytest.mark.django_db(transaction=True)
def test_a_report_submitted_twice_at_once_is_submitted_once(roles, contract):
    report = contract.reports.get(sequence=1)
    services.report_save(
        actor=roles["provider_a"],
        report=report,
        narrative="一月",
        activities=[services.ActivityInput(date(2026, 1, 10), "培训", "training", "教室", 10)],
    )
    results = run_together(*[lambda: services.report_submit(actor=roles["provider_a"], report=report)] * 3)
    submitted = [r for r in results if isinstance(r, ServiceReport)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert (len(submitted), len(refused)) == (1, 2), results
    assert all(str(e) == str(services.ERR_ALREADY_SUBMITTED) for e in refused)
    report.refresh_from_db()
    assert (report.state, report.version) == (ServiceReport.State.SUBMITTED, 1)
    assert ReportVersion.objects.filter(report=report).count() == 1
    assert AuditEvent.objects.filter(action="report.submitted").count() == 1
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_schedule_generation_called_at_once_creates_each_period_once(roles, wenshang):
    draft = draft_contract(palace=wenshang, provider=roles["provider_a"].provider, term_months=24)
    results = run_together(*[lambda: services.report_schedule_generate(contract=draft)] * 4)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert ServiceReport.objects.filter(contract=draft).count() == 24
    assert sorted(ServiceReport.objects.filter(contract=draft).values_list("sequence", flat=True)) == list(range(1, 25))


@pytest.mark.django_db(transaction=True)
def test_a_milestone_released_twice_at_once_is_released_once(roles, contract):
    first = contract.milestones.get(position=1)
    results = run_together(*[lambda: services.milestone_release(actor=roles["admin"], milestone=first)] * 2)
    assert sum(isinstance(r, Milestone) for r in results) == 1, results
    assert AuditEvent.objects.filter(action="milestone.released").count() == 1
