"""The signals of the final evaluation.

``final_rated_poor(evaluation, reason, actor, now)`` is sent inside the transaction that makes a
差 final; the exit (``evaluations.exit.receivers``) ends the partnership there and then.

``final_changed`` is the signal every final-evaluation service sends after it changes an evaluation.

Sent inside the service's transaction with ``evaluation``; ``evaluations.flows_final``
follows it to keep the evaluation's workflow (its inbox tasks) in step, exactly as
``panel_changed`` and ``rectification_changed`` do for the other two processes.
"""

from django.dispatch import Signal

final_changed = Signal()
final_rated_poor = Signal()
