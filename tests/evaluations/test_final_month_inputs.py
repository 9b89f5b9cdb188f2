"""The term's last 30 days: the contract is in its final evaluation but still in force.

Workers still rate the sessions they attend and evaluators still inspect; only a new
rectification order waits no longer (there is no time left to put it right).
"""

from datetime import date
from decimal import Decimal

import time_machine

from contracts import services as contract_services
from contracts.models import Contract
from evaluations import services
from evaluations.models import FinalEvaluation, PeriodScore, RectificationOrder
from tests.final_builders import PROPOSED, after_window, at, opened_evaluation, proposed_evaluation


def _december_session(contract: Contract, provider_user):
    report = contract.reports.get(period_start=date(2026, 12, 1))
    with time_machine.travel(at(date(2026, 12, 5), 18), tick=False):
        contract_services.report_save(
            actor=provider_user,
            report=report,
            narrative="12月服务小结",
            activities=[
                contract_services.ActivityInput(date(2026, 12, 4), "职工技能培训结业课", "training", "职工培训教室", 30)
            ],
        )
    return report.activities.get()


def test_workers_still_rate_and_evaluators_still_inspect_in_the_final_month(roles, wenshang):
    evaluation = opened_evaluation(
        palace=wenshang, provider=roles["provider_a"].provider, provider_user=roles["provider_a"], admin=roles["admin"]
    )
    contract = evaluation.contract
    assert contract.state == Contract.State.FINAL_EVALUATION
    activity = _december_session(contract, roles["provider_a"])

    link = services.rating_link_for(activity)
    assert services.rating_problem(link, now=at(date(2026, 12, 5), 20)) == ""
    services.rating_submit(link=link, stars=5, comment="结业课很好", device_id="phone-1", now=at(date(2026, 12, 5), 20))
    december = PeriodScore.objects.get(contract=contract, month=date(2026, 12, 1))
    assert (december.ratings_count, december.ratings_total) == (1, 100)

    checklist = services.checklist_create(
        actor=roles["admin"],
        palace_id=wenshang.pk,
        category="training",
        name="培训服务现场检查表",
        items=[
            services.ChecklistItemInput("师资到位、按课表授课", Decimal(50)),
            services.ChecklistItemInput("签到记录真实完整", Decimal(50)),
        ],
    )
    with time_machine.travel(at(date(2026, 12, 6)), tick=False):
        inspection = services.inspection_assign(
            actor=roles["admin"],
            contract=contract,
            checklist=checklist,
            inspector=roles["evaluator"],
            due_on=date(2026, 12, 9),
        )
    # A poor inspection is recorded and scores the month, but issues no order this late in the term.
    items = {item.pk: services.ItemScoreInput(Decimal(20), "签到表缺页") for item in checklist.items.all()}
    services.inspection_submit(
        actor=roles["evaluator"],
        inspection=inspection,
        items=items,
        inspected_on=date(2026, 12, 7),
        notes="现场检查",
        now=at(date(2026, 12, 7), 16),
    )
    december.refresh_from_db()
    assert december.inspections_count == 1
    assert december.score is not None and december.score < 60
    assert not RectificationOrder.objects.filter(contract=contract).exists()
    contract.refresh_from_db()
    assert contract.state == Contract.State.FINAL_EVALUATION


def test_a_red_line_after_the_proposal_still_caps_the_rating_at_sign_off(roles, wenshang):
    evaluation = proposed_evaluation(
        palace=wenshang, provider=roles["provider_a"].provider, provider_user=roles["provider_a"], admin=roles["admin"]
    )
    assert evaluation.proposed_rating == "good" and evaluation.red_lines == 0
    with time_machine.travel(at(PROPOSED, 15), tick=False):
        services.red_line_record(
            actor=roles["evaluator"],
            contract=evaluation.contract,
            category="charging",
            occurred_on=PROPOSED,
            description="向参训职工收取资料费每人 50 元",
        )
    services.final_sign_off(actor=roles["admin"], evaluation=evaluation, now=after_window(evaluation))
    evaluation = FinalEvaluation.objects.get(pk=evaluation.pk)
    # 差 needs a second administrator now, whatever the points.
    assert evaluation.state == FinalEvaluation.State.CONFIRMING
    assert (evaluation.red_lines, evaluation.proposed_rating) == (1, "poor")
    assert evaluation.proposed_total > 60
