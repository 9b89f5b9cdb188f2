"""The Wenshang rule end to end: every input moves the month's score; a failing month orders rectification."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from contracts import services as contract_services
from contracts.models import Contract
from core.audit import verify_chain
from core.errors import DomainError, NotPermitted
from core.models import IssuedDocument
from evaluations import services
from evaluations.models import Finding, PeriodScore, RectificationOrder, TerminationReview
from tests.contract_builders import active_contract
from tests.factories import evidence_for

pytestmark = pytest.mark.django_db


def at(y, m, d, h=10):
    return timezone.make_aware(datetime(y, m, d, h))


@pytest.fixture
def contract(roles, wenshang):
    return active_contract(
        palace=wenshang,
        provider=roles["provider_a"].provider,
        provider_user=roles["provider_a"],
        admin=roles["admin"],
        starts_on=date(2026, 1, 1),
    )


@pytest.fixture
def checklist(roles, wenshang):
    return services.checklist_create(
        actor=roles["admin"],
        palace_id=wenshang.pk,
        category="training",
        name="培训服务现场检查表",
        items=[
            services.ChecklistItemInput("师资到位、按课表授课", Decimal(40)),
            services.ChecklistItemInput("场地安全、消防通道畅通", Decimal(30)),
            services.ChecklistItemInput("签到记录真实完整", Decimal(30)),
        ],
    )


def inspect(roles, contract, checklist, day, points, now):
    with time_machine.travel(now - timedelta(days=1), tick=False):
        inspection = services.inspection_assign(
            actor=roles["admin"], contract=contract, checklist=checklist, inspector=roles["evaluator"], due_on=day
        )
    items = {
        item.pk: services.ItemScoreInput(Decimal(p), "签到表缺页" if p < 60 else "")
        for item, p in zip(checklist.items.all(), points, strict=True)
    }
    return services.inspection_submit(
        actor=roles["evaluator"], inspection=inspection, items=items, inspected_on=day, notes="现场检查", now=now
    )


def test_the_wenshang_rule_end_to_end(roles, contract, checklist, django_capture_on_commit_callbacks):
    provider = roles["provider_a"]
    # A good inspection in March: 86 points, green, no order.
    inspect(roles, contract, checklist, date(2026, 3, 3), [90, 80, 86], at(2026, 3, 3))
    march = PeriodScore.objects.get(contract=contract, month=date(2026, 3, 1))
    assert (march.score, march.standing) == (Decimal("85.80"), "green")  # 90×.4 + 80×.3 + 86×.3
    # A poor one pulls the month under 60 at once, and the order is issued in the same transaction.
    with django_capture_on_commit_callbacks(execute=True):
        inspect(roles, contract, checklist, date(2026, 3, 10), [20, 30, 10], at(2026, 3, 10))
    march.refresh_from_db()
    assert march.score == Decimal("52.90") and march.standing == "red"  # (85.8 + 20) ÷ 2
    order = RectificationOrder.objects.get()
    assert order.trigger == "score" and order.deadline == date(2026, 3, 24)  # 10 working days
    assert any("签到记录真实完整" in f.text for f in order.findings.all())
    contract.refresh_from_db()
    assert contract.state == Contract.State.RECTIFICATION
    notice = IssuedDocument.objects.get(kind=IssuedDocument.Kind.RECTIFICATION_NOTICE)
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(notice.file.open("rb")).pages)
    assert "限期整改通知书" in text and "2026年3月24日" in text and "签到记录真实完整" in text
    # More poor input the same month does not issue a second order.
    inspect(roles, contract, checklist, date(2026, 3, 12), [30, 30, 30], at(2026, 3, 12))
    assert RectificationOrder.objects.count() == 1

    # Another provider cannot answer; the provider answers each finding; re-inspection: partly resolved → failed.
    responses = {f.pk: "已补齐签到表并更换授课教师" for f in order.findings.all()}
    with pytest.raises(NotPermitted):
        services.order_respond(
            actor=roles["provider_b"],
            order=order,
            evidence=evidence_for(order),
            responses=responses,
            now=at(2026, 3, 16),
        )
    services.order_respond(
        actor=provider, order=order, evidence=evidence_for(order), responses=responses, now=at(2026, 3, 16)
    )
    outcomes = {f.pk: ("resolved", "") for f in order.findings.all()}
    first_finding = order.findings.first()
    outcomes[first_finding.pk] = (Finding.Outcome.PARTLY, "仍有两次课缺签到")
    services.order_reinspect(actor=roles["evaluator"], order=order, outcomes=outcomes, now=at(2026, 3, 20))
    order.refresh_from_db()
    contract.refresh_from_db()
    assert order.state == RectificationOrder.State.FAILED
    assert contract.state == Contract.State.ACTIVE  # no order open
    assert not TerminationReview.objects.exists()

    # April: a red line fails the month whatever the score, and issues the second order.
    inspect(roles, contract, checklist, date(2026, 4, 2), [95, 95, 95], at(2026, 4, 2))
    with django_capture_on_commit_callbacks(execute=True):
        red = services.red_line_record(
            actor=roles["evaluator"],
            contract=contract,
            category="charging",
            occurred_on=date(2026, 4, 8),
            description="向参训职工收取资料费每人 50 元",
            now=at(2026, 4, 8),
        )
    april = PeriodScore.objects.get(contract=contract, month=date(2026, 4, 1))
    assert april.score == Decimal("95.00") and april.standing == "red"
    second = RectificationOrder.objects.get(red_line=red)
    assert "收取资料费" in second.findings.get().text
    # Nobody answers; the deadline passes and the scheduler fails the order.
    with pytest.raises(DomainError) as late:
        services.order_respond(
            actor=provider,
            order=second,
            evidence=evidence_for(second),
            responses={f.pk: "x" for f in second.findings.all()},
            now=timezone.make_aware(datetime.combine(second.deadline + timedelta(days=1), datetime.min.time()))
            + timedelta(hours=9),
        )
    assert second.deadline.strftime("%Y-%m-%d") in str(late.value)
    assert services.orders_fail_overdue(at(2026, 4, 22)) == 0  # the deadline is 2026-04-22 itself
    assert services.orders_fail_overdue(at(2026, 4, 23)) == 1
    second.refresh_from_db()
    assert second.state == RectificationOrder.State.FAILED and second.failed_on_deadline

    # Two failed orders in the term: the administrator is asked to decide on early termination.
    review = TerminationReview.objects.get()
    assert set(review.failed_orders.all()) == {order, second}
    with pytest.raises(NotPermitted):
        services.termination_decide(actor=roles["evaluator"], review=review, decision="terminate", reason="x")
    services.termination_decide(
        actor=roles["admin"],
        review=review,
        decision="terminate",
        reason="同一合作期内两次整改不合格，且发生向职工收费的红线事件。",
    )
    review.refresh_from_db()
    assert review.decision == "terminate" and review.decided_by == roles["admin"]
    assert verify_chain().ok


def test_the_stored_score_equals_a_full_recompute(roles, contract, checklist):
    inspect(roles, contract, checklist, date(2026, 2, 3), [70, 80, 90], at(2026, 2, 3))
    report = contract.reports.get(sequence=2)
    contract_services.report_save(
        actor=roles["provider_a"],
        report=report,
        narrative="二月",
        activities=[contract_services.ActivityInput(date(2026, 2, 10), "培训", "training", "教室", 30)],
    )
    with time_machine.travel(at(2026, 3, 2), tick=False):
        contract_services.report_submit(actor=roles["provider_a"], report=report)
        contract_services.report_review(actor=roles["admin"], report=report, accept=True, score=Decimal(90))
    period = PeriodScore.objects.get(contract=contract, month=date(2026, 2, 1))
    fresh = services.period_recompute(period)
    assert (period.inspections_total, period.reports_total, period.score) == (
        fresh.inspections_total,
        fresh.reports_total,
        fresh.score,
    )
    assert period.kpi is not None


def test_a_mid_term_milestone_waits_while_an_order_is_open(roles, contract, checklist):
    inspect(roles, contract, checklist, date(2026, 7, 2), [10, 10, 10], at(2026, 7, 2))
    mid = contract.milestones.get(position=2)
    assert "整改" in contract_services.milestone_problem(
        mid, date(2026, 7, 3)
    ) or "rectification" in contract_services.milestone_problem(mid, date(2026, 7, 3))


def test_an_answer_needs_evidence_for_every_finding(roles, contract, checklist):
    with time_machine.travel(at(2026, 3, 10), tick=False):
        inspect(roles, contract, checklist, date(2026, 3, 10), [20, 30, 10], at(2026, 3, 10))
        order = RectificationOrder.objects.get()
        findings = list(order.findings.all())
        assert len(findings) >= 2
        evidence = evidence_for(order)
        del evidence[findings[1].pk]
        with pytest.raises(DomainError) as refused:
            services.order_respond(
                actor=roles["provider_a"],
                order=order,
                evidence=evidence,
                responses={f.pk: "已整改" for f in findings},
                now=at(2026, 3, 11),
            )
    assert f"第 {findings[1].position} 项" in str(refused.value)
    order.refresh_from_db()
    assert order.state == RectificationOrder.State.OPEN and not order.findings.exclude(response="").exists()
