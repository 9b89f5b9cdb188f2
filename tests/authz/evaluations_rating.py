"""Rows for worker ratings: the public rating page, and an activity's QR code and poster.

The rating page is public: every role, logged in or not, gets the same answers. The QR
code and the poster are for the palace's staff (any role), the contracted provider's
users and the superuser; provider B and the other palace are refused.

The activity is provider A's, today, in the current month's report of a contract that
began on the first of this month, so the link is within its rating window whenever
the suite runs. It is built on first use.
"""

from functools import cached_property

from django.utils import timezone

from contracts import services as contract_services
from evaluations import services
from tests.authz import ALL, LOGIN, Check, E, url
from tests.contract_builders import active_contract

READ = E(LOGIN, 403, 403, 403, 200, 200, 200, 200, 200)


def token(w):
    return w.ratings.link.token


def activity(w):
    return w.ratings.activity.pk


ROWS: dict[str, list[Check]] = {
    "rate": [
        Check(url("rate", token), ALL(200)),
        Check(url("rate", "not-a-real-token-000000"), ALL(404)),
        # A POST from a browser that never opened the page (no device cookie) stores nothing:
        # it is handed a cookie and asked to send the form again.
        # Someone who only audits is refused any write, a rating included (core.middleware).
        Check(url("rate", token), {**ALL(400), "auditor": 403, "other_auditor": 403}, "post", {"stars": "5"}),
    ],
    "evaluations:activity_qr": [Check(url("evaluations:activity_qr", activity), READ)],
    "evaluations:activity_poster": [Check(url("evaluations:activity_poster", activity), READ)],
}


class RatedActivity:
    def __init__(self, world):
        self.world = world

    @cached_property
    def activity(self):
        today = timezone.localdate()
        user = self.world.users["provider_a"]
        contract = active_contract(
            palace=self.world.wenshang,
            provider=self.world.provider_a,
            provider_user=user,
            admin=self.world.users["admin"],
            starts_on=today.replace(day=1),
        )
        report = contract.reports.get(sequence=1)
        contract_services.report_save(
            actor=user,
            report=report,
            narrative="本月活动",
            activities=[contract_services.ActivityInput(today, "职工书法兴趣班", "culture", "二楼书画室", 28)],
        )
        return report.activities.get()

    @cached_property
    def link(self):
        return services.rating_link_for(self.activity)


def build(world) -> None:
    world.ratings = RatedActivity(world)
