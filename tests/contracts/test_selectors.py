"""The reads behind the staff pages: scoping, the table's annotations, overdue reports, KPI progress."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from contracts import selectors, services
from contracts.models import Contract, ContractKpiTarget, ServiceReport
from procurement.models import KpiMetric, ServiceCategory
from tests.contract_builders import active_contract, draft_contract
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
# The contracts below run 2026-01-01 – 2026-12-31; on this day periods 1 and 2 are overdue.
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=SH)
TODAY = NOW.date()


@pytest.fixture
def on_day():
    with time_machine.travel(NOW, tick=False):
        yield TODAY


def contract_of(roles, palace, **kwargs) -> Contract:
    return active_contract(
        palace=palace,
        provider=roles["provider_a"].provider,
        provider_user=roles["provider_a"],
        admin=roles["admin"],
        **kwargs,
    )


def report_of(contract: Contract, sequence: int) -> ServiceReport:
    return contract.reports.get(sequence=sequence)


def deliver(
    report: ServiceReport,
    provider_user,
    reviewer=None,
    *,
    activities,
    accept: bool | None = True,
    score: Decimal = Decimal(85),
    narrative: str = "本月按计划开展培训。",
) -> ServiceReport:
    """The provider writes and submits the report; the reviewer accepts it (or returns it; ``None``: neither).

    ``activities`` are (category, participants) pairs, or full ActivityInput rows.
    """
    rows = [
        a
        if isinstance(a, services.ActivityInput)
        else services.ActivityInput(
            report.period_start + timedelta(days=i % 28), f"活动{i + 1}", a[0], "二楼教室", a[1]
        )
        for i, a in enumerate(activities)
    ]
    services.report_save(actor=provider_user, report=report, narrative=narrative, activities=rows)
    report = services.report_submit(actor=provider_user, report=report)
    if accept is None:
        return report
    return services.report_review(
        actor=reviewer,
        report=report,
        accept=accept,
        score=score if accept else None,
        comment="" if accept else "请补充签到表",
    )


# --- scoping ------------------------------------------------------------------------------------


def test_contracts_are_scoped_to_the_palaces_of_the_staff(roles, wenshang, foshan):
    ours = draft_contract(palace=wenshang, provider=roles["provider_a"].provider)
    theirs = draft_contract(palace=foshan, provider=roles["provider_b"].provider)
    root = UserFactory(is_superuser=True)

    def numbers(user):
        return set(selectors.contracts_for(user).values_list("number", flat=True))

    assert numbers(roles["admin"]) == numbers(roles["auditor"]) == numbers(roles["evaluator"]) == {ours.number}
    assert numbers(roles["other_admin"]) == {theirs.number}
    assert numbers(root) == {ours.number, theirs.number}
    # A provider reads its own contracts on its own pages, never through the staff's table.
    assert numbers(roles["provider_a"]) == set()


def test_contract_rows_count_accepted_and_overdue_reports_and_average_the_scores(roles, wenshang, on_day):
    contract = contract_of(roles, wenshang)
    deliver(
        report_of(contract, 1), roles["provider_a"], roles["admin"], activities=[("training", 20)], score=Decimal(80)
    )
    deliver(
        report_of(contract, 2),
        roles["provider_a"],
        roles["evaluator"],
        activities=[("training", 25)],
        score=Decimal(91),
    )
    # Period 3 is due 2026-04-08: outstanding but not overdue. A draft contract counts nothing overdue.
    draft_contract(palace=wenshang, provider=roles["provider_a"].provider)
    row = selectors.contracts_for(roles["admin"]).get(pk=contract.pk)
    assert (row.reports_accepted, row.reports_overdue) == (2, 0)
    assert row.average_score == Decimal("85.5")

    later = selectors.contracts_for(roles["admin"], today=date(2026, 5, 15)).get(pk=contract.pk)
    assert later.reports_overdue == 2  # periods 3 and 4, due 2026-04-08 and 2026-05-11


def test_overdue_reports_are_the_outstanding_ones_past_due_in_contracts_in_force(roles, wenshang, foshan, on_day):
    contract = contract_of(roles, wenshang)
    deliver(report_of(contract, 1), roles["provider_a"], accept=None, activities=[("training", 20)])
    draft_contract(palace=wenshang, provider=roles["provider_a"].provider)
    elsewhere = active_contract(
        palace=foshan,
        provider=roles["provider_b"].provider,
        provider_user=roles["provider_b"],
        admin=roles["other_admin"],
    )

    mine = list(selectors.overdue_reports_for(roles["auditor"], TODAY))
    # Period 1 was submitted, late but no longer outstanding; period 2, due 2026-03-06, was not started.
    assert [(r.contract_id, r.sequence) for r in mine] == [(contract.pk, 2)]
    assert [r.contract_id for r in selectors.overdue_reports_for(roles["other_admin"], TODAY)] == [elsewhere.pk] * 2
    assert not selectors.overdue_reports_for(roles["provider_a"], TODAY).exists()
    # The day a report falls due it is not overdue yet; the day after, it is.
    assert not selectors.overdue_reports_for(roles["admin"], date(2026, 3, 6)).filter(sequence=2).exists()
    assert selectors.overdue_reports_for(roles["admin"], date(2026, 3, 7)).filter(sequence=2).exists()


# --- KPI progress -------------------------------------------------------------------------------


def targets(contract: Contract, *rows) -> None:
    contract.kpi_targets.all().delete()
    ContractKpiTarget.objects.bulk_create(
        [
            ContractKpiTarget(
                contract=contract, metric=metric, category=category, label=label, target=Decimal(target), unit=unit
            )
            for metric, category, label, target, unit in rows
        ]
    )


def test_kpi_progress_counts_only_accepted_reports_against_the_pro_rata_target(
    roles, wenshang, on_day, django_assert_num_queries
):
    contract = contract_of(roles, wenshang)
    targets(
        contract,
        (KpiMetric.SESSIONS, "", "", 24, "场"),
        (KpiMetric.PARTICIPANT_VISITS, "", "", 600, "人次"),
        (KpiMetric.SESSIONS, ServiceCategory.CULTURE, "文化活动", 10, "场"),
        (KpiMetric.SATISFACTION, "", "", 85, "%"),
        (KpiMetric.OTHER, "", "职工需求调研", 2, "次"),
    )
    provider = roles["provider_a"]
    deliver(
        report_of(contract, 1),
        provider,
        roles["admin"],
        activities=[("training", 30), ("training", 25), ("culture", 40)],
    )
    deliver(report_of(contract, 2), provider, roles["admin"], activities=[("culture", 12), ("sports", 18)])
    # Submitted, not yet accepted: not delivered.
    deliver(report_of(contract, 3), provider, accept=None, activities=[("culture", 100), ("training", 50)])

    contract = selectors.contract_for_detail(contract.pk)
    with django_assert_num_queries(1):
        progress = selectors.kpi_progress(contract, TODAY)

    fraction = Decimal(68) / Decimal(365)  # 2026-01-01 to 2026-03-10: 68 whole days of 365
    assert progress.elapsed == fraction
    sessions, visits, culture, satisfaction, other = progress
    assert (sessions.delivered, sessions.full_target, sessions.due_to_date) == (5, 24, Decimal("4.47"))
    assert sessions.on_track
    assert (visits.delivered, visits.due_to_date) == (125, Decimal("111.78"))
    assert (culture.delivered, culture.due_to_date) == (2, Decimal("1.86"))
    assert (satisfaction.measured, satisfaction.delivered, satisfaction.due_to_date) == (False, None, None)
    assert satisfaction.note and other.note and satisfaction.note != other.note
    assert other.delivered is None
    assert [(c.category, c.sessions, c.participants) for c in progress.by_category] == [
        ("training", 2, 55),
        ("culture", 2, 52),
        ("sports", 1, 18),
    ]
    assert progress.not_accepted_activities == 2


def test_kpi_target_due_is_nothing_before_the_start_and_everything_after_the_end(roles, wenshang, on_day):
    contract = contract_of(roles, wenshang)
    targets(contract, (KpiMetric.SESSIONS, "", "", 24, "场"))
    before = selectors.kpi_progress(contract, date(2025, 12, 1))
    first_day = selectors.kpi_progress(contract, date(2026, 1, 1))
    last_day = selectors.kpi_progress(contract, date(2026, 12, 31))
    after = selectors.kpi_progress(contract, date(2027, 1, 1))
    long_after = selectors.kpi_progress(contract, date(2028, 6, 1))
    assert before[0].due_to_date == first_day[0].due_to_date == 0
    assert last_day[0].due_to_date == Decimal("23.93")
    assert after[0].due_to_date == long_after[0].due_to_date == 24
    assert after.elapsed == 1 and before.elapsed == 0
    assert not after[0].on_track and before[0].on_track


def test_kpi_progress_of_a_contract_without_activities_is_zero_delivered(roles, wenshang, on_day):
    contract = draft_contract(palace=wenshang, provider=roles["provider_a"].provider)
    progress = selectors.kpi_progress(contract, TODAY)
    assert [(row.target.metric, row.delivered) for row in progress] == [
        (KpiMetric.SESSIONS, 0),
        (KpiMetric.PARTICIPANT_VISITS, 0),
    ]
    assert progress.by_category == []
