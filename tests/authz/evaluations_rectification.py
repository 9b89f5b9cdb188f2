"""Rows for rectification: the orders table, the order page and its two forms, the termination
review, and the rectification workflow's pages (evaluations/flows.py, "rectification:...").

The palace's staff and the contracted provider (A) read the order; only provider A answers
it, only its re-inspector (the world's evaluator, who recorded the red line) re-inspects
it, and only the palace's administrator decides a termination review, which the provider
reads once decided. Provider B and the other palace are refused; the superuser (a
technical account) reads and is refused the actions. The orders table is everyone's, each
seeing their own. The workflow's task pages open for whom the task is for.

The orders are provider A's at Wenshang, issued through the services (a red line issues
one at once) the first time a row asks for one, on contracts whose term covers today.
"""

from datetime import datetime, timedelta
from functools import cached_property

from django.utils import timezone
from viewflow.workflow.models import Task

from evaluations import services
from evaluations.models import RectificationOrder, TerminationReview
from evaluations.rectification.documents import issue_rectification_notice
from evaluations.rectification.flows import RectificationFlow, order_process
from tests.authz import ALL, LOGIN, Check, E, foundation, url
from tests.contract_builders import active_contract
from tests.factories import evidence_for

ANYONE = E(LOGIN, 200, 200, 200, 200, 200, 200, 200, 200)
READ = E(LOGIN, 403, 403, 403, 200, 200, 200, 200, 200)  # the palace's staff and the contracted provider
STAFF_READ = E(LOGIN, 403, 403, 403, 200, 200, 403, 200, 200)
POST_ONLY = ALL(405)
ANSWER = E(LOGIN, 403, 403, 403, 403, 403, 302, 403, 403)
REINSPECT = E(LOGIN, 403, 403, 403, 302, 403, 403, 403, 403)
# An empty form comes back with the service's message, and nothing is written.
ANSWER_FORM = E(LOGIN, 403, 403, 403, 403, 403, 200, 403, 403)
REINSPECT_FORM = E(LOGIN, 403, 403, 403, 200, 403, 403, 403, 403)
DECIDE = E(LOGIN, 403, 403, 403, 403, 403, 403, 302, 403)
FLOW_APP = E(LOGIN, 302, 302, 302, 302, 302, 302, 302, 302)
FLOW_INDEX = E(LOGIN, 403, 403, 403, 302, 302, 302, 302, 302)


def o(name):
    return lambda w: getattr(w.rectification, name).pk


def task(order: str, node: str):
    """(process pk, task pk) of the task at ``node`` of the named order's process."""
    return (lambda w: w.rectification.task(order, node).process_id, lambda w: w.rectification.task(order, node).pk)


# Each node, and the order whose process has a task there: the first failed order went through
# re-inspection; the second failed on its deadline and asked for the administrator's decision.
NODES = {
    "start": "open",
    "respond": "open",
    "answered": "first_failed",
    "reinspect": "first_failed",
    "review": "first_failed",
    "decide": "second_failed",
    "end": "first_failed",
}

ROWS: dict[str, list[Check]] = {
    "evaluations:order_list": [
        Check(url("evaluations:order_list"), ANYONE),
        Check(lambda w: url("evaluations:order_list")(w) + "?_export=xlsx", ANYONE),
    ],
    "evaluations:order": [
        Check(url("evaluations:order", o("open")), READ),
        Check(url("evaluations:order", o("first_failed")), READ),
    ],
    "evaluations:order_respond": [
        Check(url("evaluations:order_respond", o("open")), POST_ONLY),
        Check(url("evaluations:order_respond", o("open")), ANSWER_FORM, "post"),
    ],
    "evaluations:order_reinspect": [
        Check(url("evaluations:order_reinspect", o("responded")), POST_ONLY),
        Check(url("evaluations:order_reinspect", o("responded")), REINSPECT_FORM, "post"),
    ],
    "evaluations:termination_review": [
        Check(url("evaluations:termination_review", o("pending_review")), STAFF_READ),
        Check(url("evaluations:termination_review", o("decided_review")), READ),
        Check(
            url("evaluations:termination_review", o("pending_review")),
            DECIDE,
            "post",
            {"decision": "continue", "reason": "已约谈机构负责人，给予最后一次整改机会。"},
        ),
    ],
    # The workflow's app: everyone's own inbox and archive; a process for who may see its order.
    "rectification:index": [Check(url("rectification:index"), FLOW_APP)],
    "rectification:inbox": [Check(url("rectification:inbox"), ANYONE)],
    "rectification:archive": [Check(url("rectification:archive"), ANYONE)],
    "rectification:chart": [Check(url("rectification:chart"), ANYONE)],
    "rectification:process_chart": [
        Check(url("rectification:process_chart", lambda w: w.rectification.task("open", "start").process_id), READ),
    ],
    "rectification:process_detail": [
        Check(url("rectification:process_detail", lambda w: w.rectification.task("open", "start").process_id), READ),
        Check(
            url("rectification:process_detail", lambda w: w.rectification.task("second_failed", "decide").process_id),
            READ,
        ),
    ],
    "rectification:respond:execute": [Check(url("rectification:respond:execute", *task("open", "respond")), ANSWER)],
    "rectification:reinspect:execute": [
        Check(url("rectification:reinspect:execute", *task("responded", "reinspect")), REINSPECT),
    ],
    "rectification:decide:execute": [
        Check(url("rectification:decide:execute", *task("second_failed", "decide")), DECIDE),
    ],
}
for _node, _order in NODES.items():
    ROWS[f"rectification:{_node}:index"] = [
        Check(url(f"rectification:{_node}:index", *task(_order, _node)), FLOW_INDEX)
    ]
    ROWS[f"rectification:{_node}:detail"] = [Check(url(f"rectification:{_node}:detail", *task(_order, _node)), READ)]

# The download URLs' rows belong to the foundation; these add checks for a notice and an answer's evidence.
RECTIFICATION_DOWNLOADS = [
    Check(url("document_download", lambda w: w.rectification.notice.pk), READ),
]
if RECTIFICATION_DOWNLOADS[0] not in foundation.ROWS["document_download"]:
    foundation.ROWS["document_download"].extend(RECTIFICATION_DOWNLOADS)


class Rectification:
    """Provider A's orders at Wenshang, each issued by a red line, built through the services on first use."""

    def __init__(self, world):
        self.world = world
        self.users = world.users

    def _contract(self):
        # The term starts this month, so that today's red lines fall inside it.
        return active_contract(
            palace=self.world.wenshang,
            provider=self.world.provider_a,
            provider_user=self.users["provider_a"],
            admin=self.users["admin"],
            starts_on=timezone.localdate().replace(day=1),
        )

    def _order(self, contract, text: str) -> RectificationOrder:
        line = services.red_line_record(
            actor=self.users["evaluator"],
            contract=contract,
            category="charging",
            occurred_on=timezone.localdate(),
            description=text,
        )
        return RectificationOrder.objects.get(red_line=line)

    def _answer(self, order):
        return services.order_respond(
            actor=self.users["provider_a"],
            order=order,
            evidence=evidence_for(order),
            responses={f.pk: "已退还并公示" for f in order.findings.all()},
        )

    @cached_property
    def contract(self):
        return self._contract()

    @cached_property
    def open(self):
        return self._order(self.contract, "向参训职工收取资料费每人 50 元")

    @cached_property
    def notice(self):
        return issue_rectification_notice(order=self.open)

    @cached_property
    def responded(self):
        return self._answer(self._order(self.contract, "向参训职工收取场地费"))

    def _two_failed(self):
        """A contract whose second failed order (its deadline passed) opened a termination review."""
        contract = self._contract()
        first = self._answer(self._order(contract, "向参训职工收取资料费"))
        services.order_reinspect(
            actor=self.users["evaluator"],
            order=first,
            outcomes={f.pk: ("not_resolved", "未退还") for f in first.findings.all()},
        )
        second = self._order(contract, "向参训职工收取报名费")
        services.orders_fail_overdue(
            timezone.make_aware(datetime.combine(second.deadline + timedelta(days=1), datetime.min.time()))
        )
        return first, second, TerminationReview.objects.get(contract=contract)

    @cached_property
    def _pending(self):
        return self._two_failed()

    @property
    def first_failed(self):
        return self._pending[0]

    @property
    def second_failed(self):
        return self._pending[1]

    @property
    def pending_review(self):
        return self._pending[2]

    @cached_property
    def decided_review(self):
        review = self._two_failed()[2]
        return services.termination_decide(
            actor=self.users["admin"], review=review, decision="terminate", reason="同一合作期内两次整改不合格。"
        )

    def task(self, order: str, node: str) -> Task:
        return (
            Task.objects.filter(process=order_process(getattr(self, order)), flow_task=getattr(RectificationFlow, node))
            .order_by("pk")
            .first()
        )


def build(world) -> None:
    world.rectification = Rectification(world)
