"""What rectification tells the packages above it.

* ``termination_decided(review, actor, now)``: an administrator decided to end the partnership
  early after a second failed order. Sent inside the decision's transaction; the exit
  (``evaluations.exit.receivers``) terminates the contract there and then.
"""

from django.dispatch import Signal

termination_decided = Signal()
