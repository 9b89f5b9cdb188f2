"""Exit (退出合作, DOMAIN.md §5): the end of a partnership, and the handover that follows.

A provider leaves after a final rating of 差 (confirmed by a second administrator, in
``final.final_confirm``'s transaction) or after an early termination decided on a
``TerminationReview`` (``rectification.termination_decide``). Both call ``exit_open``,
which in one transaction:

* terminates the contract, with the reason and the time (``Contract.end_reason``,
  ``ended_at``);
* withholds the last payment milestone not yet released, for good (contracts'
  ``milestone_problem`` then refuses to release it, naming why);
* excludes the provider from the palace's recruitments from today for the palace's
  ``FinalWeights.exclusion_years`` (1 by default) in calendar years;
* drafts the re-tender of the same service project from the old recruitment
  (``procurement.services.recruitment_retender_draft``), for the administrator to review
  and publish;
* opens the handover checklist (交接清单): participant records, keys, equipment and
  unfinished sessions, each confirmed by both sides with ``handover_confirm``;
* and, once committed, issues the exit notice (退出合作通知书, ``documents.issue_exit_notice``).

An exit happens once per contract: a second attempt is refused and writes nothing.
"""

from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract, Milestone
from contracts.services import ERR_CANNOT_TERMINATE, contract_terminate
from core import audit
from core.errors import DomainError, NotPermitted
from core.models import Role, User
from core.notify import notify
from evaluations.exit.documents import issue_exit_notice
from evaluations.exit.models import Exit, HandoverItem
from evaluations.exit.permissions import PROVIDER_SIDE, can_open_exit, handover_side
from evaluations.final.models import FinalEvaluation, FinalRating, FinalWeights
from evaluations.final.signals import final_changed
from evaluations.rectification.models import TerminationReview
from procurement.models import Exclusion
from procurement.services.retender import recruitment_retender_draft

__all__ = [
    "ERR_ALREADY_CONFIRMED",
    "ERR_ALREADY_EXITED",
    "ERR_CAUSE",
    "ERR_CAUSE_NOT_POOR",
    "ERR_CAUSE_NOT_TERMINATE",
    "ERR_EXIT_REASON",
    "ERR_HANDOVER_NOTE",
    "ERR_NOTE_TOO_LONG",
    "ERR_NOT_IN_FORCE",
    "exclusion_end",
    "exit_open",
    "handover_confirm",
]

DEFAULT_EXCLUSION_YEARS = 1
NOTE_MAX = HandoverItem._meta.get_field("note").max_length
WITHHELD_REASON_MAX = Milestone._meta.get_field("withheld_reason").max_length

ERR_CAUSE = _(
    "An exit follows either a final rating of 差 or an early termination, exactly one of the two, for this contract."
)
ERR_CAUSE_NOT_POOR = _("Only a final rating of 差 that is final leads to an exit.")
ERR_CAUSE_NOT_TERMINATE = _("Only a termination review decided “terminate early” leads to an exit.")
ERR_EXIT_REASON = _("Give the reason for ending the partnership; the provider reads it.")
ERR_ALREADY_EXITED = _("Contract %(number)s already exited on %(date)s; an exit happens once.")
ERR_NOT_IN_FORCE = ERR_CANNOT_TERMINATE
ERR_ALREADY_CONFIRMED = _("Your side already confirmed “%(item)s” on %(date)s.")
ERR_HANDOVER_NOTE = _(
    "Say what was handed over: the first confirmation of an item records it, and the other "
    "side confirms the same record."
)
ERR_NOTE_TOO_LONG = _("The record of what was handed over may be at most %(max)d characters; shorten the remark.")


def exclusion_end(starts_on: date, years: int) -> date:
    """The same day ``years`` calendar years on (29 February → 28 February when that year has none).
    The exclusion runs up to, not including, this day (``active_exclusion``: ``ends_on > today``)."""
    try:
        return starts_on.replace(year=starts_on.year + years)
    except ValueError:
        return starts_on.replace(year=starts_on.year + years, day=28)


def _provider_users(contract: Contract):
    return User.objects.filter(provider_link__provider_id=contract.provider_id, is_active=True)


def _admins(palace_id: int):
    return User.objects.filter(
        memberships__palace_id=palace_id, memberships__role=Role.ADMIN, is_active=True
    ).distinct()


def _day(moment: datetime) -> str:
    return f"{timezone.localdate(moment):%Y-%m-%d}"


def _check_cause(
    contract: Contract, final_evaluation: FinalEvaluation | None, termination_review: TerminationReview | None
) -> None:
    if (final_evaluation is None) == (termination_review is None):
        raise DomainError(ERR_CAUSE)
    cause = final_evaluation or termination_review
    if cause.contract_id != contract.pk:
        raise DomainError(ERR_CAUSE)
    if final_evaluation is not None and not (
        final_evaluation.state == FinalEvaluation.State.FINAL and final_evaluation.rating == FinalRating.POOR
    ):
        raise DomainError(ERR_CAUSE_NOT_POOR)
    if termination_review is not None and termination_review.decision != TerminationReview.Decision.TERMINATE:
        raise DomainError(ERR_CAUSE_NOT_TERMINATE)


def _cause_text(contract: Contract, final_evaluation: FinalEvaluation | None) -> str:
    """Short, for the exclusion (the provider reads it when an application is refused)."""
    if final_evaluation is not None:
        return str(_("exit from contract %(number)s after a final rating of 差") % {"number": contract.number})
    return str(_("exit from contract %(number)s after an early termination") % {"number": contract.number})


def _withhold(contract: Contract, reason: str, now: datetime) -> Milestone | None:
    """The last milestone not yet released (the one paid after the final rating, as a rule), withheld for good."""
    milestone = (
        Milestone.objects.select_for_update()
        .filter(contract=contract, released_at__isnull=True, withheld_at__isnull=True)
        .order_by("-position")
        .first()
    )
    if milestone is None:
        return None
    milestone.withheld_at = now
    milestone.withheld_reason = reason[:WITHHELD_REASON_MAX]
    milestone.save(update_fields=["withheld_at", "withheld_reason"])
    return milestone


@transaction.atomic
def exit_open(
    *,
    actor: User,
    contract: Contract,
    reason: str,
    final_evaluation: FinalEvaluation | None = None,
    termination_review: TerminationReview | None = None,
    now: datetime | None = None,
) -> Exit:
    """End the partnership: terminate, withhold, exclude, draft the re-tender, open the handover.

    Preconditions: ``actor`` administers the contract's palace; exactly one cause, of this
    contract: a final evaluation rated 差 and final, or a termination review decided
    "terminate"; a reason; the contract in force and not exited before. Otherwise refused
    (``DomainError`` / ``NotPermitted``) with nothing written. Effects are listed in the
    module's docstring; one audit event records them all, the provider's users and the
    palace's administrators are notified, and ``final_changed`` is sent for a final evaluation.
    """
    now = now or timezone.now()
    contract = (
        Contract.objects.select_for_update(no_key=True)
        .select_related("palace", "provider", "project")
        .get(pk=contract.pk)
    )
    if not can_open_exit(actor, contract):
        raise NotPermitted
    previous = Exit.objects.filter(contract=contract).first()
    if previous is not None:
        raise DomainError(ERR_ALREADY_EXITED % {"number": contract.number, "date": _day(previous.created_at)})
    _check_cause(contract, final_evaluation, termination_review)
    reason = reason.strip()
    if not reason:
        raise DomainError(ERR_EXIT_REASON, field="reason")
    if contract.state not in Contract.IN_FORCE:
        raise DomainError(ERR_NOT_IN_FORCE % {"number": contract.number, "state": contract.get_state_display()})

    before = audit.snapshot(contract, ["state", "ended_at", "end_reason"])
    contract_terminate(actor=actor, contract=contract, reason=reason, now=now)

    today = timezone.localdate(now)
    years = (
        FinalWeights.objects.filter(palace_id=contract.palace_id).values_list("exclusion_years", flat=True).first()
        or DEFAULT_EXCLUSION_YEARS
    )
    # Stored text is in the palace's language, whoever's browser asked.
    with translation.override(settings.LANGUAGE_CODE):
        cause = _cause_text(contract, final_evaluation)
        withheld_reason = str(_("Withheld on the exit from the contract (退出合作): %(reason)s") % {"reason": reason})
    exclusion = Exclusion.objects.create(
        provider=contract.provider,
        palace=contract.palace,
        starts_on=today,
        ends_on=exclusion_end(today, years),
        reason=cause,
        created_by=actor,
    )
    milestone = _withhold(contract, withheld_reason, now)
    retender = recruitment_retender_draft(
        actor=actor,
        recruitment=contract.recruitment,
        project=contract.project,
        excluded_provider=contract.provider,
        now=now,
    )
    exit_ = Exit.objects.create(
        contract=contract,
        final_evaluation=final_evaluation,
        termination_review=termination_review,
        reason=reason,
        exclusion=exclusion,
        withheld_milestone=milestone,
        retender=retender,
        created_by=actor,
        created_at=now,
    )
    HandoverItem.objects.bulk_create([HandoverItem(exit=exit_, kind=kind) for kind in HandoverItem.Kind.values])
    overtaken = _cancel_open_evaluation(contract, termination_review, actor)

    audit.record(
        actor=actor,
        action="exit.opened",
        obj=exit_,
        palace=contract.palace_id,
        before=before,
        after={
            "state": contract.state,
            "ended_at": contract.ended_at,
            "end_reason": contract.end_reason,
            "cause": "final_evaluation" if final_evaluation is not None else "termination_review",
            "final_evaluation": final_evaluation.pk if final_evaluation is not None else None,
            "termination_review": termination_review.pk if termination_review is not None else None,
            "exclusion": {
                "provider": contract.provider.name,
                "starts_on": exclusion.starts_on,
                "ends_on": exclusion.ends_on,
                "years": years,
            },
            "withheld_milestone": (
                {"position": milestone.position, "amount": milestone.amount} if milestone is not None else None
            ),
            "retender": retender.number,
            "handover": list(HandoverItem.Kind.values),
        },
    )

    url = reverse("evaluations:exit_detail", args=[exit_.pk])
    terms = {
        "number": contract.number,
        "provider": contract.provider.name,
        "project": contract.project.name,
        "until": exclusion.ends_on.isoformat(),
        "reason": reason,
    }
    subject = _("Exit (退出合作): contract %(number)s with %(provider)s is terminated") % terms
    lines = [
        _("Reason: %(reason)s") % terms,
        _("%(provider)s is excluded from this palace's recruitments until %(until)s.") % terms,
    ]
    if milestone is not None:
        lines.append(
            _("The payment of ¥%(amount)s (milestone %(position)d) is withheld.")
            % {"amount": f"{milestone.amount:,.2f}", "position": milestone.position}
        )
    lines.append(
        _("Both sides confirm the handover checklist: participant records, keys, equipment and unfinished sessions.")
    )
    body = "\n".join(str(line) for line in lines)
    notify(_provider_users(contract), subject=subject, body=body, url=url)
    notify(
        _admins(contract.palace_id),
        subject=subject,
        body=body
        + "\n"
        + str(_("The re-tender %(retender)s is drafted: review and publish it.") % {"retender": retender.number}),
        url=url,
    )
    for evaluation in (final_evaluation, overtaken):
        if evaluation is not None:
            final_changed.send(sender=FinalEvaluation, evaluation=evaluation)
    transaction.on_commit(lambda: issue_exit_notice(exit_=exit_, actor=actor), robust=True)
    return exit_


def _cancel_open_evaluation(
    contract: Contract, termination_review: TerminationReview | None, actor: User
) -> FinalEvaluation | None:
    """An early termination in the term's last 30 days ends its final evaluation unrated.

    The panel's and the appeal's work stops (the workflow follows ``final_changed``); the
    exit, not a rating, is the term's outcome.
    """
    if termination_review is None:
        return None
    evaluation = (
        FinalEvaluation.objects.select_for_update()
        .filter(contract=contract)
        .exclude(state__in=[FinalEvaluation.State.FINAL, FinalEvaluation.State.CANCELLED])
        .first()
    )
    if evaluation is None:
        return None
    before = audit.snapshot(evaluation, ["state"])
    evaluation.cancel()
    evaluation.save(update_fields=["state"])
    audit.record(
        actor=actor,
        action="final_evaluation.cancelled",
        obj=evaluation,
        palace=contract.palace_id,
        before=before,
        after={"state": evaluation.state, "termination_review": termination_review.pk},
    )
    return evaluation


@transaction.atomic
def handover_confirm(*, actor: User, item: HandoverItem, note: str = "", now: datetime | None = None) -> HandoverItem:
    """One side confirms one line of the handover checklist.

    The provider's users confirm they handed it over; the palace's administrators that they
    took it over. The note is the record of what was handed over, so it is required from the
    first side to confirm an item (whichever it is: the palace may collect the keys first);
    the second side confirms that record, and a remark it adds is appended to it. A side
    confirms an item once. When every item is confirmed by both sides, the handover is
    complete (``Exit.handover_completed_at``), and both sides are told.
    """
    now = now or timezone.now()
    exit_ = Exit.objects.select_related("contract").get(pk=item.exit_id)
    contract = Contract.objects.select_for_update(no_key=True).select_related("provider").get(pk=exit_.contract_id)
    exit_ = Exit.objects.select_for_update().get(pk=exit_.pk)
    exit_.contract = contract
    item = HandoverItem.objects.select_for_update().get(pk=item.pk)
    side = handover_side(actor, exit_)
    if side is None:
        raise NotPermitted
    confirmed_at = item.provider_confirmed_at if side == PROVIDER_SIDE else item.palace_confirmed_at
    if confirmed_at is not None:
        raise DomainError(ERR_ALREADY_CONFIRMED % {"item": item.get_kind_display(), "date": _day(confirmed_at)})
    note = note.strip()
    first = item.provider_confirmed_at is None and item.palace_confirmed_at is None
    if first and not note:
        raise DomainError(ERR_HANDOVER_NOTE, field="note")
    before = audit.snapshot(item, ["note", "provider_confirmed_at", "palace_confirmed_at"])
    if note:
        if not first:
            with translation.override(settings.LANGUAGE_CODE):
                label = str(_("Provider") if side == PROVIDER_SIDE else _("Palace"))
            note = f"{item.note}\n{label}: {note}"
        if len(note) > NOTE_MAX:
            raise DomainError(ERR_NOTE_TOO_LONG % {"max": NOTE_MAX}, field="note")
        item.note = note
    if side == PROVIDER_SIDE:
        item.provider_confirmed_by, item.provider_confirmed_at = actor, now
    else:
        item.palace_confirmed_by, item.palace_confirmed_at = actor, now
    item.save()
    audit.record(
        actor=actor,
        action="handover.confirmed",
        obj=item,
        palace=contract.palace_id,
        before=before,
        after=audit.snapshot(item, ["note", "provider_confirmed_at", "palace_confirmed_at"])
        | {"kind": item.kind, "side": side},
    )
    url = reverse("evaluations:exit_detail", args=[exit_.pk])
    waiting = (
        HandoverItem.objects.filter(exit=exit_)
        .filter(Q(provider_confirmed_at__isnull=True) | Q(palace_confirmed_at__isnull=True))
        .exists()
    )
    if not waiting and exit_.handover_completed_at is None:
        exit_.handover_completed_at = now
        exit_.save(update_fields=["handover_completed_at"])
        audit.record(
            actor=actor,
            action="exit.handover_completed",
            obj=exit_,
            palace=contract.palace_id,
            after={"handover_completed_at": now},
        )
        subject = _("Handover complete for contract %(number)s") % {"number": contract.number}
        notify(_provider_users(contract), subject=subject, url=url)
        notify(_admins(contract.palace_id), subject=subject, url=url)
        if exit_.final_evaluation_id is not None:
            final_changed.send(sender=FinalEvaluation, evaluation=exit_.final_evaluation)
    elif first:  # the other side now has something to confirm
        terms = {"number": contract.number, "item": item.get_kind_display()}
        if side == PROVIDER_SIDE:
            notify(
                _admins(contract.palace_id),
                url=url,
                body=item.note,
                subject=_("Handover of contract %(number)s: the provider handed over “%(item)s”; confirm") % terms,
            )
        else:
            notify(
                _provider_users(contract),
                url=url,
                body=item.note,
                subject=_("Handover of contract %(number)s: the palace recorded “%(item)s”; confirm") % terms,
            )
    return item
