"""The appeal of a proposed final rating (DOMAIN.md §5): once, within 5 working days.

The provider lodges it with its grounds and evidence (``appeal_lodge``); an administrator
upholds or adjusts the rating with a reason (``appeal_decide``); a window that closes
without an appeal lets the sign-off go ahead (``appeal_windows_close``).
"""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract
from contracts.permissions import is_party
from core import audit
from core.errors import DomainError, NotPermitted
from core.models import User
from core.notify import notify
from core.scheduler import claim
from evaluations.final.models import Appeal, FinalEvaluation
from evaluations.final.permissions import is_final_admin
from evaluations.final.selectors import (
    final_standing,
)
from evaluations.final.services.evaluation import (
    State,
    _admins,
    _appeal_of,
    _changed,
    _label,
    _lock,
    _page,
    _provider_users,
)
from evaluations.realtime.scoring import HUNDRED, q
from evaluations.realtime.services.inspections import _check_evidence, _store_evidence

ERR_NOT_PROPOSED = _("No rating has been proposed yet, so there is nothing to appeal.")


ERR_APPEAL_CLOSED = _("The appeal window closed on %(date)s; the proposed rating can no longer be appealed.")


ERR_APPEAL_ONCE = _("An appeal was already lodged on %(date)s; a proposed rating can be appealed only once.")


ERR_GROUNDS = _("State the grounds of the appeal.")


ERR_APPEAL_DECIDED = _("This appeal has already been decided.")


ERR_DECISION = _("Choose whether the rating is upheld or adjusted.")


ERR_REASON = _("Give the reason for the decision.")


ERR_ADJUSTED_TOTAL = _("Give the adjusted points, from 0 to 100 with at most two decimals.")


ERR_ADJUSTED_SAME = _("The adjusted points are the proposed points; uphold the rating instead.")


@transaction.atomic
def appeal_lodge(
    *,
    actor: User,
    evaluation: FinalEvaluation,
    grounds: str,
    evidence: Sequence[UploadedFile] = (),
    now: datetime | None = None,
) -> Appeal:
    """The provider appeals the proposed rating: once, within 5 working days, with grounds and evidence.

    The window is judged on the local date, the deadline day included. Evidence files
    follow the rectification evidence's rules (type by content, size, count).
    """
    now = now or timezone.now()
    evaluation, contract = _lock(evaluation)
    if not is_party(actor, contract):
        raise NotPermitted
    appeal = _appeal_of(evaluation)
    if appeal is not None:
        raise DomainError(ERR_APPEAL_ONCE % {"date": f"{timezone.localdate(appeal.lodged_at):%Y-%m-%d}"})
    if evaluation.appeal_deadline is None or evaluation.state == State.PANEL:
        raise DomainError(ERR_NOT_PROPOSED)
    if evaluation.state != State.PROPOSED or timezone.localdate(now) > evaluation.appeal_deadline:
        raise DomainError(ERR_APPEAL_CLOSED % {"date": f"{evaluation.appeal_deadline:%Y-%m-%d}"})
    grounds = (grounds or "").strip()
    if not grounds:
        raise DomainError(ERR_GROUNDS, field="grounds")
    evidence = list(evidence or ())
    _check_evidence(evidence)
    appeal = Appeal.objects.create(evaluation=evaluation, grounds=grounds[:10000], lodged_by=actor, lodged_at=now)
    _store_evidence(evidence, actor, appeal=appeal)
    evaluation.lodge_appeal()
    evaluation.save()
    audit.record(
        actor=actor,
        action="final_evaluation.appealed",
        obj=evaluation,
        palace=contract.palace_id,
        after={
            "grounds": appeal.grounds,
            "evidence": [u.name for u in evidence],
            "proposed_total": evaluation.proposed_total,
            "proposed_rating": evaluation.proposed_rating,
        },
    )
    notify(
        _admins(contract.palace_id),
        subject=_("%(provider)s appealed the proposed final rating of contract %(number)s: decide the appeal")
        % {"provider": contract.provider.name, "number": contract.number},
        body=appeal.grounds,
        url=_page(evaluation),
    )
    _changed(evaluation)
    return appeal


def _adjusted(value) -> Decimal:
    try:
        total = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(ERR_ADJUSTED_TOTAL, field="adjusted_total") from None
    if not total.is_finite() or not Decimal(0) <= total <= HUNDRED or total != q(total):
        raise DomainError(ERR_ADJUSTED_TOTAL, field="adjusted_total")
    return q(total)


@transaction.atomic
def appeal_decide(
    *, actor: User, appeal: Appeal, decision: str, reason: str, adjusted_total=None, now: datetime | None = None
) -> Appeal:
    """An administrator upholds the proposed rating or adjusts its points (0–100), with a reason.

    The change, before and after, is audited and shown on the page and in the report; the
    evaluation then waits for sign-off.
    """
    now = now or timezone.now()
    evaluation, contract = _lock(appeal.evaluation)
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    if not is_final_admin(actor, evaluation):
        raise NotPermitted
    if appeal.decision or evaluation.state != State.APPEALED:
        raise DomainError(ERR_APPEAL_DECIDED)
    if decision not in Appeal.Decision.values:
        raise DomainError(ERR_DECISION, field="decision")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(ERR_REASON, field="reason")
    total = None
    if decision == Appeal.Decision.ADJUSTED:
        if adjusted_total is None or str(adjusted_total).strip() == "":
            raise DomainError(ERR_ADJUSTED_TOTAL, field="adjusted_total")
        total = _adjusted(adjusted_total)
        if total == evaluation.proposed_total:
            raise DomainError(ERR_ADJUSTED_SAME, field="adjusted_total")
    before = {"total": evaluation.proposed_total, "rating": evaluation.proposed_rating}
    appeal.decision, appeal.reason, appeal.adjusted_total = decision, reason[:10000], total
    appeal.decided_by, appeal.decided_at = actor, now
    appeal.save()
    evaluation.ready_for_sign_off()
    evaluation.save()
    after_total, after_rating = final_standing(evaluation, appeal)
    audit.record(
        actor=actor,
        action="final_evaluation.appeal_decided",
        obj=evaluation,
        palace=contract.palace_id,
        before=before,
        after={"decision": decision, "reason": appeal.reason, "total": after_total, "rating": after_rating},
    )
    if decision == Appeal.Decision.ADJUSTED:
        subject = _("Your appeal on contract %(number)s: the rating is adjusted to %(rating)s, %(total)s points") % {
            "number": contract.number,
            "rating": _label(after_rating),
            "total": f"{after_total:.2f}",
        }
    else:
        subject = _("Your appeal on contract %(number)s: the proposed rating %(rating)s is upheld") % {
            "number": contract.number,
            "rating": _label(after_rating),
        }
    notify(_provider_users(contract), subject=subject, body=appeal.reason, url=_page(evaluation))
    _changed(evaluation)
    return appeal


def appeal_windows_close(now: datetime) -> int:
    """Tick: a proposed rating whose appeal window has passed without an appeal goes to sign-off."""
    today = timezone.localdate(now)
    due = Contract.objects.filter(final_evaluation__state=State.PROPOSED, final_evaluation__appeal_deadline__lt=today)
    closed = 0
    for pk in due.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            contract = claim(due, pk)
            if contract is None:
                continue
            evaluation = FinalEvaluation.objects.select_for_update().get(contract=contract)
            evaluation.contract = contract
            _window_closed(evaluation, contract)
            closed += 1
    return closed


def _window_closed(evaluation: FinalEvaluation, contract: Contract) -> None:
    evaluation.ready_for_sign_off()
    evaluation.save()
    audit.record(
        actor=None,
        action="final_evaluation.appeal_window_closed",
        obj=evaluation,
        palace=contract.palace_id,
        after={"appeal_deadline": evaluation.appeal_deadline, "state": evaluation.state},
    )
    notify(
        _admins(contract.palace_id),
        subject=_("No appeal against the final rating of contract %(number)s (%(rating)s): sign it off")
        % {"number": contract.number, "rating": _label(evaluation.proposed_rating)},
        url=_page(evaluation),
    )
    _changed(evaluation)
