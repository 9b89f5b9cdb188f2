"""Rows for the provider history page (evaluations/exit/views.py).

A provider's history is read by the provider itself, by the administrators and auditors of
the palace it registered with, by the staff of a palace it holds a contract with (its
evaluators inspect it), and by the evaluators on the panel of a recruitment it applied to once
they declared no conflict with it. Other providers and other palaces are refused.

- Provider A holds a contract at Wenshang: Wenshang's staff, evaluator included, read it.
- Provider B is registered with Wenshang and has no contract: Wenshang's administrator and
  auditor read it (as they read its registration); the evaluator does not.
- A provider registered with Foshan applied to a Wenshang recruitment on whose panel the world's
  evaluator sits, declared with no conflict: the evaluator, Wenshang's administrator and
  auditor (the applications are unsealed), and Foshan's administrator and auditor read it.
"""

from datetime import timedelta
from decimal import Decimal
from functools import cached_property

from django.utils import timezone

from core.models import Palace, Role
from procurement import services
from procurement.models import Criterion, Declaration
from tests.authz import LOGIN, Check, E, url
from tests.contract_builders import draft_contract
from tests.factories import ProviderFactory, provider_user, staff

CONTRACTED = E(LOGIN, 403, 403, 403, 200, 200, 200, 200, 200)
REGISTERED_ONLY = E(LOGIN, 200, 403, 403, 403, 200, 403, 200, 200)
APPLIED_ELSEWHERE = E(LOGIN, 403, 200, 200, 200, 200, 403, 200, 200)

ROWS: dict[str, list[Check]] = {
    "evaluations:provider_history": [
        Check(url("evaluations:provider_history", lambda w: w.history.contracted.pk), CONTRACTED),
        Check(url("evaluations:provider_history", lambda w: w.users["provider_b"].provider.pk), REGISTERED_ONLY),
        Check(url("evaluations:provider_history", lambda w: w.history.applicant.pk), APPLIED_ELSEWHERE),
    ],
}


class History:
    """What the rows need, built on first use."""

    def __init__(self, world):
        self.world = world

    @cached_property
    def contracted(self):
        draft_contract(palace=self.world.wenshang, provider=self.world.provider_a)
        return self.world.provider_a

    @cached_property
    def applicant(self):
        """A Foshan provider that applied to a closed Wenshang recruitment; the world's evaluator declared."""
        world, admin = self.world, self.world.users["admin"]
        foshan = Palace.objects.get(code="foshan")
        applicants = [
            ProviderFactory(palace=foshan, verified=True, name=name)
            for name in ("佛山市启航社工服务中心", "佛山市顺德职工学校")
        ]
        opened = timezone.now() - timedelta(days=30)
        recruitment = services.recruitment_create(
            actor=admin,
            project=world.project,
            title="职工心理疏导服务招募",
            deadline=opened + timedelta(days=14),
            panel_size=3,
            criteria=[
                services.CriterionInput("服务方案", Decimal(80)),
                services.CriterionInput("报价", Decimal(20), Criterion.Kind.PRICE),
            ],
        )
        services.recruitment_publish(actor=admin, recruitment=recruitment, now=opened)
        for i, provider in enumerate(applicants):
            services.application_submit(
                actor=provider_user(provider),
                recruitment=recruitment,
                price=Decimal(90000 - 5000 * i),
                proposal=f"服务方案{i}",
                now=opened + timedelta(days=1, hours=i),
            )
        services.recruitment_close(recruitment=recruitment, now=recruitment.deadline + timedelta(minutes=1))
        evaluator = world.users["evaluator"]
        seat = services.panel_assign(
            actor=admin,
            recruitment=recruitment,
            evaluators=[evaluator, staff(world.wenshang, Role.EVALUATOR), staff(world.wenshang, Role.EVALUATOR)],
        )[0]
        services.panel_declare(
            actor=evaluator,
            member=seat,
            conflicts={a.pk: (Declaration.Conflict.NONE, "") for a in services.valid_applications(recruitment)},
        )
        return applicants[0]


def build(world) -> None:
    world.history = History(world)
