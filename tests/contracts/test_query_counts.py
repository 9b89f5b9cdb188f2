"""The staff pages cost the same number of queries for a few rows as for many."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from contracts.models import (
    Activity,
    Contract,
    ContractKpiTarget,
    Milestone,
    ReportVersion,
    ServiceReport,
)
from procurement.models import KpiMetric
from tests.factories import ServiceProjectFactory

from .test_selectors import NOW, contract_of, deliver, report_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_day():
    """Today is 2026-03-10: the contracts run 2026-01-01 – 2026-12-31, periods 1 and 2 are overdue."""
    with time_machine.travel(NOW, tick=False):
        yield NOW.date()


# Measured (SQLite and PostgreSQL alike): the contracts table 11, its export 8; the overdue table 10, its
# export 8; the contract page 11; the report page 10. Those include the session, the user, its
# memberships and provider link, and the shell's unread-notification count (read twice). The bounds
# leave room for a read or two more in the shell, never one per row.
TABLE_QUERIES = 13
# 13 of its own; 8 for what evaluations adds: the sections (score, inspections, orders, final evaluation)
# and the final payment's condition, which reads the final rating; 1 for the administrator's change history.
DETAIL_QUERIES = 22
REPORT_QUERIES = 12
CATEGORIES = ["training", "culture", "sports"]


def bulk_contracts(n: int, *, first: int = 0, palace, provider, project) -> list[Contract]:
    """``n`` contracts in force, each with an accepted, an overdue and a future report and their activities.

    Written in bulk: the pages only read them, and building 200 through the services would take minutes.
    """
    start = date(2026, 1, 1)
    contracts = Contract.objects.bulk_create(
        [
            Contract(
                number=f"BULK-{i:04d}",
                palace=palace,
                provider=provider,
                project=project,
                amount=Decimal(100000 + i),
                term_months=12,
                starts_on=start,
                ends_on=date(2026, 12, 31),
                state=Contract.State.ACTIVE,
                signed_at=timezone.now(),
                accepted_at=timezone.now(),
            )
            for i in range(first, first + n)
        ]
    )
    ContractKpiTarget.objects.bulk_create(
        [ContractKpiTarget(contract=c, metric=KpiMetric.SESSIONS, target=24, unit="场") for c in contracts]
    )
    Milestone.objects.bulk_create(
        [
            Milestone(contract=c, position=1, condition=Milestone.Condition.ON_SIGNING, percent=100, amount=c.amount)
            for c in contracts
        ]
    )
    reports = ServiceReport.objects.bulk_create(
        [
            ServiceReport(
                contract=c,
                sequence=seq,
                period_start=date(2026, seq, 1),
                period_end=date(2026, seq, 28),
                due_on=date(2026, seq + 1, 6),
                missed_after=date(2026, seq + 1, 28),
                state=state,
                score=Decimal(80 + seq) if state == ServiceReport.State.ACCEPTED else None,
            )
            for c in contracts
            for seq, state in (
                (1, ServiceReport.State.ACCEPTED),
                (2, ServiceReport.State.PENDING),
                (3, ServiceReport.State.PENDING),
            )
        ]
    )
    Activity.objects.bulk_create(
        [
            Activity(
                report=r,
                contract_id=r.contract_id,
                palace=palace,
                date=r.period_start + timedelta(days=k),
                title=f"活动{k}",
                category=CATEGORIES[k % 3],
                place="礼堂",
                participants=20 + k,
            )
            for r in reports
            if r.state == ServiceReport.State.ACCEPTED
            for k in range(4)
        ]
    )
    return contracts


def test_contract_table_queries_do_not_grow_with_the_contracts(
    roles, wenshang, client_for, on_day, django_assert_max_num_queries
):
    project = ServiceProjectFactory(palace=wenshang)
    client = client_for(roles["admin"])
    url = reverse("contracts:contract_list")
    client.get(url)  # the session's first-visit writes
    counts, made = {}, 0
    for n in (10, 200):
        bulk_contracts(n - made, first=made, palace=wenshang, provider=roles["provider_a"].provider, project=project)
        made = n
        with django_assert_max_num_queries(TABLE_QUERIES) as page:
            response = client.get(url, {"per_page": 100})
        assert response.content.decode().count(">BULK-") == min(n, 100)
        with django_assert_max_num_queries(TABLE_QUERIES) as export:
            # The export streams: its rows are read (and its queries run) as the body is consumed.
            body = client.get(url, {"_export": "csv"}).getvalue().decode("utf-8-sig")
        assert body.count("BULK-") == n
        counts[n] = (len(page), len(export))
    assert counts[10] == counts[200]


def test_overdue_table_queries_do_not_grow_with_the_reports(
    roles, wenshang, client_for, on_day, django_assert_max_num_queries
):
    project = ServiceProjectFactory(palace=wenshang)
    client = client_for(roles["auditor"])
    url = reverse("contracts:overdue_reports")
    client.get(url)
    counts, made = {}, 0
    for n in (10, 200):
        bulk_contracts(n - made, first=made, palace=wenshang, provider=roles["provider_a"].provider, project=project)
        made = n
        with django_assert_max_num_queries(TABLE_QUERIES) as page:
            assert client.get(url, {"per_page": 100}).status_code == 200
        with django_assert_max_num_queries(TABLE_QUERIES) as export:
            body = client.get(url, {"_export": "csv"}).getvalue().decode("utf-8-sig")
        assert body.count("BULK-") == n  # period 2 of each, due 2026-03-06
        counts[n] = (len(page), len(export))
    assert counts[10] == counts[200]


@pytest.mark.parametrize(("accepted", "activities"), [(1, 1), (3, 40)])
def test_contract_page_queries_do_not_grow_with_reports_and_activities(
    roles, wenshang, client_for, on_day, accepted, activities, django_assert_max_num_queries
):
    contract = contract_of(roles, wenshang)
    for seq in range(1, accepted + 1):
        deliver(
            report_of(contract, seq),
            roles["provider_a"],
            roles["admin"],
            activities=[(CATEGORIES[k % 3], 10 + k) for k in range(activities)],
        )
    for role in ("admin", "provider_a"):
        client = client_for(roles[role])
        client.get(reverse("contracts:contract_detail", args=[contract.pk]))
        with django_assert_max_num_queries(DETAIL_QUERIES):
            response = client.get(reverse("contracts:contract_detail", args=[contract.pk]))
        assert response.status_code == 200


@pytest.mark.parametrize(("versions", "activities"), [(1, 1), (4, 60)])
def test_report_page_queries_do_not_grow_with_versions_and_activities(
    roles, wenshang, client_for, on_day, versions, activities, django_assert_max_num_queries
):
    contract = contract_of(roles, wenshang)
    report = report_of(contract, 1)
    for v in range(versions):
        last = v == versions - 1
        report = deliver(
            report,
            roles["provider_a"],
            roles["admin"],
            accept=True if last else False,
            activities=[(CATEGORIES[k % 3], 10 + k) for k in range(activities)],
        )
    assert ReportVersion.objects.filter(report=report).count() == versions
    client = client_for(roles["evaluator"])
    client.get(reverse("contracts:report_detail", args=[report.pk]))
    with django_assert_max_num_queries(REPORT_QUERIES):
        assert client.get(reverse("contracts:report_detail", args=[report.pk])).status_code == 200
