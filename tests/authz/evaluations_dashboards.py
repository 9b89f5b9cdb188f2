"""Rows for the standing of contracts (evaluations/standing/views.py): the board, the provider's scores,
and one contract's score.

The board is the palace staff's to read, each seeing only their own palaces' contracts
(the other palace's staff get an empty board); providers are refused it. "My scores" is
a provider's own page, so staff are refused it. A contract's score is for whoever may
see the contract: its palace's staff and its provider (A); provider B and the other
palace are refused.

The contract is provider A's at Wenshang, built lazily through tests/contract_builders.py
the first time a row asks for it.
"""

from functools import cached_property

from tests.authz import LOGIN, Check, E, url
from tests.contract_builders import active_contract

BOARD = E(LOGIN, 403, 200, 200, 200, 200, 403, 200, 200)
OWN = E(LOGIN, 200, 403, 403, 403, 403, 200, 403, 403)
SHARED_READ = E(LOGIN, 403, 403, 403, 200, 200, 200, 200, 200)


def c(w):
    return w.evaluations_dashboards.active.pk


ROWS: dict[str, list[Check]] = {
    "evaluations:dashboard": [
        Check(url("evaluations:dashboard"), BOARD),
        Check(lambda w: url("evaluations:dashboard")(w) + "?standing=red&sort=-score", BOARD),
    ],
    "evaluations:provider_scores": [Check(url("evaluations:provider_scores"), OWN)],
    "evaluations:contract_score": [Check(url("evaluations:contract_score", c), SHARED_READ)],
}


class DashboardWorld:
    def __init__(self, world):
        self.world = world

    @cached_property
    def active(self):
        return active_contract(
            palace=self.world.wenshang,
            provider=self.world.provider_a,
            provider_user=self.world.users["provider_a"],
            admin=self.world.users["admin"],
        )


def build(world) -> None:
    world.evaluations_dashboards = DashboardWorld(world)
