"""The final evaluation through its services (DOMAIN.md §5): opening, proposal, appeal, sign-off, outcomes.

Each refusal the issue lists (an appeal after the window, a second appeal, a 差 signed off
without the second confirmation, the renewal of a 合格) is refused with its message, and
nothing is half-written: no row, no audit event.
"""

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from contracts import services as contract_services
from contracts.models import Contract, Milestone
from contracts.services import milestone_problem
from core.errors import DomainError, NotPermitted
from core.models import AuditEvent, Notification, Role, StoredFile
from evaluations import services
from evaluations.final.selectors import final_breakdown, final_evaluations_for, shows_points
from evaluations.final.services import appeal as final_appeal
from evaluations.final.services import evaluation as final
from evaluations.final.services import renewal as final_renewal
from evaluations.final.services.settings import ERR_EXCLUSION_YEARS, final_weights_update
from evaluations.models import Appeal, Evidence, FinalEvaluation, Finding, RectificationOrder
from evaluations.realtime.services.settings import ERR_WEIGHTS_SUM
from procurement.models import Recruitment
from tests.factories import evidence_for, png_upload, provider_user, staff
from tests.final_builders import (
    EXCELLENT_TERM,
    GOOD_TERM,
    OPENED,
    PASS_TERM,
    POOR_TERM,
    PROPOSED,
    after_window,
    at,
    final_evaluation,
    opened_evaluation,
    panel_assigned,
    proposed_evaluation,
    term_contract,
)

pytestmark = pytest.mark.django_db

DEADLINE = date(2026, 12, 15)  # 5 working days after Tuesday 8 December 2026


@pytest.fixture(autouse=True)
def _in_english():
    """Notices are written in the active language: read them in the msgids' (the palace's default is Chinese)."""
    with translation.override("en"):
        yield


@pytest.fixture
def parties(roles, wenshang):
    return {
        "palace": wenshang,
        "provider": roles["provider_a"].provider,
        "provider_user": roles["provider_a"],
        "admin": roles["admin"],
    }


@pytest.fixture
def reports(monkeypatch):
    """The assessment reports asked for, in order (the PDF itself is the documents' tests' business)."""
    issued = []
    monkeypatch.setattr(
        "evaluations.final.services.evaluation.issue_assessment_report",
        lambda *, evaluation, actor: issued.append((evaluation.pk, actor)),
    )
    return issued


def events(action: str, obj) -> int:
    return AuditEvent.objects.filter(action=action, object_id=str(obj.pk)).count()


def subjects(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("subject", flat=True))


def message(exc) -> str:
    return str(exc.value.message)


# --- opening ---------------------------------------------------------------------------------------


def test_the_scheduler_opens_the_evaluation_30_days_before_the_end(roles, parties):
    contract = term_contract(term=None, **parties)
    assert contract.ends_on == date(2026, 12, 31)
    assert services.final_evaluations_open_due(at(OPENED - timedelta(days=1), 23)) == 0
    assert not FinalEvaluation.objects.exists()

    assert services.final_evaluations_open_due(at(OPENED, 0)) == 1
    evaluation = FinalEvaluation.objects.get(contract=contract)
    contract.refresh_from_db()
    assert contract.state == Contract.State.FINAL_EVALUATION
    assert evaluation.state == FinalEvaluation.State.PANEL
    assert (
        evaluation.weight_period_scores,
        evaluation.weight_kpi,
        evaluation.weight_satisfaction,
        evaluation.weight_panel,
    ) == (50, 20, 15, 15)
    assert events("final_evaluation.opened", evaluation) == 1
    assert any(contract.number in s for s in subjects(roles["admin"]))
    assert any(contract.number in s for s in subjects(roles["provider_a"]))
    assert not any(contract.number in s for s in subjects(roles["provider_b"]))

    # The next tick finds nothing to open; opening by hand is refused with its reason.
    assert services.final_evaluations_open_due(at(OPENED, 1)) == 0
    with pytest.raises(DomainError) as exc:
        services.final_evaluation_open(contract=contract, now=at(OPENED, 2))
    assert message(exc) == str(final.ERR_ALREADY_OPEN)


def test_opening_before_the_30_days_is_refused(parties):
    contract = term_contract(term=None, **parties)
    with pytest.raises(DomainError) as exc:
        services.final_evaluation_open(contract=contract, now=at(OPENED - timedelta(days=1)), actor=parties["admin"])
    assert message(exc) == str(final.ERR_TOO_EARLY % {"date": "2026-12-01"})
    assert not FinalEvaluation.objects.exists()


def test_the_palace_weights_are_copied_when_it_opens_and_a_later_change_does_not_rewrite_it(roles, parties):
    final_weights_update(
        actor=roles["admin"],
        palace=parties["palace"],
        period_scores=40,
        kpi=30,
        satisfaction=15,
        panel=15,
        exclusion_years=2,
    )
    evaluation = opened_evaluation(term=None, **parties)
    final_weights_update(
        actor=roles["admin"],
        palace=parties["palace"],
        period_scores=50,
        kpi=20,
        satisfaction=15,
        panel=15,
        exclusion_years=1,
    )
    evaluation.refresh_from_db()
    assert (evaluation.weight_period_scores, evaluation.weight_kpi) == (40, 30)


def test_an_order_closing_during_final_evaluation_leaves_the_contract_in_final_evaluation(roles, parties):
    contract = term_contract(term=GOOD_TERM, **parties)
    # A red line in November: an order, the contract under rectification, when the evaluation opens.
    with time_machine.travel(at(date(2026, 11, 25)), tick=False):
        line = services.red_line_record(
            actor=roles["evaluator"],
            contract=contract,
            category="charging",
            occurred_on=date(2026, 11, 24),
            description="向学员收取资料费",
            now=at(date(2026, 11, 25)),
        )
    order = RectificationOrder.objects.get(red_line=line)
    contract.refresh_from_db()
    assert contract.state == Contract.State.RECTIFICATION
    evaluation = opened_evaluation(contract=contract, **parties)
    contract.refresh_from_db()
    assert contract.state == Contract.State.FINAL_EVALUATION

    services.order_respond(
        actor=roles["provider_a"],
        order=order,
        responses={f.pk: "已退还并公示" for f in order.findings.all()},
        evidence=evidence_for(order),
        now=at(date(2026, 12, 2)),
    )
    services.order_reinspect(
        actor=roles["evaluator"],
        order=order,
        outcomes={f.pk: (Finding.Outcome.RESOLVED, "") for f in order.findings.all()},
        now=at(date(2026, 12, 3)),
    )
    order.refresh_from_db()
    contract.refresh_from_db()
    assert order.state == RectificationOrder.State.PASSED
    assert contract.state == Contract.State.FINAL_EVALUATION
    assert events("contract.rectification_closed", contract) == 0
    # The evaluation goes on, and counts the red line.
    evaluation = proposed_evaluation(evaluation=evaluation, **parties)
    assert evaluation.red_lines == 1 and evaluation.proposed_rating == "poor"


def test_an_order_failing_during_final_evaluation_counts_and_leaves_it_in_final_evaluation(roles, parties):
    contract = term_contract(term=GOOD_TERM, **parties)
    with time_machine.travel(at(date(2026, 11, 25)), tick=False):
        services.red_line_record(
            actor=roles["evaluator"],
            contract=contract,
            category="absent",
            occurred_on=date(2026, 11, 24),
            description="停课未通知",
            now=at(date(2026, 11, 25)),
        )
    evaluation = opened_evaluation(contract=contract, **parties)
    # The deadline (10 working days) passes unanswered while the evaluation is open.
    assert services.orders_fail_overdue(at(date(2026, 12, 14))) == 1
    contract.refresh_from_db()
    assert contract.state == Contract.State.FINAL_EVALUATION
    evaluation = proposed_evaluation(evaluation=evaluation, **parties)
    assert evaluation.failed_orders == 1 and evaluation.deduction == Decimal("5.00")


def test_a_report_scored_low_during_final_evaluation_issues_no_order_and_changes_no_state(roles, parties):
    contract = term_contract(term=GOOD_TERM, **parties)
    opened_evaluation(contract=contract, **parties)
    # December's report, scored 10: the month falls below 60, but real-time evaluation has handed over.
    report = contract.reports.get(sequence=12)
    contract_services.report_save(
        actor=roles["provider_a"],
        report=report,
        narrative="十二月",
        activities=[contract_services.ActivityInput(date(2026, 12, 3), "职工培训", "training", "教室", 10)],
    )
    contract_services.report_submit(actor=roles["provider_a"], report=report, now=at(date(2026, 12, 4)))
    contract_services.report_review(
        actor=roles["admin"], report=report, accept=True, score=Decimal("10"), now=at(date(2026, 12, 4), 15)
    )
    contract.refresh_from_db()
    assert contract.state == Contract.State.FINAL_EVALUATION
    assert not RectificationOrder.objects.filter(contract=contract).exists()
    assert contract.period_scores.get(month=date(2026, 12, 1)).score < 60


# --- the proposal ----------------------------------------------------------------------------------


def test_the_proposal_works_out_each_component_from_the_term(roles, parties):
    evaluation = proposed_evaluation(term=GOOD_TERM, panel_points=Decimal("90"), **parties)
    assert evaluation.state == FinalEvaluation.State.PROPOSED
    # 11 months each scored 90.00 (report 85 × 20 and KPI on track 100 × 10, too few ratings to count)
    assert evaluation.period_scores_value == Decimal("90.00")
    # 22 of 24 sessions and 550 of 600 participant-visits delivered: (91.67 + 91.67) / 2
    assert evaluation.kpi_value == Decimal("91.67")
    # ★5, ★4, ★4 for every session: (100 + 75 + 75) / 3
    assert evaluation.satisfaction_value == Decimal("83.33")
    assert evaluation.panel_value == Decimal("90.00")
    # Each component's points unrounded (DOMAIN.md §5); only the total, 89.3335, is rounded to the cent.
    assert (
        evaluation.period_scores_points,
        evaluation.kpi_points,
        evaluation.satisfaction_points,
        evaluation.panel_points,
    ) == (Decimal("45.00"), Decimal("18.334"), Decimal("12.4995"), Decimal("13.50"))
    assert evaluation.proposed_total == Decimal("89.33") and evaluation.proposed_rating == "good"
    assert evaluation.deduction == 0 and evaluation.failed_orders == 0 and evaluation.red_lines == 0
    assert evaluation.appeal_deadline == DEADLINE
    assert evaluation.rating == "" and evaluation.total is None  # nothing is final yet

    note = Notification.objects.get(recipient=roles["provider_a"], subject__contains="89.33")
    assert note.url.endswith(f"/final/{evaluation.pk}/")
    assert "2026-12-15" in note.subject
    assert "45.00" in note.body and "13.50" in note.body
    assert events("final_evaluation.proposed", evaluation) == 1


def test_an_excellent_term_is_proposed_excellent(parties):
    evaluation = proposed_evaluation(term=EXCELLENT_TERM, panel_points=Decimal("90"), **parties)
    assert evaluation.proposed_total == Decimal("91.00") and evaluation.proposed_rating == "excellent"


def test_failed_orders_take_off_points_and_a_red_line_caps_the_rating(roles, parties):
    contract = term_contract(term=EXCELLENT_TERM, **parties)
    with time_machine.travel(at(date(2026, 3, 10)), tick=False):
        services.red_line_record(
            actor=roles["evaluator"],
            contract=contract,
            category="charging",
            occurred_on=date(2026, 3, 9),
            description="收取资料费",
            now=at(date(2026, 3, 10)),
        )
    assert services.orders_fail_overdue(at(date(2026, 3, 31))) == 1
    evaluation = proposed_evaluation(contract=contract, panel_points=Decimal("100"), **parties)
    assert evaluation.failed_orders == 1 and evaluation.red_lines == 1
    assert evaluation.deduction == Decimal("5.00")
    points = (
        evaluation.period_scores_points
        + evaluation.kpi_points
        + evaluation.satisfaction_points
        + evaluation.panel_points
    )
    assert evaluation.proposed_total == (points - 5).quantize(Decimal("0.01"), ROUND_HALF_UP)  # rounded once
    assert evaluation.proposed_total >= 60  # the points alone would pass…
    assert evaluation.proposed_rating == "poor"  # …but a red line caps it at 差
    breakdown = final_breakdown(evaluation)
    assert breakdown.capped and breakdown.rating == "poor"


# --- the appeal ------------------------------------------------------------------------------------


def test_the_provider_appeals_on_the_last_day_with_grounds_and_evidence(roles, parties):
    evaluation = proposed_evaluation(**parties)
    appeal = services.appeal_lodge(
        actor=roles["provider_a"],
        evaluation=evaluation,
        grounds="满意度统计有误",
        evidence=[png_upload("签到表.png")],
        now=at(DEADLINE, 23),
    )
    evaluation.refresh_from_db()
    assert evaluation.state == FinalEvaluation.State.APPEALED
    assert appeal.lodged_by == roles["provider_a"]
    assert Evidence.objects.get(appeal=appeal).file.original_name == "签到表.png"
    assert events("final_evaluation.appealed", evaluation) == 1
    assert any("appealed" in s for s in subjects(roles["admin"]))


def test_an_appeal_after_the_window_is_refused_and_nothing_is_written(roles, parties):
    evaluation = proposed_evaluation(**parties)
    files, before = StoredFile.objects.count(), AuditEvent.objects.count()
    with pytest.raises(DomainError) as exc:
        services.appeal_lodge(
            actor=roles["provider_a"],
            evaluation=evaluation,
            grounds="迟到的申诉",
            evidence=[png_upload()],
            now=at(DEADLINE + timedelta(days=1), 0),
        )
    assert message(exc) == str(final_appeal.ERR_APPEAL_CLOSED % {"date": "2026-12-15"})
    assert not Appeal.objects.exists()
    assert StoredFile.objects.count() == files and AuditEvent.objects.count() == before
    evaluation.refresh_from_db()
    assert evaluation.state == FinalEvaluation.State.PROPOSED

    # Once the scheduler has closed the window, the answer is the same.
    assert services.appeal_windows_close(after_window(evaluation)) == 1
    with pytest.raises(DomainError) as exc:
        services.appeal_lodge(
            actor=roles["provider_a"], evaluation=evaluation, grounds="迟到的申诉", now=after_window(evaluation)
        )
    assert message(exc) == str(final_appeal.ERR_APPEAL_CLOSED % {"date": "2026-12-15"})


def test_a_second_appeal_is_refused_and_nothing_is_written(roles, parties):
    evaluation = proposed_evaluation(**parties)
    services.appeal_lodge(
        actor=roles["provider_a"], evaluation=evaluation, grounds="第一次申诉", now=at(PROPOSED + timedelta(days=1))
    )
    colleague = provider_user(parties["provider"], "t-prov-a-2")
    before = AuditEvent.objects.count()
    with pytest.raises(DomainError) as exc:
        services.appeal_lodge(
            actor=colleague,
            evaluation=evaluation,
            grounds="第二次申诉",
            evidence=[png_upload()],
            now=at(PROPOSED + timedelta(days=2)),
        )
    assert message(exc) == str(final_appeal.ERR_APPEAL_ONCE % {"date": "2026-12-09"})
    assert Appeal.objects.count() == 1 and not Evidence.objects.exists()
    assert AuditEvent.objects.count() == before


def test_only_the_provider_appeals_with_grounds_and_acceptable_files(roles, parties):
    evaluation = proposed_evaluation(**parties)
    when = at(PROPOSED + timedelta(days=1))
    for outsider in (roles["provider_b"], roles["admin"], roles["evaluator"]):
        with pytest.raises(NotPermitted):
            services.appeal_lodge(actor=outsider, evaluation=evaluation, grounds="x", now=when)
    with pytest.raises(DomainError) as exc:
        services.appeal_lodge(actor=roles["provider_a"], evaluation=evaluation, grounds="  ", now=when)
    assert message(exc) == str(final_appeal.ERR_GROUNDS) and exc.value.field == "grounds"
    fake = SimpleUploadedFile("证明.pdf", b"not really a pdf", content_type="application/pdf")
    with pytest.raises(DomainError) as exc:
        services.appeal_lodge(
            actor=roles["provider_a"], evaluation=evaluation, grounds="有据", evidence=[fake], now=when
        )
    assert "证明.pdf" in message(exc)
    assert not Appeal.objects.exists() and not StoredFile.objects.filter(purpose="evaluation_evidence").exists()


def test_an_adjusted_appeal_is_audited_before_and_after_and_signed_off_as_adjusted(roles, parties, reports):
    evaluation = proposed_evaluation(**parties)  # 89.33 良好
    appeal = services.appeal_lodge(
        actor=roles["provider_a"],
        evaluation=evaluation,
        grounds="十一月满意度漏计",
        now=at(PROPOSED + timedelta(days=1)),
    )
    when = at(PROPOSED + timedelta(days=3))
    with pytest.raises(NotPermitted):
        services.appeal_decide(
            actor=roles["evaluator"],
            appeal=appeal,
            decision="adjusted",
            reason="r",
            adjusted_total=Decimal("92"),
            now=when,
        )
    for kwargs, error in [
        ({"decision": "adjusted", "reason": " "}, final_appeal.ERR_REASON),
        ({"decision": "maybe", "reason": "r"}, final_appeal.ERR_DECISION),
        ({"decision": "adjusted", "reason": "r"}, final_appeal.ERR_ADJUSTED_TOTAL),
        ({"decision": "adjusted", "reason": "r", "adjusted_total": "100.01"}, final_appeal.ERR_ADJUSTED_TOTAL),
        ({"decision": "adjusted", "reason": "r", "adjusted_total": "91.234"}, final_appeal.ERR_ADJUSTED_TOTAL),
        ({"decision": "adjusted", "reason": "r", "adjusted_total": "abc"}, final_appeal.ERR_ADJUSTED_TOTAL),
        ({"decision": "adjusted", "reason": "r", "adjusted_total": "89.33"}, final_appeal.ERR_ADJUSTED_SAME),
    ]:
        with pytest.raises(DomainError) as exc:
            services.appeal_decide(actor=roles["admin"], appeal=appeal, now=when, **kwargs)
        assert message(exc) == str(error)
    assert events("final_evaluation.appeal_decided", evaluation) == 0

    services.appeal_decide(
        actor=roles["admin"],
        appeal=appeal,
        decision="adjusted",
        reason="核实后补计满意度",
        adjusted_total="92.00",
        now=when,
    )
    event = AuditEvent.objects.get(action="final_evaluation.appeal_decided", object_id=str(evaluation.pk))
    assert event.before == {"total": "89.33", "rating": "good"}
    assert event.after["total"] == "92.00" and event.after["rating"] == "excellent"
    assert event.after["reason"] == "核实后补计满意度"
    assert any("92.00" in s for s in subjects(roles["provider_a"]))
    breakdown = final_breakdown(FinalEvaluation.objects.get(pk=evaluation.pk))
    assert breakdown.adjusted and breakdown.total == Decimal("92.00") and breakdown.rating == "excellent"
    assert breakdown.proposed_total == Decimal("89.33")

    with pytest.raises(DomainError) as exc:
        services.appeal_decide(actor=roles["admin"], appeal=appeal, decision="upheld", reason="again", now=when)
    assert message(exc) == str(final_appeal.ERR_APPEAL_DECIDED)

    evaluation = services.final_sign_off(actor=roles["admin"], evaluation=evaluation, now=when + timedelta(hours=1))
    assert evaluation.state == FinalEvaluation.State.FINAL
    assert (evaluation.total, evaluation.rating) == (Decimal("92.00"), "excellent")


def test_an_upheld_appeal_keeps_the_proposal(roles, parties, reports):
    evaluation = proposed_evaluation(term=PASS_TERM, panel_points=Decimal("70"), **parties)
    appeal = services.appeal_lodge(
        actor=roles["provider_a"], evaluation=evaluation, grounds="不服", now=at(PROPOSED + timedelta(days=1))
    )
    services.appeal_decide(
        actor=roles["admin"],
        appeal=appeal,
        decision="upheld",
        reason="评分有据",
        adjusted_total="95",
        now=at(PROPOSED + timedelta(days=2)),
    )
    appeal.refresh_from_db()
    assert appeal.adjusted_total is None and appeal.decided_by == roles["admin"]
    assert any("upheld" in s for s in subjects(roles["provider_a"]))
    evaluation = services.final_sign_off(
        actor=roles["admin"], evaluation=evaluation, now=at(PROPOSED + timedelta(days=2), 15)
    )
    assert (evaluation.total, evaluation.rating, evaluation.outcome) == (Decimal("79.25"), "pass", "retender")


def test_an_adjusted_total_is_still_capped_by_a_red_line(roles, parties, reports):
    contract = term_contract(term=GOOD_TERM, **parties)
    with time_machine.travel(at(date(2026, 3, 10)), tick=False):
        services.red_line_record(
            actor=roles["evaluator"],
            contract=contract,
            category="safety",
            occurred_on=date(2026, 3, 9),
            description="消防通道堵塞",
            now=at(date(2026, 3, 10)),
        )
    evaluation = proposed_evaluation(contract=contract, **parties)
    appeal = services.appeal_lodge(
        actor=roles["provider_a"], evaluation=evaluation, grounds="已整改", now=at(PROPOSED + timedelta(days=1))
    )
    services.appeal_decide(
        actor=roles["admin"],
        appeal=appeal,
        decision="adjusted",
        reason="酌情调整",
        adjusted_total="95",
        now=at(PROPOSED + timedelta(days=2)),
    )
    evaluation = services.final_sign_off(
        actor=roles["admin"], evaluation=evaluation, now=at(PROPOSED + timedelta(days=2), 15)
    )
    assert evaluation.state == FinalEvaluation.State.CONFIRMING  # a 差 still, so a second confirmation


def test_the_window_closes_on_its_own_and_the_administrators_are_asked_to_sign_off(roles, parties):
    evaluation = proposed_evaluation(**parties)
    assert services.appeal_windows_close(at(DEADLINE, 23)) == 0
    assert services.appeal_windows_close(at(DEADLINE + timedelta(days=1), 0)) == 1
    evaluation.refresh_from_db()
    assert evaluation.state == FinalEvaluation.State.SIGN_OFF
    assert any("sign it off" in s for s in subjects(roles["admin"]))
    assert services.appeal_windows_close(at(DEADLINE + timedelta(days=2))) == 0


# --- sign-off ----------------------------------------------------------------------------------------


def test_a_good_rating_is_final_at_sign_off_with_its_report_and_the_last_payment_unlocked(
    roles, parties, reports, django_capture_on_commit_callbacks, django_assert_num_queries
):
    evaluation = proposed_evaluation(**parties)
    last = Milestone.objects.get(contract=evaluation.contract, condition=Milestone.Condition.FINAL_RATING)
    assert milestone_problem(last) == "The final evaluation has not rated this contract yet."
    with pytest.raises(DomainError) as exc:
        services.final_sign_off(actor=roles["admin"], evaluation=evaluation, now=at(DEADLINE, 18))
    assert message(exc) == str(final.ERR_WINDOW_OPEN % {"date": "2026-12-15"})

    for outsider in (roles["evaluator"], roles["auditor"], roles["other_admin"], roles["provider_a"]):
        with pytest.raises(NotPermitted):
            services.final_sign_off(actor=outsider, evaluation=evaluation, now=after_window(evaluation))
    # The window has passed: signed off without waiting for the scheduler.
    with django_capture_on_commit_callbacks(execute=True):
        evaluation = services.final_sign_off(actor=roles["admin"], evaluation=evaluation, now=after_window(evaluation))
    assert evaluation.state == FinalEvaluation.State.FINAL
    assert (evaluation.total, evaluation.rating, evaluation.outcome) == (Decimal("89.33"), "good", "")
    assert evaluation.signed_off_by == roles["admin"] and evaluation.finalised_at == after_window(evaluation)
    assert reports == [(evaluation.pk, roles["admin"])]
    assert events("final_evaluation.finalised", evaluation) == 1
    assert any("89.33" in s for s in subjects(roles["provider_a"]))
    last.refresh_from_db()
    assert milestone_problem(last) == ""
    loaded = Contract.objects.select_related("final_evaluation").get(pk=evaluation.contract_id)
    with django_assert_num_queries(0):
        assert final.final_rating_of(loaded) == "good"

    with pytest.raises(DomainError) as exc:
        services.final_sign_off(actor=roles["admin"], evaluation=evaluation, now=after_window(evaluation))
    assert message(exc) == str(final.ERR_ALREADY_FINAL)


def test_a_pending_appeal_blocks_the_sign_off(roles, parties):
    evaluation = proposed_evaluation(**parties)
    services.appeal_lodge(
        actor=roles["provider_a"], evaluation=evaluation, grounds="不服", now=at(PROPOSED + timedelta(days=1))
    )
    with pytest.raises(DomainError) as exc:
        services.final_sign_off(actor=roles["admin"], evaluation=evaluation, now=after_window(evaluation))
    assert message(exc) == str(final.ERR_APPEAL_PENDING)


def test_a_poor_rating_signed_off_without_the_second_confirmation_is_not_final(roles, parties, reports):
    evaluation = proposed_evaluation(term=POOR_TERM, panel_points=Decimal("20"), **parties)
    assert (evaluation.proposed_total, evaluation.proposed_rating) == (Decimal("43.45"), "poor")
    second = staff(parties["palace"], Role.ADMIN, "t-ws-admin-2")
    when = after_window(evaluation)
    evaluation = services.final_sign_off(actor=roles["admin"], evaluation=evaluation, now=when)
    assert evaluation.state == FinalEvaluation.State.CONFIRMING
    evaluation.refresh_from_db()
    assert evaluation.rating == "" and evaluation.total is None and evaluation.finalised_at is None
    assert reports == []
    assert final.final_rating_of(evaluation.contract) is None
    assert (
        final.final_rating_of(Contract.objects.select_related("final_evaluation").get(pk=evaluation.contract_id))
        is None
    )
    assert Contract.objects.get(pk=evaluation.contract_id).state == Contract.State.FINAL_EVALUATION
    assert any("Confirm the final rating" in s for s in subjects(second))
    assert not any("Confirm the final rating" in s for s in subjects(roles["admin"]))

    # The signer cannot confirm it, nor sign it off again; nothing is written.
    before = AuditEvent.objects.count()
    with pytest.raises(DomainError) as exc:
        services.final_confirm(actor=roles["admin"], evaluation=evaluation, now=when)
    assert message(exc) == str(final.ERR_SAME_ADMIN)
    with pytest.raises(DomainError) as exc:
        services.final_sign_off(actor=second, evaluation=evaluation, now=when)
    assert "awaits a second administrator" in message(exc)
    with pytest.raises(NotPermitted):
        services.final_confirm(actor=roles["other_admin"], evaluation=evaluation, now=when)
    assert AuditEvent.objects.count() == before
    evaluation.refresh_from_db()
    assert evaluation.state == FinalEvaluation.State.CONFIRMING and evaluation.confirmed_by is None


def test_a_second_administrator_confirms_a_poor_rating_and_the_provider_exits(
    roles, parties, reports, django_capture_on_commit_callbacks
):
    evaluation = proposed_evaluation(term=POOR_TERM, panel_points=Decimal("20"), **parties)
    second = staff(parties["palace"], Role.ADMIN, "t-ws-admin-2")
    when = after_window(evaluation)
    services.final_sign_off(actor=roles["admin"], evaluation=evaluation, now=when)
    with django_capture_on_commit_callbacks(execute=True):
        evaluation = services.final_confirm(actor=second, evaluation=evaluation, now=when + timedelta(hours=2))
    assert evaluation.state == FinalEvaluation.State.FINAL
    assert (evaluation.total, evaluation.rating, evaluation.outcome) == (Decimal("43.45"), "poor", "exited")
    assert (evaluation.signed_off_by, evaluation.confirmed_by) == (roles["admin"], second)
    assert reports == [(evaluation.pk, second)]
    contract = Contract.objects.get(pk=evaluation.contract_id)
    assert contract.state == Contract.State.TERMINATED and contract.ended_at == when + timedelta(hours=2)
    exit_ = evaluation.exit
    assert exit_.contract_id == contract.pk and exit_.exclusion.provider == parties["provider"]
    assert exit_.retender.state == Recruitment.State.DRAFT
    assert "43.45" in exit_.reason
    assert events("final_evaluation.finalised", evaluation) == 1
    with pytest.raises(DomainError) as exc:
        services.final_confirm(actor=second, evaluation=evaluation, now=when + timedelta(hours=3))
    assert message(exc) == str(final.ERR_ALREADY_FINAL)


# --- outcomes --------------------------------------------------------------------------------------


def test_a_good_rating_renews_once_as_a_new_draft_term(roles, parties, reports):
    evaluation = final_evaluation(**parties)
    old = evaluation.contract
    assert final.final_rating_of(old) == "good"
    with pytest.raises(NotPermitted):
        services.final_renew(actor=roles["auditor"], evaluation=evaluation, now=at(date(2026, 12, 20)))
    renewal = services.final_renew(actor=roles["admin"], evaluation=evaluation, now=at(date(2026, 12, 20)))
    assert renewal.state == Contract.State.DRAFT and renewal.renewal_of == old
    assert (renewal.provider, renewal.project, renewal.amount, renewal.term_months, renewal.report_schedule) == (
        old.provider,
        old.project,
        old.amount,
        old.term_months,
        old.report_schedule,
    )
    assert (renewal.starts_on, renewal.ends_on) == (date(2027, 1, 1), date(2027, 12, 31))
    assert renewal.number != old.number and renewal.recruitment is None
    assert [(k.metric, k.target, k.unit) for k in renewal.kpi_targets.all()] == [
        (k.metric, k.target, k.unit) for k in old.kpi_targets.all()
    ]
    assert [(m.condition, m.percent, m.amount, m.released_at) for m in renewal.milestones.all()] == [
        ("on_signing", Decimal("30.00"), Decimal("36000.00"), None),
        ("mid_term", Decimal("40.00"), Decimal("48000.00"), None),
        ("final_rating", Decimal("30.00"), Decimal("36000.00"), None),
    ]
    evaluation.refresh_from_db()
    assert evaluation.outcome == "renewed" and evaluation.outcome_by == roles["admin"]
    assert events("contract.renewed", renewal) == 1 and events("final_evaluation.renewed", evaluation) == 1
    assert any(renewal.number in s for s in subjects(roles["provider_a"]))

    # Once only; and the renewal itself can never be renewed.
    with pytest.raises(DomainError) as exc:
        services.final_renew(actor=roles["admin"], evaluation=evaluation, now=at(date(2026, 12, 21)))
    assert message(exc) == str(final_renewal.ERR_RENEW_DONE % {"outcome": evaluation.get_outcome_display()})
    with pytest.raises(DomainError) as exc:
        contract_services.contract_renew(actor=roles["admin"], contract=renewal)
    assert message(exc) == str(contract_services.ERR_RENEWAL_OF_RENEWAL)
    with pytest.raises(DomainError) as exc:
        contract_services.contract_renew(actor=roles["admin"], contract=old)
    assert message(exc) == str(contract_services.ERR_ALREADY_RENEWED % {"number": renewal.number})
    assert Contract.objects.filter(renewal_of=old).count() == 1


def test_a_pass_contract_cannot_be_renewed_and_nothing_is_written(roles, parties, reports):
    evaluation = final_evaluation(term=PASS_TERM, panel_points=Decimal("70"), **parties)
    assert (evaluation.rating, evaluation.outcome) == ("pass", "retender")
    contracts, before = Contract.objects.count(), AuditEvent.objects.count()
    with pytest.raises(DomainError) as exc:
        services.final_renew(actor=roles["admin"], evaluation=evaluation, now=at(date(2026, 12, 20)))
    assert message(exc) == str(final_renewal.ERR_RENEW_RATING % {"rating": "Pass (合格)"})
    with pytest.raises(DomainError) as exc:
        contract_services.contract_renew(actor=roles["admin"], contract=evaluation.contract)
    assert message(exc) == str(contract_services.ERR_NOT_RENEWABLE)
    assert Contract.objects.count() == contracts and AuditEvent.objects.count() == before
    evaluation.refresh_from_db()
    assert evaluation.outcome == "retender"


def test_a_pass_term_is_completed_and_re_tendered_when_it_ends(roles, parties, reports):
    evaluation = final_evaluation(term=PASS_TERM, panel_points=Decimal("70"), **parties)
    contract = evaluation.contract
    assert services.final_terms_end(at(date(2026, 12, 31), 23)) == 0
    assert services.final_terms_end(at(date(2027, 1, 1), 1)) == 1
    contract.refresh_from_db()
    assert contract.state == Contract.State.COMPLETED and contract.ended_at == at(date(2027, 1, 1), 1)
    assert "2026-12-31" in contract.end_reason
    retender = Recruitment.objects.get(project=contract.project)
    assert retender.state == Recruitment.State.DRAFT
    assert any(retender.number in s for s in subjects(roles["admin"]))
    assert events("contract.completed", contract) == 1
    # The last payment is still released after the term: the rating passed.
    last = contract.milestones.get(condition=Milestone.Condition.FINAL_RATING)
    assert milestone_problem(last, date(2027, 1, 5)) == ""
    assert services.final_terms_end(at(date(2027, 1, 2))) == 0
    assert Recruitment.objects.filter(project=contract.project).count() == 1


def test_a_good_term_is_completed_without_re_tender_and_an_exited_one_is_left_alone(roles, wenshang, parties, reports):
    good = final_evaluation(**parties)
    poor = final_evaluation(
        palace=wenshang,
        provider=roles["provider_b"].provider,
        provider_user=roles["provider_b"],
        admin=roles["admin"],
        term=POOR_TERM,
        panel_points=Decimal("20"),
    )
    assert poor.contract.state == Contract.State.TERMINATED
    assert services.final_terms_end(at(date(2027, 1, 1))) == 1
    assert Contract.objects.get(pk=good.contract_id).state == Contract.State.COMPLETED
    assert Contract.objects.get(pk=poor.contract_id).state == Contract.State.TERMINATED
    assert not Recruitment.objects.filter(project=good.contract.project).exists()


# --- weights -----------------------------------------------------------------------------------------


def test_final_weights_sum_to_100_and_exclusion_lasts_1_to_3_years(roles, parties):
    palace = parties["palace"]
    base = {"period_scores": 50, "kpi": 20, "satisfaction": 15, "panel": 15, "exclusion_years": 1}
    with pytest.raises(NotPermitted):
        final_weights_update(actor=roles["evaluator"], palace=palace, **base)
    with pytest.raises(NotPermitted):
        final_weights_update(actor=roles["other_admin"], palace=palace, **base)
    with pytest.raises(DomainError) as exc:
        final_weights_update(actor=roles["admin"], palace=palace, **(base | {"panel": 20}))
    assert message(exc) == str(ERR_WEIGHTS_SUM % {"total": 105})
    for years in (0, 4):
        with pytest.raises(DomainError) as exc:
            final_weights_update(actor=roles["admin"], palace=palace, **(base | {"exclusion_years": years}))
        assert message(exc) == str(ERR_EXCLUSION_YEARS)
    assert not AuditEvent.objects.filter(action="final_weights.updated").exists()

    row = final_weights_update(
        actor=roles["admin"], palace=palace, **(base | {"period_scores": 45, "kpi": 25, "exclusion_years": 3})
    )
    assert (row.period_scores, row.kpi, row.exclusion_years) == (45, 25, 3)
    event = AuditEvent.objects.get(action="final_weights.updated")
    assert event.before["period_scores"] == 50 and event.after["period_scores"] == 45


# --- who sees what -------------------------------------------------------------------------------


def test_who_sees_which_final_evaluation(roles, parties):
    evaluation = opened_evaluation(term=None, **parties)
    outsider_evaluator = staff(parties["palace"], Role.EVALUATOR, "t-ws-eval-off-panel")
    seats = panel_assigned(
        evaluation, evaluators=[roles["evaluator"], *[staff(parties["palace"], Role.EVALUATOR) for _ in range(2)]]
    )
    assert len(seats) == 3

    def sees(user) -> bool:
        return final_evaluations_for(user).filter(pk=evaluation.pk).exists()

    assert sees(roles["admin"]) and sees(roles["auditor"]) and sees(roles["evaluator"]) and sees(roles["provider_a"])
    assert not sees(outsider_evaluator) and not sees(roles["provider_b"]) and not sees(roles["other_admin"])
    assert not sees(roles["other_auditor"])
    # The provider sees that it is in progress, not points (there are none yet).
    assert not shows_points(roles["provider_a"], evaluation) and shows_points(roles["admin"], evaluation)
    assert final_breakdown(evaluation) is None


def test_the_breakdown_adds_up_to_the_total(parties):
    evaluation = proposed_evaluation(**parties)
    breakdown = final_breakdown(evaluation)
    assert [row.key for row in breakdown.components] == ["period_scores", "kpi", "satisfaction", "panel"]
    assert [row.weight for row in breakdown.components] == [50, 20, 15, 15]
    assert sum(row.points for row in breakdown.components) == breakdown.subtotal == Decimal("89.3335")
    assert breakdown.subtotal_text == "89.3335" and breakdown.subtotal_is_exact
    assert breakdown.total == (breakdown.subtotal - breakdown.deduction).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert breakdown.total == Decimal("89.33")
    assert breakdown.rating == "good" and not breakdown.capped and not breakdown.is_final
    assert breakdown.rating_label == "Good (良好)"
