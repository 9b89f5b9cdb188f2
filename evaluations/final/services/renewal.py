"""The outcome at the end of a term (DOMAIN.md §5): an 优秀 or 良好 may be renewed once without
re-tender (``final_renew``); when the term ends (``final_terms_end``) the contract is completed
and a 合格 is re-tendered.
"""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract
from contracts.services import contract_complete, contract_renew
from core import audit
from core.errors import DomainError, NotPermitted
from core.models import User
from core.scheduler import claim
from evaluations.final.models import FinalEvaluation
from evaluations.final.permissions import RENEWABLE_RATINGS, is_final_admin
from evaluations.final.services.evaluation import State, _changed, _label, _lock
from procurement.services.retender import recruitment_retender_draft

ERR_RENEW_NOT_FINAL = _("The rating is not final yet.")


ERR_RENEW_RATING = _(
    "Only a final rating of 优秀 or 良好 may be renewed without re-tender; this contract is rated %(rating)s."
)


ERR_RENEW_DONE = _("The outcome of this evaluation is already decided: %(outcome)s.")


@transaction.atomic
def final_renew(*, actor: User, evaluation: FinalEvaluation, now: datetime | None = None) -> Contract:
    """Renew a contract rated 优秀 or 良好 once without re-tender: a new term, drafted, linked to the old one."""
    now = now or timezone.now()
    evaluation, contract = _lock(evaluation)
    if not is_final_admin(actor, evaluation):
        raise NotPermitted
    if evaluation.state != State.FINAL:
        raise DomainError(ERR_RENEW_NOT_FINAL)
    if evaluation.rating not in RENEWABLE_RATINGS:
        raise DomainError(ERR_RENEW_RATING % {"rating": _label(evaluation.rating)})
    if evaluation.outcome:
        raise DomainError(ERR_RENEW_DONE % {"outcome": evaluation.get_outcome_display()})
    renewal = contract_renew(actor=actor, contract=contract, now=now)
    evaluation.outcome, evaluation.outcome_at, evaluation.outcome_by = FinalEvaluation.Outcome.RENEWED, now, actor
    evaluation.save(update_fields=["outcome", "outcome_at", "outcome_by"])
    audit.record(
        actor=actor,
        action="final_evaluation.renewed",
        obj=evaluation,
        palace=contract.palace_id,
        after={"outcome": evaluation.outcome, "renewal": renewal.number, "starts_on": renewal.starts_on},
    )
    _changed(evaluation)
    return renewal


def final_terms_end(now: datetime) -> int:
    """Tick: a term that has ended after a final rating (other than an exit) is completed.

    For a 合格 the re-tender is drafted from the contract's recruitment (or, for a contract
    made outside Hezuo or a renewal, from its service project) for the administrator to
    review and publish.
    """
    today = timezone.localdate(now)
    due = Contract.objects.filter(
        state=Contract.State.FINAL_EVALUATION, ends_on__lt=today, final_evaluation__state=State.FINAL
    ).exclude(final_evaluation__outcome=FinalEvaluation.Outcome.EXITED)
    ended = 0
    for pk in due.order_by("ends_on", "pk").values_list("pk", flat=True):
        with transaction.atomic():
            contract = claim(due, pk)
            if contract is None:
                continue
            evaluation = FinalEvaluation.objects.select_for_update().get(contract=contract)
            _complete(contract, evaluation, now)
            ended += 1
    return ended


def _complete(contract: Contract, evaluation: FinalEvaluation, now: datetime) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        reason = str(
            _("The term ended on %(date)s with a final rating of %(rating)s.")
            % {"date": f"{contract.ends_on:%Y-%m-%d}", "rating": _label(evaluation.rating)}
        )
    retender = None
    if evaluation.outcome == FinalEvaluation.Outcome.RETENDER:
        retender = recruitment_retender_draft(
            actor=None, recruitment=_first_recruitment(contract), project=contract.project, now=now
        )
    contract_complete(
        actor=None,
        contract=contract,
        reason=reason,
        now=now,
        cause={"rating": evaluation.rating, "retender": retender.number if retender else None},
    )


def _first_recruitment(contract: Contract):
    """The recruitment the service was last awarded by: a renewal's is its original term's."""
    seen = set()
    while contract is not None and contract.pk not in seen:
        if contract.recruitment_id is not None:
            return contract.recruitment
        seen.add(contract.pk)
        contract = contract.renewal_of
    return None
