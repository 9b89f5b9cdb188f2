"""The signal every final-evaluation service sends after it changes an evaluation.

Sent inside the service's transaction with ``evaluation``; ``evaluations.flows_final``
follows it to keep the evaluation's workflow (its inbox tasks) in step, exactly as
``panel_changed`` and ``rectification_changed`` do for the other two processes.
"""

from django.dispatch import Signal

final_changed = Signal()
