"""What real-time evaluation tells the packages above it (CONVENTIONS.md: a lower layer never imports upwards).

Both are sent inside the transaction that changed the month, so a receiver's writes commit or
roll back with it:

* ``month_failed(period, result, red_line, actor, now)``: the month's new score fails it (below the
  pass mark, or a red line), and the contract is still in force before its final evaluation.
  Rectification issues the order (``evaluations.rectification.receivers``).
* ``closed_month_changed(period)``: an input reached a month whose summary was already issued.
  The standing issues the summary again (``evaluations.standing.receivers``).
"""

from django.dispatch import Signal

month_failed = Signal()
closed_month_changed = Signal()
