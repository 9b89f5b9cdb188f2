"""Rectification orders (限期整改, DOMAIN.md §4): issued when a month fails, answered, re-inspected.

An order lists findings and a deadline of 10 working days. The provider answers each
finding; an evaluator re-inspects and judges each one resolved, partly resolved or not
resolved: the order passes only when every finding is resolved. A deadline that passes
with no answer fails the order (``orders_fail_overdue``, run by ``manage.py tick``). The
second failed order of a term opens a termination review for the administrator. The
contract is "under rectification" while any order is open.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract
from contracts.permissions import is_party
from contracts.services import contract_close_rectification, contract_open_rectification
from core import audit
from core.errors import DomainError, NotPermitted
from core.models import Palace, Role, User
from core.notify import notify
from core.permissions import has_role
from core.uploads import check_file_count, check_upload
from core.workdays import add_working_days
from evaluations.realtime import scoring
from evaluations.realtime.models import Inspection, InspectionItemScore, PeriodScore, RedLine
from evaluations.realtime.months import month_end
from evaluations.realtime.services.inspections import EVIDENCE_MAX_BYTES, _store_evidence
from evaluations.rectification.documents import issue_rectification_notice
from evaluations.rectification.models import Finding, RectificationOrder, TerminationReview
from evaluations.rectification.permissions import (
    can_decide_termination,
    can_reinspect_order,
    can_respond_to_order,
)
from evaluations.rectification.signals import termination_decided

DEADLINE_WORKING_DAYS = 10
FAILED_ORDERS_FOR_REVIEW = 2
FINDING_BELOW = 60

# Sent inside the transaction after an order or a termination review changes, with ``contract``;
# the rectification workflow follows it (evaluations/flows.py).
rectification_changed = Signal()

ERR_AFTER_DEADLINE = _("The deadline (%(date)s) has passed; the order can no longer be answered.")
ERR_NOT_OPEN = _("This order is not waiting for a response.")
ERR_RESPONSES = _("Answer every finding: say what was put right.")
ERR_EVIDENCE = _("Attach evidence (a photo or a PDF) to every finding; missing for finding %(findings)s.")
ERR_OUTCOMES = _("Judge every finding: resolved, partly resolved or not resolved.")
ERR_NOT_RESPONDED = _("This order is not waiting for re-inspection.")
ERR_DECIDED = _("This review was already decided.")
ERR_REASON = _("Give the reason for the decision.")

INDICATOR_LABELS = {
    scoring.INSPECTIONS: _("inspections"),
    scoring.REPORTS: _("report review"),
    scoring.SATISFACTION: _("worker satisfaction"),
    scoring.KPI: _("KPI progress"),
}


def _admins(palace_id: int):
    return User.objects.filter(memberships__palace_id=palace_id, memberships__role=Role.ADMIN, is_active=True)


def _provider_users(contract: Contract):
    return User.objects.filter(provider_link__provider_id=contract.provider_id, is_active=True)


def _next_number(contract: Contract, when: datetime) -> str:
    palace = Palace.objects.select_for_update(no_key=True).get(pk=contract.palace_id)
    prefix = f"{palace.code.upper()}-ZG-{timezone.localdate(when):%Y}-"
    return f"{prefix}{RectificationOrder.objects.filter(number__startswith=prefix).count() + 1:03d}"


def _findings_for(period: PeriodScore, result: scoring.PeriodResult, red_line: RedLine | None) -> list[str]:
    """What must be put right: the red line, the failed checklist items, the indicators below 60."""
    if red_line is not None:
        return [
            str(
                _("Red line — %(category)s on %(date)s: %(description)s")
                % {
                    "category": red_line.get_category_display(),
                    "date": f"{red_line.occurred_on:%Y-%m-%d}",
                    "description": red_line.description,
                }
            )
        ]
    findings = []
    failed_items = (
        InspectionItemScore.objects.filter(
            inspection__contract=period.contract,
            inspection__state=Inspection.State.SUBMITTED,
            inspection__order__isnull=True,
            inspection__inspected_on__range=(period.month, month_end(period.month)),
            points__lt=FINDING_BELOW,
        )
        .select_related("item", "inspection")
        .order_by("inspection__inspected_on", "item")
    )
    for s in failed_items:
        text = _("Inspection on %(date)s, “%(item)s”: %(points)s points") % {
            "date": f"{s.inspection.inspected_on:%Y-%m-%d}",
            "item": s.item.text,
            "points": f"{s.points:.0f}",
        }
        findings.append(f"{text}{'（' + s.note + '）' if s.note else ''}")
    values = period.inputs()
    for name in scoring.INDICATORS:
        value = getattr(values, name)
        if name in result.weights and value is not None and value < FINDING_BELOW:
            findings.append(
                str(
                    _("%(indicator)s this month: %(value)s of 100")
                    % {"indicator": INDICATOR_LABELS[name], "value": f"{value:.2f}"}
                )
            )
    if not findings:
        findings.append(
            str(_("The month's score is %(score)s, below the pass mark of 60.") % {"score": f"{result.score:.2f}"})
        )
    return findings


def _reinspector_for(contract: Contract, red_line: RedLine | None) -> User | None:
    if red_line is not None:
        return (
            red_line.recorded_by
            if red_line.recorded_by.memberships.filter(palace_id=contract.palace_id, role=Role.EVALUATOR).exists()
            else None
        )
    last = (
        contract.inspections.filter(state=Inspection.State.SUBMITTED, order__isnull=True)
        .order_by("-inspected_on", "-pk")
        .first()
    )
    return last.inspector if last else None


def score_order_due(period: PeriodScore, result: scoring.PeriodResult) -> bool:
    """A month below the pass mark calls for one order, once: not again while later inputs keep it there."""
    return result.below_pass_mark and not period.orders.filter(trigger=RectificationOrder.Trigger.SCORE).exists()


def order_issue_for_period(
    *,
    period: PeriodScore,
    result: scoring.PeriodResult,
    red_line: RedLine | None,
    actor: User | None = None,
    now: datetime | None = None,
) -> RectificationOrder | None:
    """Issue the order a failing month calls for, inside the input's transaction.

    One order per red line; one order per month for a score below 60, however many
    inputs keep it there. None when that order exists already.
    """
    now = now or timezone.now()
    contract = Contract.objects.select_for_update(no_key=True).get(pk=period.contract_id)
    if red_line is None and not score_order_due(period, result):
        return None
    order = RectificationOrder.objects.create(
        number=_next_number(contract, now),
        contract=contract,
        period=period,
        trigger=RectificationOrder.Trigger.RED_LINE if red_line else RectificationOrder.Trigger.SCORE,
        red_line=red_line,
        score_at_issue=result.score,
        issued_at=now,
        deadline=add_working_days(timezone.localdate(now), DEADLINE_WORKING_DAYS),
        reinspector=_reinspector_for(contract, red_line),
    )
    # The order and its notice are the palace's documents, in its language, whoever's input failed the month.
    with translation.override(settings.LANGUAGE_CODE):
        texts = _findings_for(period, result, red_line)
    Finding.objects.bulk_create([Finding(order=order, position=n, text=t[:500]) for n, t in enumerate(texts, 1)])
    before = audit.snapshot(contract, ["state"])
    if contract.state == Contract.State.ACTIVE:
        contract_open_rectification(actor=actor, contract=contract)
    audit.record(
        actor=actor,
        action="rectification.issued",
        obj=order,
        palace=contract.palace_id,
        before=before,
        after={
            "number": order.number,
            "trigger": order.trigger,
            "score": result.score,
            "deadline": order.deadline,
            "findings": texts,
            "contract_state": contract.state,
        },
    )
    subject = _("Rectification order %(number)s: put right %(count)d finding(s) by %(date)s") % {
        "number": order.number,
        "count": len(texts),
        "date": f"{order.deadline:%Y-%m-%d}",
    }
    url = reverse("evaluations:order", args=[order.pk])
    notify(_provider_users(contract), subject=subject, body="\n".join(texts), url=url)
    notify(_admins(contract.palace_id), subject=subject, url=url)
    transaction.on_commit(lambda: issue_rectification_notice(order=order), robust=True)
    rectification_changed.send(sender=RectificationOrder, contract=contract)
    return order


def _lock_order(order: RectificationOrder) -> tuple[RectificationOrder, Contract]:
    contract = Contract.objects.select_for_update(no_key=True).get(pk=order.contract_id)
    order = RectificationOrder.objects.select_for_update().get(pk=order.pk)
    order.contract = contract
    return order, contract


@transaction.atomic
def order_respond(
    *,
    actor: User,
    order: RectificationOrder,
    responses: Mapping[int, str],
    evidence: Mapping[int, Sequence] | None = None,
    now: datetime | None = None,
) -> RectificationOrder:
    """The provider's rectification report: a response, and evidence, for each finding."""
    now = now or timezone.now()
    order, contract = _lock_order(order)
    if not is_party(actor, contract):
        raise NotPermitted
    if not can_respond_to_order(actor, order):
        raise DomainError(ERR_NOT_OPEN)
    if timezone.localdate(now) > order.deadline:
        raise DomainError(ERR_AFTER_DEADLINE % {"date": f"{order.deadline:%Y-%m-%d}"})
    findings = list(order.findings.all())
    if {f.pk for f in findings} != set(responses) or any(not responses[f.pk].strip() for f in findings):
        raise DomainError(ERR_RESPONSES, field="responses")
    evidence = evidence or {}
    # DOMAIN.md §4: the provider answers "with a rectification report and evidence" — for each finding.
    without = [str(f.position) for f in findings if not evidence.get(f.pk)]
    if without:
        raise DomainError(ERR_EVIDENCE % {"findings": "、".join(without)}, field="evidence")
    uploads = [u for files in evidence.values() for u in files]
    check_file_count(uploads)
    for upload in uploads:
        check_upload(upload=upload, max_bytes=EVIDENCE_MAX_BYTES)
    for finding in findings:
        finding.response = responses[finding.pk].strip()[:5000]
        finding.save(update_fields=["response"])
        _store_evidence(evidence.get(finding.pk, ()), actor, finding=finding)
    order.respond()
    order.responded_at, order.responded_by = now, actor
    order.save()
    audit.record(
        actor=actor,
        action="rectification.responded",
        obj=order,
        palace=contract.palace_id,
        after={"state": order.state, "responses": {str(f.pk): f.response for f in findings}, "evidence": len(uploads)},
    )
    to = (
        [order.reinspector]
        if order.reinspector
        else User.objects.filter(
            memberships__palace_id=contract.palace_id, memberships__role=Role.EVALUATOR, is_active=True
        )
    )
    notify(
        to,
        subject=_("Re-inspect %(contract)s for rectification order %(number)s")
        % {"contract": contract.number, "number": order.number},
        url=reverse("evaluations:order", args=[order.pk]),
    )
    rectification_changed.send(sender=RectificationOrder, contract=contract)
    return order


@transaction.atomic
def order_reinspect(
    *, actor: User, order: RectificationOrder, outcomes: Mapping[int, tuple[str, str]], now: datetime | None = None
) -> RectificationOrder:
    """Judge each finding on re-inspection. Every finding resolved passes the order; anything less fails it."""
    now = now or timezone.now()
    order, contract = _lock_order(order)
    if order.reinspector_id != actor.pk and not has_role(actor, contract.palace_id, Role.EVALUATOR):
        raise NotPermitted
    if order.state != RectificationOrder.State.RESPONDED:
        raise DomainError(ERR_NOT_RESPONDED)
    if not can_reinspect_order(actor, order):
        raise NotPermitted
    findings = list(order.findings.all())
    if {f.pk for f in findings} != set(outcomes) or any(
        outcomes[f.pk][0] not in Finding.Outcome.values for f in findings
    ):
        raise DomainError(ERR_OUTCOMES, field="outcomes")
    for finding in findings:
        finding.outcome, note = outcomes[finding.pk]
        finding.outcome_note = note.strip()[:500]
        finding.save(update_fields=["outcome", "outcome_note"])
    order.reinspector = actor
    if all(f.outcome == Finding.Outcome.RESOLVED for f in findings):
        order.pass_()
    else:
        order.fail()
    order.closed_at = now
    order.save()
    audit.record(
        actor=actor,
        action=f"rectification.{order.state}",
        obj=order,
        palace=contract.palace_id,
        after={"state": order.state, "outcomes": {str(f.pk): f.outcome for f in findings}},
    )
    _after_close(order, contract, now)
    return order


def _after_close(order: RectificationOrder, contract: Contract, now: datetime) -> None:
    """Back to active when no order is open; a second failure in the term opens a termination review."""
    subject = (
        _("Rectification order %(number)s passed")
        if order.state == RectificationOrder.State.PASSED
        else _("Rectification order %(number)s failed")
    ) % {"number": order.number}
    notify(_provider_users(contract), subject=subject, url=reverse("evaluations:order", args=[order.pk]))
    if (
        contract.state == Contract.State.RECTIFICATION
        and not contract.rectification_orders.filter(state__in=RectificationOrder.OPEN_STATES).exists()
    ):
        contract_close_rectification(actor=None, contract=contract)
    if order.state == RectificationOrder.State.FAILED:
        failed = list(contract.rectification_orders.filter(state=RectificationOrder.State.FAILED))
        reviewed = set(
            TerminationReview.failed_orders.through.objects.filter(terminationreview__contract=contract).values_list(
                "rectificationorder_id", flat=True
            )
        )
        pending = contract.termination_reviews.filter(decision="").exists()
        if len(failed) >= FAILED_ORDERS_FOR_REVIEW and order.pk not in reviewed and not pending:
            review = TerminationReview.objects.create(contract=contract, opened_at=now)
            review.failed_orders.set(failed)
            audit.record(
                actor=None,
                action="termination_review.opened",
                obj=review,
                palace=contract.palace_id,
                after={"failed_orders": [o.number for o in failed]},
            )
            notify(
                _admins(contract.palace_id),
                subject=_("%(contract)s has failed %(count)d rectification orders: decide on early termination")
                % {"contract": contract.number, "count": len(failed)},
                url=reverse("evaluations:termination_review", args=[review.pk]),
            )
    rectification_changed.send(sender=RectificationOrder, contract=contract)


def orders_fail_overdue(now: datetime) -> int:
    """Fail every order whose deadline passed with no response. Each in its own transaction."""
    today = timezone.localdate(now)
    failed = 0
    for pk in RectificationOrder.objects.filter(state=RectificationOrder.State.OPEN, deadline__lt=today).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            contract_id = RectificationOrder.objects.filter(pk=pk).values_list("contract_id", flat=True).get()
            order, contract = _lock_order(RectificationOrder(pk=pk, contract_id=contract_id))
            if order.state != RectificationOrder.State.OPEN or order.deadline >= today:
                continue
            order.fail()
            order.failed_on_deadline, order.closed_at = True, now
            order.save()
            audit.record(
                actor=None,
                action="rectification.failed",
                obj=order,
                palace=contract.palace_id,
                after={"state": order.state, "reason": "deadline", "deadline": order.deadline},
            )
            _after_close(order, contract, now)
            failed += 1
    return failed


@transaction.atomic
def termination_decide(
    *, actor: User, review: TerminationReview, decision: str, reason: str, now: datetime | None = None
) -> TerminationReview:
    """The administrator decides on early termination after the second failed order, with a reason.

    "terminate" ends the partnership at once, in this transaction, through the same exit as a final
    rating of 差 (``termination_decided``, heard by ``exit.exit_open``: contract terminated, last milestone withheld, exclusion,
    re-tender drafted, handover opened); "continue" records the decision and nothing else.
    """
    review = TerminationReview.objects.select_for_update().select_related("contract").get(pk=review.pk)
    if review.decision:
        raise DomainError(ERR_DECIDED)
    if not can_decide_termination(actor, review):
        raise NotPermitted
    if decision not in TerminationReview.Decision.values:
        raise DomainError(_("Choose a decision."), field="decision")
    if not reason.strip():
        raise DomainError(ERR_REASON, field="reason")
    review.decision, review.reason = decision, reason.strip()
    review.decided_by, review.decided_at = actor, now or timezone.now()
    review.save()
    audit.record(
        actor=actor,
        action="termination_review.decided",
        obj=review,
        palace=review.contract.palace_id,
        after={"decision": decision, "reason": review.reason},
    )
    if decision == TerminationReview.Decision.TERMINATE:
        # The exit (evaluations.exit, above this package) ends the partnership in this transaction.
        termination_decided.send(sender=TerminationReview, review=review, actor=actor, now=review.decided_at)
    rectification_changed.send(sender=RectificationOrder, contract=review.contract)
    return review


def open_rectification(contract: Contract) -> bool:
    return contract.rectification_orders.filter(state__in=RectificationOrder.OPEN_STATES).exists()


__all__ = [
    "ERR_AFTER_DEADLINE",
    "ERR_EVIDENCE",
    "ERR_NOT_OPEN",
    "ERR_OUTCOMES",
    "ERR_RESPONSES",
    "open_rectification",
    "order_issue_for_period",
    "order_reinspect",
    "order_respond",
    "orders_fail_overdue",
    "rectification_changed",
    "termination_decide",
]
