"""Rows for the final panel review (evaluations/final/views/panel.py) and the final evaluation
workflow's app (evaluations/flows_final.py, "finalevaluation:...").

The panel page is read by the palace's administrators and auditors (and the superuser, a
technical account); only the palace's administrator names the panel and appoints a
replacement. A seat is its evaluator's alone (the world's evaluator): nobody else opens it,
not even the administrator, because the scores are sealed. The workflow's pages show a
process to who may follow it (the palace's administrators and auditors, the panel's
evaluators, the superuser); a task's page opens for whom the task is for. Providers have no
task here: their appeal is on the evaluation's page.

Every evaluation is provider A's at Wenshang, on a contract ending within 30 days, opened and
moved through the services the first time a row asks for it. Each has three evaluators: the
world's, and two more of Wenshang. With no monthly records, the term is rated 差.
"""

from datetime import timedelta
from decimal import Decimal
from functools import cached_property

from django.utils import timezone
from viewflow.workflow.models import Task

from contracts.services import add_months
from core.models import Role
from evaluations import services
from evaluations.final.flows import FinalEvaluationFlow, final_process
from evaluations.final.services.evaluation import final_evaluation_open
from evaluations.models import FinalEvaluation, FinalPanelScore, FinalPanelSeat
from tests.authz import ALL, LOGIN, Check, E, url
from tests.contract_builders import active_contract
from tests.factories import staff

PANEL_READ = E(LOGIN, 403, 403, 403, 403, 200, 403, 200, 200)
NAME = E(LOGIN, 403, 403, 403, 403, 403, 403, 200, 403)  # an empty form comes back with its errors
REPLACE = E(LOGIN, 403, 403, 403, 403, 403, 403, 302, 403)  # nothing chosen: back to the panel, nothing written
POST_ONLY = ALL(405)
SEAT = E(LOGIN, 403, 403, 403, 200, 403, 403, 403, 403)
SEAT_POST = E(LOGIN, 403, 403, 403, 302, 403, 403, 403, 403)  # a stale step: back to the seat, nothing written
FOLLOW = E(LOGIN, 403, 403, 403, 200, 200, 403, 200, 200)  # the palace's staff on it, and the superuser
APP = E(LOGIN, 403, 200, 200, 200, 200, 403, 200, 200)  # the inbox and archive: staff, each their own
APP_INDEX = E(LOGIN, 403, 302, 302, 302, 302, 403, 302, 302)  # providers have no task here
FLOW_INDEX = E(LOGIN, 403, 403, 403, 302, 302, 403, 302, 302)
ADMIN_TASK = E(LOGIN, 403, 403, 403, 403, 403, 403, 302, 403)
SEAT_TASK = E(LOGIN, 403, 403, 403, 302, 403, 403, 403, 403)


def ev(name):
    return lambda w: getattr(w.final_panel, name).pk


def seat_of(name):
    """The world's evaluator's seat on the named evaluation."""
    return lambda w: w.final_panel.seat(name).pk


def recused_seat(w):
    return FinalPanelSeat.objects.get(evaluation=w.final_panel.recusing, state=FinalPanelSeat.State.RECUSED).pk


def task(evaluation: str, node: str):
    """(process pk, task pk) of the task at ``node`` of the named evaluation's process."""
    return (
        lambda w: w.final_panel.task(evaluation, node).process_id,
        lambda w: w.final_panel.task(evaluation, node).pk,
    )


# Each node, and the evaluation whose process has a task there. "done" went all the way: a
# recusal and its replacement, an outlier justified, an appeal decided, a 差 signed off and confirmed.
NODES = {
    node: "done"
    for node in (
        "start",
        "name_panel",
        "seats",
        "seat",
        "recused",
        "replacement",
        "seats_done",
        "outliers",
        "justifications",
        "justify",
        "justified",
        "compiled",
        "appeal_window",
        "appealed",
        "decide_appeal",
        "sign_off",
        "poor",
        "confirm",
        "end",
    )
}
# The open tasks whose pages the workflow forwards to the work.
EXECUTE = {
    "name_panel": ("opened", ADMIN_TASK),
    "seat": ("named", SEAT_TASK),
    "justify": ("justifying", SEAT_TASK),
    "decide_appeal": ("appealed", ADMIN_TASK),
    "sign_off": ("signing", ADMIN_TASK),
    "confirm": ("confirming", ADMIN_TASK),
}

ROWS: dict[str, list[Check]] = {
    "evaluations:final_panel_assign": [
        Check(url("evaluations:final_panel_assign", ev("named")), PANEL_READ),
        Check(url("evaluations:final_panel_assign", ev("done")), PANEL_READ),
        Check(url("evaluations:final_panel_assign", ev("opened")), NAME, "post", {"evaluators": []}),
    ],
    "evaluations:final_panel_replace": [
        Check(url("evaluations:final_panel_replace", recused_seat), POST_ONLY),
        Check(url("evaluations:final_panel_replace", recused_seat), REPLACE, "post"),
    ],
    "evaluations:final_seat": [
        Check(url("evaluations:final_seat", seat_of("named")), SEAT),
        Check(url("evaluations:final_seat", seat_of("done")), SEAT),
        Check(url("evaluations:final_seat", seat_of("named")), SEAT_POST, "post", {"step": "score"}),
    ],
    "finalevaluation:index": [Check(url("finalevaluation:index"), APP_INDEX)],
    "finalevaluation:inbox": [Check(url("finalevaluation:inbox"), APP)],
    "finalevaluation:archive": [Check(url("finalevaluation:archive"), APP)],
    "finalevaluation:chart": [Check(url("finalevaluation:chart"), APP)],
    "finalevaluation:process_chart": [
        Check(url("finalevaluation:process_chart", lambda w: w.final_panel.task("named", "start").process_id), FOLLOW),
    ],
    "finalevaluation:process_detail": [
        Check(url("finalevaluation:process_detail", lambda w: w.final_panel.task("done", "end").process_id), FOLLOW),
    ],
}
for _node, _evaluation in NODES.items():
    ROWS[f"finalevaluation:{_node}:index"] = [
        Check(url(f"finalevaluation:{_node}:index", *task(_evaluation, _node)), FLOW_INDEX)
    ]
    ROWS[f"finalevaluation:{_node}:detail"] = [
        Check(url(f"finalevaluation:{_node}:detail", *task(_evaluation, _node)), FOLLOW)
    ]
for _node, (_evaluation, _expect) in EXECUTE.items():
    ROWS[f"finalevaluation:{_node}:execute"] = [
        Check(url(f"finalevaluation:{_node}:execute", *task(_evaluation, _node)), _expect)
    ]


class FinalPanel:
    """Provider A's final evaluations at Wenshang, each at one step, built through the services on first use."""

    def __init__(self, world):
        self.world = world
        self.users = world.users

    @cached_property
    def colleagues(self):
        wenshang = self.world.wenshang
        return (
            staff(wenshang, Role.EVALUATOR, "t-ws-eval-fp2"),
            staff(wenshang, Role.EVALUATOR, "t-ws-eval-fp3"),
            staff(wenshang, Role.EVALUATOR, "t-ws-eval-fp4"),
            staff(wenshang, Role.ADMIN, "t-ws-admin-fp2"),
        )

    def _open(self) -> FinalEvaluation:
        # A twelve-month term that ends in three weeks: its final evaluation may open today.
        ends = timezone.localdate() + timedelta(days=21)
        contract = active_contract(
            palace=self.world.wenshang,
            provider=self.world.provider_a,
            provider_user=self.users["provider_a"],
            admin=self.users["admin"],
            starts_on=add_months(ends + timedelta(days=1), -12),
        )
        return final_evaluation_open(contract=contract)

    def _named(self) -> tuple[FinalEvaluation, list[FinalPanelSeat]]:
        evaluation = self._open()
        people = [self.users["evaluator"], *self.colleagues[:2]]
        return evaluation, services.final_panel_assign(
            actor=self.users["admin"], evaluation=evaluation, evaluators=people
        )

    def _scored(self, *, outlier_by_world: bool = False, recusal: bool = False) -> FinalEvaluation:
        evaluation, seats = self._named()
        if recusal:
            services.final_panel_declare(actor=seats[2].evaluator, seat=seats[2], conflict="family")
            seats[2] = services.final_panel_replace(
                actor=self.users["admin"], seat=seats[2], evaluator=self.colleagues[2]
            )
        points = ["12", "30", "31"] if outlier_by_world else ["30", "31", "12"]
        for seat, results in zip(seats, points, strict=True):
            services.final_panel_declare(actor=seat.evaluator, seat=seat, conflict="none")
            services.final_panel_submit(
                actor=seat.evaluator,
                seat=seat,
                scores={
                    "results": (Decimal(results), ""),
                    "reputation": (Decimal(22), ""),
                    "management": (Decimal(23), ""),
                },
            )
        return evaluation

    def _justified(self, evaluation: FinalEvaluation) -> FinalEvaluation:
        seat = FinalPanelSeat.objects.get(evaluation=evaluation, state=FinalPanelSeat.State.JUSTIFYING)
        flagged = FinalPanelScore.objects.filter(seat=seat, is_outlier=True)
        services.final_panel_justify(
            actor=seat.evaluator, seat=seat, justifications={s.pk: "全年仅完成计划课时的一半" for s in flagged}
        )
        return FinalEvaluation.objects.get(pk=evaluation.pk)

    def _appealed(self, evaluation: FinalEvaluation):
        return services.appeal_lodge(
            actor=self.users["provider_a"], evaluation=evaluation, grounds="第三季度培训记录未被计入"
        )

    def _signing(self, evaluation: FinalEvaluation) -> FinalEvaluation:
        services.appeal_decide(
            actor=self.users["admin"], appeal=self._appealed(evaluation), decision="upheld", reason="经核实，记录已计入"
        )
        return evaluation

    @cached_property
    def opened(self):
        return self._open()

    @cached_property
    def named(self):
        return self._named()[0]

    @cached_property
    def recusing(self):
        evaluation, seats = self._named()
        services.final_panel_declare(actor=seats[2].evaluator, seat=seats[2], conflict="employment")
        return evaluation

    @cached_property
    def justifying(self):
        return self._scored(outlier_by_world=True)

    @cached_property
    def appealed(self):
        evaluation = self._justified(self._scored())
        self._appealed(evaluation)
        return evaluation

    @cached_property
    def signing(self):
        return self._signing(self._justified(self._scored()))

    @cached_property
    def confirming(self):
        evaluation = self._signing(self._justified(self._scored()))
        return services.final_sign_off(actor=self.colleagues[3], evaluation=evaluation)

    @cached_property
    def done(self):
        evaluation = self._justified(self._scored(recusal=True))
        services.appeal_decide(
            actor=self.users["admin"], appeal=self._appealed(evaluation), decision="upheld", reason="经核实，记录已计入"
        )
        evaluation = services.final_sign_off(actor=self.colleagues[3], evaluation=evaluation)
        return services.final_confirm(actor=self.users["admin"], evaluation=evaluation)

    def seat(self, name: str) -> FinalPanelSeat:
        return FinalPanelSeat.objects.get(evaluation=getattr(self, name), evaluator=self.users["evaluator"])

    def task(self, evaluation: str, node: str) -> Task:
        return (
            Task.objects.filter(
                process=final_process(getattr(self, evaluation)), flow_task=getattr(FinalEvaluationFlow, node)
            )
            .order_by("pk")
            .first()
        )


def build(world) -> None:
    world.final_panel = FinalPanel(world)
