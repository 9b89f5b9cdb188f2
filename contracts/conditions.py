"""What later stages know about a contract, read through one seam.

The payment milestones depend on facts that the evaluations app records: whether a
rectification order is open, and the final rating. Contracts must not import
evaluations (imports run core ← procurement ← contracts ← evaluations), so
evaluations registers its readers here when it starts. Until one is registered the
answer is ``None``, "not yet evaluated", and a milestone that depends on it stays
locked: an unknown is never taken for a pass.
"""

from collections.abc import Callable

from .models import Contract

# Ratings of 合格 (pass) or better release the final milestone (DOMAIN.md §2, §5).
PASSING_RATINGS = {"excellent", "good", "pass"}

_open_rectification: Callable[[Contract], bool] | None = None
_final_rating: Callable[[Contract], str | None] | None = None


def register(
    *,
    open_rectification: Callable[[Contract], bool] | None = None,
    final_rating: Callable[[Contract], str | None] | None = None,
) -> None:
    global _open_rectification, _final_rating
    if open_rectification is not None:
        _open_rectification = open_rectification
    if final_rating is not None:
        _final_rating = final_rating


def open_rectification(contract: Contract) -> bool | None:
    """Whether a rectification order is open; ``None`` while rectification is not evaluated."""
    if contract.state == Contract.State.RECTIFICATION:
        return True
    return None if _open_rectification is None else _open_rectification(contract)


def final_rating(contract: Contract) -> str | None:
    """The final rating's code, or ``None`` when there is none (yet)."""
    return None if _final_rating is None else _final_rating(contract)
