"""Rows for the staff side of a recruitment: the list, the draft form, the cockpit, its
actions, the evaluator's seat, and the panel workflow's pages (procurement/flows.py).

Only the palace's administrator acts; its auditor and evaluator read; the other
palace, providers and the superuser (a technical account) are refused the actions.
The panel workflow's pages go to the palace's staff and to the panel's own
evaluators; a seat task opens only for its evaluator.

The recruitments are built lazily, through the services, the first time a row asks
for one, so rows of other areas do not pay for them.
"""

from datetime import timedelta
from decimal import Decimal
from functools import cached_property

from django.utils import timezone
from viewflow.workflow.models import Task

from core.models import Role
from procurement import services
from procurement.flows import PanelFlow, panel_process
from procurement.models import Criterion, Declaration, Score
from tests.authz import LOGIN, Check, E, url
from tests.factories import staff
from tests.recruitment_builders import RecruitmentBuilder, Stage

# Expected answers, in ROLES order: anon, provider B, other admin, other auditor,
# evaluator, auditor, provider A, admin, superuser.
READ = E(LOGIN, 403, 403, 403, 200, 200, 403, 200, 200)
ACT = E(LOGIN, 403, 403, 403, 403, 403, 403, 302, 403)
POST_ONLY = E(405, 403, 405, 405, 405, 405, 403, 405, 405)
FLOW_LIST = E(LOGIN, 403, 200, 200, 200, 200, 403, 200, 200)
FLOW_READ = E(LOGIN, 403, 403, 403, 200, 200, 403, 200, 200)
FLOW_INDEX = E(LOGIN, 403, 403, 403, 302, 302, 403, 302, 302)
OWN_SEAT = E(LOGIN, 403, 403, 403, 200, 403, 403, 403, 403)


def r(state):
    return lambda w: getattr(w.staff, state).pk


def action(name, state, data=None, *extra):
    return [Check(url(name, r(state), *extra), POST_ONLY), Check(url(name, r(state), *extra), ACT, "post", data or {})]


def task(node, *, process="compiled"):
    """(process pk, task pk) of the first task of ``node`` in the named recruitment's panel process."""
    return (lambda w: w.staff.task(process, node).process_id, lambda w: w.staff.task(process, node).pk)


NODES = [
    "start",
    "seats",
    "recused",
    "replacement",
    "seats_done",
    "outliers",
    "justifications",
    "justified",
    "end",
    "justify",
]

ROWS: dict[str, list[Check]] = {
    "procurement:recruitment_list": [
        Check(url("procurement:recruitment_list"), E(LOGIN, 403, 200, 200, 200, 200, 403, 200, 200)),
        Check(
            lambda w: url("procurement:recruitment_list")(w) + "?_export=csv",
            E(LOGIN, 403, 200, 200, 200, 200, 403, 200, 200),
        ),
    ],
    "procurement:recruitment_create": [
        Check(url("procurement:recruitment_create"), E(LOGIN, 403, 200, 403, 403, 403, 403, 200, 403)),
        # An empty form comes back with its errors, and nothing is written.
        Check(url("procurement:recruitment_create"), E(LOGIN, 403, 200, 403, 403, 403, 403, 200, 403), "post"),
    ],
    "procurement:recruitment_detail": [
        Check(url("procurement:recruitment_detail", r(state)), READ)
        for state in ("draft", "published", "closed", "evaluating", "compiled", "publicity", "cancelled")
    ],
    "procurement:recruitment_edit": [
        Check(url("procurement:recruitment_edit", r("draft")), E(LOGIN, 403, 403, 403, 403, 403, 403, 200, 403)),
        Check(url("procurement:recruitment_edit", r("published")), ACT),  # not a draft: back to the cockpit
    ],
    "procurement:recruitment_publish": action("procurement:recruitment_publish", "draft"),
    "procurement:recruitment_cancel": action("procurement:recruitment_cancel", "draft", {"reason": "预算调整"}),
    "procurement:recruitment_reissue": action("procurement:recruitment_reissue", "cancelled"),
    "procurement:panel_assign": action("procurement:panel_assign", "closed", {"evaluators": []}),
    "procurement:panel_replace": action("procurement:panel_replace", "evaluating", {}, lambda w: w.staff.recused.pk),
    "procurement:correction_request": action("procurement:correction_request", "compiled"),
    "procurement:correction_decide": action(
        "procurement:correction_decide",
        "compiled",
        {"decision": "reject", "note": "原评分无误"},
        lambda w: w.staff.correction.pk,
    ),
    "procurement:award_propose": action("procurement:award_propose", "compiled"),
    "procurement:objection_answer": action(
        "procurement:objection_answer",
        "publicity",
        {"decision": "rejected", "answer": "经复核，评分符合细则。"},
        lambda w: w.staff.objection.pk,
    ),
    "procurement:recruitment_finalise": action("procurement:recruitment_finalise", "publicity"),
    "procurement:panel_task": [
        Check(
            url("procurement:panel_task", lambda w: w.staff.seat.pk), E(LOGIN, 403, 403, 403, 302, 403, 403, 403, 403)
        ),
    ],
    # The panel workflow's app: the evaluators' inbox and what they have done.
    "panel:index": [Check(url("panel:index"), E(LOGIN, 403, 302, 302, 302, 302, 403, 302, 302))],
    "panel:inbox": [Check(url("panel:inbox"), FLOW_LIST)],
    "panel:archive": [Check(url("panel:archive"), FLOW_LIST)],
    "panel:chart": [Check(url("panel:chart"), FLOW_LIST)],
    "panel:process_chart": [
        Check(url("panel:process_chart", lambda w: w.staff.task("compiled", "start").process_id), FLOW_READ),
    ],
    "panel:process_detail": [
        Check(url("panel:process_detail", lambda w: w.staff.task("compiled", "start").process_id), FLOW_READ),
        Check(url("panel:process_detail", lambda w: w.staff.task("evaluating", "start").process_id), FLOW_READ),
    ],
    "panel:evaluate:index": [Check(url("panel:evaluate:index", *task("evaluate", process="evaluating")), FLOW_INDEX)],
    "panel:evaluate:detail": [Check(url("panel:evaluate:detail", *task("evaluate", process="evaluating")), FLOW_READ)],
    "panel:evaluate:execute": [
        Check(url("panel:evaluate:execute", *task("evaluate", process="evaluating")), OWN_SEAT),
        # A post without a step is a stale page: the seat's page again, with a message.
        Check(url("panel:evaluate:execute", *task("evaluate", process="evaluating")), OWN_SEAT, "post"),
    ],
    # The evaluator justified on the compiled panel: the done task sends them to the seat's page.
    "panel:justify:execute": [
        Check(url("panel:justify:execute", *task("justify")), E(LOGIN, 403, 403, 403, 302, 403, 403, 403, 403)),
    ],
}
for node in NODES:
    ROWS[f"panel:{node}:index"] = [Check(url(f"panel:{node}:index", *task(node)), FLOW_INDEX)]
    ROWS[f"panel:{node}:detail"] = [Check(url(f"panel:{node}:detail", *task(node)), FLOW_READ)]


class StaffRecruitments:
    """The world's recruitments, one per state, each built through the services on first use."""

    def __init__(self, world):
        self.world = world
        self.admin = world.users["admin"]

    def _draft(self, title: str, **kwargs):
        return services.recruitment_create(
            actor=self.admin,
            project=self.world.project,
            title=title,
            deadline=timezone.now() + timedelta(days=21),
            panel_size=3,
            criteria=[
                services.CriterionInput("服务方案", Decimal(60)),
                services.CriterionInput("师资力量", Decimal(20)),
                services.CriterionInput("报价", Decimal(20), Criterion.Kind.PRICE),
            ],
            **kwargs,
        )

    def _with_applicants(self, title: str):
        """Published a month ago, provider A and B applied, the deadline passed and it closed."""
        opened = timezone.now() - timedelta(days=30)
        recruitment = self._draft(title)
        recruitment.deadline = opened + timedelta(days=14)
        recruitment.save(update_fields=["deadline"])
        services.recruitment_publish(actor=self.admin, recruitment=recruitment, now=opened)
        for i, role in enumerate(("provider_a", "provider_b")):
            services.application_submit(
                actor=self.world.users[role],
                recruitment=recruitment,
                price=Decimal(90000 - 5000 * i),
                proposal=f"服务方案{i}",
                now=opened + timedelta(days=1, hours=i),
            )
        return services.recruitment_close(recruitment=recruitment, now=recruitment.deadline + timedelta(minutes=1))

    @cached_property
    def draft(self):
        return self._draft("职工书法培训招募")

    @cached_property
    def published(self):
        recruitment = self._draft("职工太极拳培训招募")
        services.recruitment_publish(actor=self.admin, recruitment=recruitment)
        services.application_submit(
            actor=self.world.users["provider_a"],
            recruitment=recruitment,
            price=Decimal("88000"),
            proposal="每周两次太极拳课",
        )
        return recruitment

    @cached_property
    def closed(self):
        return self._with_applicants("职工插花培训招募")

    @cached_property
    def cancelled(self):
        return services.recruitment_cancel(
            actor=self.admin, recruitment=self._draft("职工摄影培训招募"), reason="项目调整"
        )

    @cached_property
    def evaluating(self):
        """The world's evaluator sits on the panel, not declared yet; another member recused."""
        recruitment = self._with_applicants("职工茶艺培训招募")
        others = [staff(self.world.wenshang, Role.EVALUATOR) for _ in range(2)]
        members = services.panel_assign(
            actor=self.admin, recruitment=recruitment, evaluators=[self.world.users["evaluator"], *others]
        )
        self._seat, self._recused = members[0], members[1]
        applications = list(services.valid_applications(recruitment))
        services.panel_declare(
            actor=others[0],
            member=members[1],
            conflicts={
                a.pk: (Declaration.Conflict.FAMILY if i == 0 else Declaration.Conflict.NONE, "")
                for i, a in enumerate(applications)
            },
        )
        return recruitment

    @cached_property
    def _compiled_builder(self):
        """Compiled with a recusal, a replacement (the world's evaluator) and a justified outlier."""
        builder = RecruitmentBuilder(
            palace=self.world.wenshang,
            applicants=2,
            evaluators=3,
            recusals=1,
            outlier=True,
            title="职工心理健康服务招募",
        )
        builder.reserves[0] = self.world.users["evaluator"]
        return builder.advance_to(Stage.COMPILED)

    @cached_property
    def compiled(self):
        return self._compiled_builder.recruitment

    @cached_property
    def correction(self):
        """Requested by another administrator, so the world's administrator may decide it."""
        builder = self._compiled_builder
        score = Score.objects.filter(member__recruitment=builder.recruitment).order_by("pk").first()
        return services.score_correction_request(
            actor=builder.admin,
            score=score,
            corrected_points=score.points - 1,
            reason="arithmetic",
            justification="合计抄录错误",
        )

    @cached_property
    def publicity(self):
        builder = RecruitmentBuilder(
            palace=self.world.wenshang, applicants=2, evaluators=3, title="职工法律援助服务招募"
        ).advance_to(Stage.PUBLICITY)
        self._objection = services.objection_lodge(
            actor=builder.provider_users[1], recruitment=builder.recruitment, grounds="评分不公"
        )
        return builder.recruitment

    @property
    def seat(self):
        return self.evaluating and self._seat

    @property
    def recused(self):
        return self.evaluating and self._recused

    @property
    def objection(self):
        return self.publicity and self._objection

    def task(self, state: str, node: str):
        process = panel_process(getattr(self, state))
        return Task.objects.filter(process=process, flow_task=getattr(PanelFlow, node)).order_by("pk").first()


def build(world) -> None:
    world.staff = StaffRecruitments(world)
