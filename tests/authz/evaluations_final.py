"""Rows for the final evaluation's pages (evaluations/final/views/evaluation.py): the table, the evaluation's page,
the provider's appeal, the administrator's decision, sign-off, confirmation and renewal, and the weights.

Who reads an evaluation: the palace's administrators and auditors, the evaluators who sit on
its panel (the world's evaluator sits on every panel here), the contracted provider (A), and
the superuser (a technical account, which reads but decides nothing). Provider B and the other
palace are refused. Only provider A appeals; only the palace's administrator decides, signs
off, confirms and renews. The actions are posted where the service refuses them (the window
is still open, nothing awaits confirmation, nothing is final yet), so the administrator's
answer is the redirect to the page that shows the refusal, and nothing changes.

The weights: each palace's staff read their palace's; its administrators change them (the
other palace's administrator its own); providers and the superuser are refused.

The evaluations are provider A's at Wenshang, built through the services the first time a row
asks: one at its panel review, one proposed today (its appeal window open), one appealed.
"""

from datetime import timedelta
from functools import cached_property

from django.utils import timezone

from contracts.services import add_months
from evaluations import services
from tests.authz import ALL, LOGIN, Check, E, url
from tests.final_builders import opened_evaluation, panel_assigned, proposed_evaluation

READ = E(LOGIN, 403, 403, 403, 200, 200, 200, 200, 200)  # the evaluator sits on the panel
LIST = E(LOGIN, 200, 200, 200, 200, 200, 200, 200, 200)  # everyone's own
PROVIDER_FORM = E(LOGIN, 403, 403, 403, 403, 403, 200, 403, 403)
ADMIN_FORM = E(LOGIN, 403, 403, 403, 403, 403, 403, 200, 403)
ADMIN_ACT = E(LOGIN, 403, 403, 403, 403, 403, 403, 302, 403)  # refused by the service, shown on the page
POST_ONLY = ALL(405)
WEIGHTS_READ = E(LOGIN, 403, 200, 200, 200, 200, 403, 200, 403)
WEIGHTS_EDIT = E(LOGIN, 403, 200, 403, 403, 403, 403, 200, 403)  # 40+30+30+10 = 110: the form again


def ev(name):
    return lambda w: getattr(w.final, name).pk


ROWS: dict[str, list[Check]] = {
    "evaluations:final_list": [
        Check(url("evaluations:final_list"), LIST),
        Check(lambda w: url("evaluations:final_list")(w) + "?_export=csv", LIST),
    ],
    "evaluations:final_detail": [
        Check(url("evaluations:final_detail", ev("panel")), READ),
        Check(url("evaluations:final_detail", ev("proposed")), READ),
    ],
    "evaluations:final_appeal": [
        Check(url("evaluations:final_appeal", ev("proposed")), PROVIDER_FORM),
        # No grounds: the form again with the service's message, and no appeal.
        Check(url("evaluations:final_appeal", ev("proposed")), PROVIDER_FORM, "post", {"grounds": ""}),
    ],
    "evaluations:final_appeal_decide": [
        Check(url("evaluations:final_appeal_decide", ev("appealed")), POST_ONLY),
        # No decision, no reason: the page again with the service's message, and nothing decided.
        Check(url("evaluations:final_appeal_decide", ev("appealed")), ADMIN_FORM, "post"),
    ],
    "evaluations:final_sign_off": [
        Check(url("evaluations:final_sign_off", ev("proposed")), POST_ONLY),
        Check(url("evaluations:final_sign_off", ev("proposed")), ADMIN_ACT, "post"),  # the window is open
    ],
    "evaluations:final_confirm": [
        Check(url("evaluations:final_confirm", ev("proposed")), POST_ONLY),
        Check(url("evaluations:final_confirm", ev("proposed")), ADMIN_ACT, "post"),  # nothing to confirm
    ],
    "evaluations:final_renew": [
        Check(url("evaluations:final_renew", ev("proposed")), POST_ONLY),
        Check(url("evaluations:final_renew", ev("proposed")), ADMIN_ACT, "post"),  # not final
    ],
    "evaluations:final_weights": [
        Check(url("evaluations:final_weights"), WEIGHTS_READ),
        Check(
            url("evaluations:final_weights"),
            WEIGHTS_EDIT,
            "post",
            {"period_scores": 40, "kpi": 30, "satisfaction": 30, "panel": 10, "exclusion_years": 1},
        ),
    ],
}


class FinalEvaluations:
    """Provider A's final evaluations at Wenshang, each on its own contract, built on first use."""

    def __init__(self, world):
        self.world = world
        self.users = world.users

    def _kwargs(self, **more) -> dict:
        return {
            "palace": self.world.wenshang,
            "provider": self.world.provider_a,
            "provider_user": self.users["provider_a"],
            "admin": self.users["admin"],
            "term": None,
        } | more

    def _proposed_today(self):
        """A term ending 23 days from today: opened a week ago, proposed today, its window open for 5 working days."""
        today = timezone.localdate()
        starts_on = add_months(today + timedelta(days=24), -12)
        return proposed_evaluation(proposed_on=today, **self._kwargs(starts_on=starts_on))

    @cached_property
    def panel(self):
        evaluation = opened_evaluation(**self._kwargs())
        panel_assigned(evaluation, admin=self.users["admin"])
        return evaluation

    @cached_property
    def proposed(self):
        return self._proposed_today()

    @cached_property
    def appealed(self):
        evaluation = self._proposed_today()
        services.appeal_lodge(actor=self.users["provider_a"], evaluation=evaluation, grounds="满意度统计口径有误。")
        return evaluation


def build(world) -> None:
    world.final = FinalEvaluations(world)
