"""Rows for the staff's contract pages: the contracts and overdue tables, the shared contract and
report pages, and their actions (contracts/views_staff.py).

The palace's staff read; its administrator edits, signs and releases; its evaluators and
administrator review reports; the contracted provider (A) reads its own contract and
reports. Provider B, the other palace and, for the actions, the superuser (a technical
account) are refused. Every action is POST only: a GET is 405 for everyone.

The contracts are provider A's at Wenshang, built lazily through tests/contract_builders.py
and the services the first time a row asks for one.
"""

from functools import cached_property

from contracts import services
from tests.authz import ALL, LOGIN, Check, E, url
from tests.contract_builders import active_contract, draft_contract

STAFF_TABLE = E(LOGIN, 403, 200, 200, 200, 200, 403, 200, 200)
SHARED_READ = E(LOGIN, 403, 403, 403, 200, 200, 200, 200, 200)
ADMIN_PAGE = E(LOGIN, 403, 403, 403, 403, 403, 403, 200, 403)
ADMIN_ACT = E(LOGIN, 403, 403, 403, 403, 403, 403, 302, 403)
REVIEW = E(LOGIN, 403, 403, 403, 302, 403, 403, 302, 403)
POST_ONLY = ALL(405)


def c(name):
    return lambda w: getattr(w.contracts_staff, name).pk


ROWS: dict[str, list[Check]] = {
    "contracts:contract_list": [
        Check(url("contracts:contract_list"), STAFF_TABLE),
        Check(lambda w: url("contracts:contract_list")(w) + "?_export=csv", STAFF_TABLE),
    ],
    "contracts:overdue_reports": [
        Check(url("contracts:overdue_reports"), STAFF_TABLE),
        Check(lambda w: url("contracts:overdue_reports")(w) + "?_export=xlsx", STAFF_TABLE),
    ],
    "contracts:contract_detail": [
        Check(url("contracts:contract_detail", c("draft")), SHARED_READ),
        Check(url("contracts:contract_detail", c("active")), SHARED_READ),
    ],
    "contracts:contract_edit": [
        Check(url("contracts:contract_edit", c("draft")), ADMIN_PAGE),
        # An empty form comes back with its errors, and nothing is written.
        Check(url("contracts:contract_edit", c("draft")), ADMIN_PAGE, "post"),
        # In force: no longer editable, back to the contract page with the reason.
        Check(url("contracts:contract_edit", c("active")), ADMIN_ACT),
    ],
    "contracts:contract_sign": [
        Check(url("contracts:contract_sign", c("draft")), POST_ONLY),
        Check(url("contracts:contract_sign", c("draft")), ADMIN_ACT, "post"),
    ],
    "contracts:milestone_release": [
        Check(
            url("contracts:milestone_release", c("active"), lambda w: w.contracts_staff.signing_milestone.pk), POST_ONLY
        ),
        Check(
            url("contracts:milestone_release", c("active"), lambda w: w.contracts_staff.signing_milestone.pk),
            ADMIN_ACT,
            "post",
        ),
    ],
    "contracts:report_detail": [
        Check(url("contracts:report_detail", c("submitted_report")), SHARED_READ),
        Check(url("contracts:report_detail", c("pending_report")), SHARED_READ),
    ],
    "contracts:report_review": [
        Check(url("contracts:report_review", c("submitted_report")), POST_ONLY),
        Check(
            url("contracts:report_review", c("submitted_report")),
            REVIEW,
            "post",
            {"decision": "return", "comment": "请补充签到表"},
        ),
    ],
}


class StaffContracts:
    """Provider A's contracts at Wenshang: a draft, and one in force with a submitted report."""

    def __init__(self, world):
        self.world = world

    @cached_property
    def draft(self):
        return draft_contract(palace=self.world.wenshang, provider=self.world.provider_a)

    @cached_property
    def active(self):
        return active_contract(
            palace=self.world.wenshang,
            provider=self.world.provider_a,
            provider_user=self.world.users["provider_a"],
            admin=self.world.users["admin"],
        )

    @property
    def signing_milestone(self):
        return self.active.milestones.get(position=1)

    @cached_property
    def submitted_report(self):
        report = self.active.reports.get(sequence=1)
        actor = self.world.users["provider_a"]
        services.report_save(
            actor=actor,
            report=report,
            narrative="本月开展培训两场。",
            activities=[services.ActivityInput(report.period_start, "职工书法培训", "training", "二楼教室", 25)],
        )
        return services.report_submit(actor=actor, report=report)

    @property
    def pending_report(self):
        return self.active.reports.get(sequence=2)


def build(world) -> None:
    world.contracts_staff = StaffContracts(world)
