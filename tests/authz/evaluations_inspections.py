"""Rows for inspections, red lines, checklists, weights and the evaluator's inbox (evaluations/realtime/views/inspections.py).

The palace's administrator assigns inspections and keeps the checklists and weights
(the other palace's administrator keeps its own, and reads its own pages); the assigned
evaluator scores; evaluators and the administrator record red lines; the palace's staff
and the superuser read inspections and red lines. The provider sees an inspection only
once it is submitted: before that, any provider gets a 404, so that a spot check stays
unannounced. The superuser is a technical account: it reads, but keeps no palace's settings.

Objects are provider A's at Wenshang, built through the services the first time a row asks.
"""

from datetime import timedelta
from decimal import Decimal
from functools import cached_property

from django.utils import timezone

import evaluations.realtime.sections  # noqa: F401  (registers the evidence file policy; apps.py imports it too)
from evaluations import services
from tests.authz import LOGIN, Check, E, foundation, url
from tests.contract_builders import active_contract
from tests.factories import png_upload

EVALUATOR_ONLY = E(LOGIN, 403, 403, 403, 200, 403, 403, 403, 403)
ADMIN_PAGE = E(LOGIN, 403, 403, 403, 403, 403, 403, 200, 403)
ANY_ADMIN_PAGE = E(LOGIN, 403, 200, 403, 403, 403, 403, 200, 403)  # each administrator, its own palace
RED_LINE_FORM = E(LOGIN, 403, 403, 403, 200, 403, 403, 200, 403)
ASSIGNED_READ = E(LOGIN, 404, 403, 403, 200, 200, 404, 200, 200)
ASSIGNED_SUBMIT = E(LOGIN, 404, 403, 403, 200, 403, 404, 403, 403)  # the inspector, refused by the form
SUBMITTED_READ = E(LOGIN, 403, 403, 403, 200, 200, 200, 200, 200)
SHARED_READ = E(LOGIN, 403, 403, 403, 200, 200, 200, 200, 200)


# The POST that adds Wenshang's standard checklists; build() fills in Wenshang's id for each world.
STANDARD_CHECKLISTS_POST = {"action": "standard", "palace": ""}


def o(name):
    return lambda w: getattr(w.inspections, name).pk


ROWS: dict[str, list[Check]] = {
    "evaluations:inbox": [Check(url("evaluations:inbox"), EVALUATOR_ONLY)],
    "evaluations:inspection_assign": [
        Check(url("evaluations:inspection_assign", o("contract")), ADMIN_PAGE),
        # An empty form comes back with its errors; nothing is assigned.
        Check(url("evaluations:inspection_assign", o("contract")), ADMIN_PAGE, "post"),
    ],
    "evaluations:inspection": [
        Check(url("evaluations:inspection", o("assigned")), ASSIGNED_READ),
        Check(url("evaluations:inspection", o("assigned")), ASSIGNED_SUBMIT, "post"),
        Check(url("evaluations:inspection", o("submitted")), SUBMITTED_READ),
    ],
    "evaluations:red_line_record": [
        Check(url("evaluations:red_line_record", o("contract")), RED_LINE_FORM),
        # No category, no description: the form again, and no red line.
        Check(url("evaluations:red_line_record", o("contract")), RED_LINE_FORM, "post"),
    ],
    "evaluations:red_line": [Check(url("evaluations:red_line", o("red_line")), SHARED_READ)],
    "evaluations:checklist_list": [
        Check(url("evaluations:checklist_list"), ANY_ADMIN_PAGE),
        # Wenshang's standard checklists: only Wenshang's administrator may add them.
        Check(
            url("evaluations:checklist_list"),
            E(LOGIN, 403, 403, 403, 403, 403, 403, 302, 403),
            "post",
            STANDARD_CHECKLISTS_POST,
        ),
    ],
    "evaluations:checklist_create": [
        Check(url("evaluations:checklist_create"), ANY_ADMIN_PAGE),
        Check(url("evaluations:checklist_create"), ANY_ADMIN_PAGE, "post"),
    ],
    "evaluations:weights": [
        Check(url("evaluations:weights"), ANY_ADMIN_PAGE),
        # 40/20/30/20 adds up to 110: refused on the page, nothing saved.
        Check(
            url("evaluations:weights"),
            ANY_ADMIN_PAGE,
            "post",
            {"inspections": 40, "reports": 20, "satisfaction": 30, "kpi": 20},
        ),
    ],
}

# The download URL's row belongs to the foundation; this adds its check for a submitted inspection's evidence.
EVIDENCE_FILE_CHECKS = [
    Check(url("file_download", lambda w: w.inspections.evidence_file.pk), SHARED_READ),
]
if EVIDENCE_FILE_CHECKS[0] not in foundation.ROWS["file_download"]:
    foundation.ROWS["file_download"].extend(EVIDENCE_FILE_CHECKS)


class Inspections:
    """Provider A's contract at Wenshang, a checklist, a spot check assigned and one submitted, and a red line."""

    def __init__(self, world):
        self.world = world
        self.admin = world.users["admin"]
        self.evaluator = world.users["evaluator"]

    @cached_property
    def contract(self):
        # Starting this month, so that today is inside the term whenever the matrix runs.
        return active_contract(
            palace=self.world.wenshang,
            provider=self.world.provider_a,
            provider_user=self.world.users["provider_a"],
            admin=self.admin,
            starts_on=timezone.localdate().replace(day=1),
        )

    @cached_property
    def checklist(self):
        return services.checklist_create(
            actor=self.admin,
            palace_id=self.world.wenshang.pk,
            category="training",
            name="培训服务现场检查表",
            items=[
                services.ChecklistItemInput("师资到位", Decimal(60)),
                services.ChecklistItemInput("签到真实", Decimal(40)),
            ],
        )

    def _assign(self, kind="spot"):
        return services.inspection_assign(
            actor=self.admin,
            contract=self.contract,
            checklist=self.checklist,
            inspector=self.evaluator,
            due_on=timezone.localdate() + timedelta(days=3),
            kind=kind,
        )

    @cached_property
    def assigned(self):
        return self._assign()

    @cached_property
    def submitted(self):
        inspection = self._assign("scheduled")
        return services.inspection_submit(
            actor=self.evaluator,
            inspection=inspection,
            inspected_on=timezone.localdate(),
            items={i.pk: services.ItemScoreInput(Decimal(85)) for i in self.checklist.items.all()},
            evidence=[png_upload("现场照片.png")],
        )

    @property
    def evidence_file(self):
        return self.submitted.evidence.get().file

    @cached_property
    def red_line(self):
        return services.red_line_record(
            actor=self.evaluator,
            contract=self.contract,
            category="safety",
            occurred_on=timezone.localdate(),
            description="消防通道堵塞",
        )


def build(world) -> None:
    world.inspections = Inspections(world)
    STANDARD_CHECKLISTS_POST["palace"] = str(world.wenshang.pk)
