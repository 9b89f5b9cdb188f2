"""The contract's later transitions (DOMAIN.md §2): under rectification and back, into its final
evaluation, completed or terminated. Evaluations decides when and calls these; they are the only code
that fires those transitions of the Contract."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import audit
from core.errors import DomainError
from core.models import User

from ..models import Contract

__all__ = [
    "contract_open_rectification",
    "contract_close_rectification",
    "contract_begin_final",
    "contract_complete",
    "contract_terminate",
    "ERR_CANNOT_OPEN_RECTIFICATION",
    "ERR_CANNOT_CLOSE_RECTIFICATION",
    "ERR_CANNOT_BEGIN_FINAL",
    "ERR_CANNOT_COMPLETE",
    "ERR_CANNOT_TERMINATE",
]


# --- the lifecycle's later transitions (DOMAIN.md §2) --------------------------------------------------
#
# active ⇄ under rectification → in final evaluation → completed | terminated. The evaluations app decides
# when (a failed month, the last order closed, 30 days before the end, the term over, an exit) and calls
# these; they are the only code that fires the Contract's transitions (tests/test_transitions_stay_home.py).
# Each is a step inside the caller's transaction: the caller has asked its own rule (the actor may be None:
# the scheduler, or a worker's rating that failed the month), so the actor is recorded, not checked here.

ERR_CANNOT_OPEN_RECTIFICATION = _(
    "Contract %(number)s is %(state)s: only an active contract can be put under rectification."
)
ERR_CANNOT_CLOSE_RECTIFICATION = _(
    "Contract %(number)s is %(state)s, not under rectification: there is no rectification to close."
)
ERR_CANNOT_BEGIN_FINAL = _(
    "Contract %(number)s is %(state)s: a final evaluation begins only for a contract in "
    "force (active or under rectification)."
)
ERR_CANNOT_COMPLETE = _("Contract %(number)s is %(state)s: only a contract in final evaluation can be completed.")
ERR_CANNOT_TERMINATE = _("Contract %(number)s is %(state)s: only a contract in force can be terminated.")


def _relock(contract: Contract) -> Contract:
    """Lock the caller's contract row FOR NO KEY UPDATE (as every caller does, 0cd0ab2) and re-read its state.

    In place, so the caller's instance (and whatever holds it, such as ``order.contract``) sees the
    new state. Only the contract row is locked: a rating that fails its month arrives here, and a lock
    on the palace too would deadlock it with the ratings in flight.
    """
    contract.refresh_from_db(fields=["state"], from_queryset=Contract.objects.select_for_update(no_key=True))
    return contract


def _fire(contract: Contract, transition, refusal) -> None:
    """Fire ``transition`` (a bound FSM method of ``contract``), or refuse it in the user's words."""
    if not transition.can_proceed():
        raise DomainError(refusal % {"number": contract.number, "state": contract.get_state_display()})
    transition()


def _move(*, actor: User | None, contract: Contract, transition: str, refusal, action: str) -> Contract:
    """Lock, fire the state-only ``transition``, save and audit it as ``action``: one step of the lifecycle."""
    contract = _relock(contract)
    before = audit.snapshot(contract, ["state"])
    _fire(contract, getattr(contract, transition), refusal)
    contract.save(update_fields=["state"])
    audit.record(
        actor=actor,
        action=action,
        obj=contract,
        palace=contract.palace_id,
        before=before,
        after=audit.snapshot(contract, ["state"]),
    )
    return contract


@transaction.atomic
def contract_open_rectification(*, actor: User | None, contract: Contract) -> Contract:
    """Put an active contract under rectification: a rectification order was issued.

    Refused (``DomainError``) unless the contract is active. Audited as ``contract.rectification_opened``.
    """
    return _move(
        actor=actor,
        contract=contract,
        transition="open_rectification",
        refusal=ERR_CANNOT_OPEN_RECTIFICATION,
        action="contract.rectification_opened",
    )


@transaction.atomic
def contract_close_rectification(*, actor: User | None, contract: Contract) -> Contract:
    """Return a contract under rectification to service: its last open order was closed.

    Refused (``DomainError``) unless the contract is under rectification. Audited as
    ``contract.rectification_closed``.
    """
    return _move(
        actor=actor,
        contract=contract,
        transition="close_rectification",
        refusal=ERR_CANNOT_CLOSE_RECTIFICATION,
        action="contract.rectification_closed",
    )


@transaction.atomic
def contract_begin_final(*, actor: User | None, contract: Contract) -> Contract:
    """Move a contract in force (active or under rectification) into its final evaluation.

    Refused (``DomainError``) from any other state. Audited as ``contract.final_evaluation_begun``.
    """
    return _move(
        actor=actor,
        contract=contract,
        transition="begin_final_evaluation",
        refusal=ERR_CANNOT_BEGIN_FINAL,
        action="contract.final_evaluation_begun",
    )


@transaction.atomic
def contract_complete(
    *,
    actor: User | None,
    contract: Contract,
    reason: str,
    now: datetime | None = None,
    cause: Mapping[str, Any] | None = None,
) -> Contract:
    """Complete a contract in final evaluation at the end of its term, with the reason it ended.

    Refused (``DomainError``) unless the contract is in final evaluation. Audited as
    ``contract.completed``; ``cause`` adds the caller's facts to the event (the final rating, the
    re-tender drafted).
    """
    contract = _relock(contract)
    before = audit.snapshot(contract, ["state"])
    _fire(contract, contract.complete, ERR_CANNOT_COMPLETE)
    contract.ended_at, contract.end_reason = now or timezone.now(), reason
    contract.save(update_fields=["state", "ended_at", "end_reason"])
    audit.record(
        actor=actor,
        action="contract.completed",
        obj=contract,
        palace=contract.palace_id,
        before=before,
        after={
            "state": contract.state,
            "ended_at": contract.ended_at,
            "end_reason": contract.end_reason,
            **(cause or {}),
        },
    )
    return contract


@transaction.atomic
def contract_terminate(*, actor: User | None, contract: Contract, reason: str, now: datetime | None = None) -> Contract:
    """Terminate a contract in force before its term ends (an exit), with the reason.

    Refused (``DomainError``) unless the contract is active, under rectification or in final
    evaluation. Audited as ``contract.terminated``; the exit's own event records the rest.
    """
    contract = _relock(contract)
    before = audit.snapshot(contract, ["state", "ended_at", "end_reason"])
    _fire(contract, contract.terminate, ERR_CANNOT_TERMINATE)
    contract.ended_at, contract.end_reason = now or timezone.now(), reason
    contract.save(update_fields=["state", "ended_at", "end_reason"])
    audit.record(
        actor=actor,
        action="contract.terminated",
        obj=contract,
        palace=contract.palace_id,
        before=before,
        after=audit.snapshot(contract, ["state", "ended_at", "end_reason"]),
    )
    return contract
