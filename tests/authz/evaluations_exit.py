"""Rows for the exit page and its handover form (evaluations/exit/views.py).

The palace's staff (evaluator and auditor included) and the exited provider (A) read the
exit; provider B and the other palace are refused; the superuser (a technical account)
reads it. Only the two sides of the handover confirm an item: provider A's users (handed
over) and Wenshang's administrator (taken over); everyone else who may read the page is
refused the POST. The matrix runs from least to most privileged, so provider A confirms
the keys first, with the record of what was handed over, and the administrator then
confirms the same item.

The exit is provider A's at Wenshang, reached through the services: two failed
rectification orders open a termination review, and the administrator decides to
terminate, which runs the exit.
"""

from datetime import datetime, timedelta
from functools import cached_property

from django.utils import timezone

from evaluations import services
from evaluations.models import Exit, RectificationOrder, TerminationReview
from tests.authz import ALL, LOGIN, Check, E, url
from tests.contract_builders import active_contract
from tests.factories import evidence_for

READ = E(LOGIN, 403, 403, 403, 200, 200, 200, 200, 200)
CONFIRM = E(LOGIN, 403, 403, 403, 403, 403, 302, 302, 403)

ROWS: dict[str, list[Check]] = {
    "evaluations:exit_detail": [Check(url("evaluations:exit_detail", lambda w: w.exit.exit.pk), READ)],
    "evaluations:handover_confirm": [
        Check(url("evaluations:handover_confirm", lambda w: w.exit.exit.pk), ALL(405)),
        Check(
            url("evaluations:handover_confirm", lambda w: w.exit.exit.pk),
            CONFIRM,
            "post",
            {"kind": "keys", "note": "钥匙 6 把、门禁卡 2 张已交还"},
        ),
    ],
}


class ExitWorld:
    """Provider A's exit at Wenshang, built through the services on first use."""

    def __init__(self, world):
        self.world = world
        self.users = world.users

    def _order(self, contract, category: str, text: str) -> RectificationOrder:
        line = services.red_line_record(
            actor=self.users["evaluator"],
            contract=contract,
            category=category,
            occurred_on=timezone.localdate(),
            description=text,
        )
        return RectificationOrder.objects.get(red_line=line)

    @cached_property
    def exit(self) -> Exit:
        contract = active_contract(
            palace=self.world.wenshang,
            provider=self.world.provider_a,
            provider_user=self.users["provider_a"],
            admin=self.users["admin"],
            starts_on=timezone.localdate().replace(day=1),
        )
        first = self._order(contract, "charging", "向参训职工收取资料费")
        services.order_respond(
            actor=self.users["provider_a"],
            order=first,
            evidence=evidence_for(first),
            responses={f.pk: "已退还" for f in first.findings.all()},
        )
        services.order_reinspect(
            actor=self.users["evaluator"],
            order=first,
            outcomes={f.pk: ("not_resolved", "未见退款凭证") for f in first.findings.all()},
        )
        second = self._order(contract, "absent", "连续两周未按计划开课")
        services.orders_fail_overdue(
            timezone.make_aware(datetime.combine(second.deadline + timedelta(days=1), datetime.min.time()))
        )
        review = TerminationReview.objects.get(contract=contract)
        services.termination_decide(
            actor=self.users["admin"],
            review=review,
            decision="terminate",
            reason="同一合作期内两次整改不合格，提前终止合作。",
        )
        return Exit.objects.get(contract=contract)


def build(world) -> None:
    world.exit = ExitWorld(world)
