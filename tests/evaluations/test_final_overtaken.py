"""An early termination in the term's last 30 days overtakes its final evaluation.

The second failed order of the term can still close inside the final evaluation (an order
issued just before it opened, left unanswered). Terminating then goes through the exit as
always, and the final evaluation ends unrated: its tasks leave every inbox.
"""

from datetime import date, timedelta

import time_machine
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from contracts.models import Contract
from evaluations import services
from evaluations.final.flows import final_process
from evaluations.models import Exit, FinalEvaluation, RectificationOrder, TerminationReview
from tests.factories import evidence_for
from tests.final_builders import at, opened_evaluation, panel_assigned, term_contract


def _order(roles, contract, day, category, description) -> RectificationOrder:
    with time_machine.travel(at(day), tick=False):
        red_line = services.red_line_record(
            actor=roles["evaluator"], contract=contract, category=category, occurred_on=day, description=description
        )
    return RectificationOrder.objects.get(red_line=red_line)


def test_an_early_termination_in_the_last_month_ends_the_final_evaluation_unrated(roles, wenshang, client_for):
    provider_user = roles["provider_a"]
    contract = term_contract(
        palace=wenshang, provider=provider_user.provider, provider_user=provider_user, admin=roles["admin"], term=None
    )
    first = _order(roles, contract, date(2026, 11, 2), "charging", "向参训职工收取资料费每人 50 元")
    with time_machine.travel(at(date(2026, 11, 3)), tick=False):
        services.order_respond(
            actor=provider_user,
            order=first,
            evidence=evidence_for(first),
            responses={f.pk: "已退还" for f in first.findings.all()},
        )
        services.order_reinspect(
            actor=roles["evaluator"],
            order=first,
            outcomes={f.pk: ("not_resolved", "未见退款凭证") for f in first.findings.all()},
        )
    second = _order(roles, contract, date(2026, 11, 27), "absent", "连续两周未按计划开课")

    evaluation = opened_evaluation(
        palace=wenshang,
        provider=provider_user.provider,
        provider_user=provider_user,
        contract=Contract.objects.get(pk=contract.pk),
    )
    panel_assigned(evaluation, admin=roles["admin"])
    process = final_process(evaluation)
    assert Task.objects.filter(process=process, status__in=[STATUS.NEW, STATUS.ASSIGNED]).exists()

    # The second order's deadline passes inside the final evaluation: the review opens.
    services.orders_fail_overdue(at(second.deadline + timedelta(days=1), 1))
    review = TerminationReview.objects.get(contract=contract)
    with time_machine.travel(at(second.deadline + timedelta(days=2)), tick=False):
        services.termination_decide(
            actor=roles["admin"],
            review=review,
            decision="terminate",
            reason="同一合作期内两次整改不合格，提前终止合作。",
            now=timezone.now(),
        )

    evaluation.refresh_from_db()
    contract.refresh_from_db()
    assert contract.state == Contract.State.TERMINATED
    assert Exit.objects.get(contract=contract).termination_review == review
    assert evaluation.state == FinalEvaluation.State.CANCELLED and evaluation.rating == ""
    process.refresh_from_db()
    assert process.status == PROCESS.CANCELED
    assert not Task.objects.filter(process=process, status__in=[STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED]).exists()

    # Its page says so to the palace and to the provider, and offers no step to take.
    for who in ("admin", "provider_a"):
        page = client_for(roles[who]).get(reverse("evaluations:final_detail", args=[evaluation.pk]))
        assert page.status_code == 200
        body = page.content.decode()
        assert "提前终止" in body or "terminated early" in body
        assert reverse("evaluations:final_sign_off", args=[evaluation.pk]) not in body
