"""The exit listens to the two decisions that end a partnership (DOMAIN.md §4 and §5).

A final rating of 差 made final, and an early termination decided after a second failed
rectification order, both run the one exit (``exit_open``) inside the decision's own
transaction: if the exit is refused, the decision is not recorded either.
"""

from django.dispatch import receiver

from evaluations.exit.services import exit_open
from evaluations.final.models import FinalEvaluation
from evaluations.final.signals import final_rated_poor
from evaluations.rectification.models import TerminationReview
from evaluations.rectification.signals import termination_decided


@receiver(final_rated_poor, sender=FinalEvaluation, dispatch_uid="evaluations.exit.final_rated_poor")
def exit_on_poor_rating(sender, evaluation: FinalEvaluation, reason: str, actor, now, **kwargs) -> None:
    exit_open(actor=actor, contract=evaluation.contract, reason=reason, final_evaluation=evaluation, now=now)


@receiver(termination_decided, sender=TerminationReview, dispatch_uid="evaluations.exit.termination_decided")
def exit_on_termination(sender, review: TerminationReview, actor, now, **kwargs) -> None:
    exit_open(actor=actor, contract=review.contract, reason=review.reason, termination_review=review, now=now)
