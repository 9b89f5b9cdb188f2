"""Build a recruitment through the real services, up to any stage of its life.

Everything goes through ``procurement.services`` (publish, apply, close, assign
the panel, declare, score, justify, compile, correct, propose, finalise), so a
built recruitment is exactly what the application would have produced, audit
trail included. Nothing is written to the models directly.

One call::

    built = build_recruitment(Stage.COMPILED, applicants=4, evaluators=5, criteria=5)
    built.recruitment.state            # "evaluating", scores compiled and locked
    built.applications[0].rank         # ranks are filled in

Or step by step, acting between stages::

    b = RecruitmentBuilder(applicants=3, evaluators=3)
    b.advance_to(Stage.CLOSED)
    ...                                # e.g. a view test on the closed recruitment
    b.advance_to(Stage.COMPILED)
    b.correct_score(corrected_points=Decimal("18.00"))   # approved by a second admin, recompiled

Stages, in order (``Stage``):

=============  ===============================================================
DRAFT          created with its criteria, not published
PUBLISHED      published; applications open
APPLIED        every applicant has applied (``invalid`` of them then withdrew)
CLOSED         the deadline has passed and ``recruitment_close`` ran
PANEL          the panel is assigned (state ``evaluating``)
DECLARED       every evaluator declared; ``recusals`` of them declared a
               conflict and were replaced, and the replacements declared too
SCORED         every evaluator but the last has submitted a sheet (scoring is
               still sealed, nothing compiled)
COMPILED       the last sheet is in, outliers (``outlier=True``) justified, and
               the scores compiled, locked and ranked
PUBLICITY      the top-ranked applicant is proposed; publicity (公示) runs
AWARDED        publicity ended with no objection; ``recruitment_finalise`` ran
=============  ===============================================================

Timestamps stay plausible: when the target stage is CLOSED or later, the
recruitment opened ``OPENED_DAYS_AGO`` days ago, so its deadline has passed
before the panel meets today. Earlier stages open now, with the deadline
``window`` working days ahead. Times the services accept as ``now`` are passed
explicitly; the rest are the clock's.

PDFs: compilation queues the tender report with ``transaction.on_commit``.
Inside a test's transaction that never runs unless ``issue_documents=True``,
which runs the queued callbacks of each compiling step (do not also wrap the
builder in ``django_capture_on_commit_callbacks(execute=True)``, or they run
twice). Outside a test transaction (scripts) callbacks run on every commit, as
in production.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import total_ordering

from django.test import TestCase
from django.utils import timezone

from core.models import Palace, Role, User
from core.workdays import add_working_days
from procurement import services
from procurement.models import (
    Application,
    Criterion,
    Declaration,
    PanelMember,
    Provider,
    Recruitment,
    Score,
    ScoreCorrection,
    ServiceCategory,
)

from .factories import PalaceFactory, ProviderFactory, ServiceProjectFactory, provider_user, staff

OPENED_DAYS_AGO = 30
CENT = Decimal("0.01")

PROVIDER_NAMES = (
    "汶上县心理学会",
    "筑安技术培训中心",
    "汶上县惠民职业培训学校",
    "济宁市阳光社会工作服务中心",
    "汶上县老年大学协会",
    "山东鲁韵文化传播有限公司",
    "汶上县新时代职工公益服务发展促进会",
    "济宁市康宁健康管理服务中心",
    "汶上县巧手家政职业技能培训学校",
    "汶上县法律援助志愿者协会",
    "济宁市青禾体育发展中心",
    "汶上县经典诵读研究会",
    "汶上县电子商务协会",
    "济宁市和美社区服务中心",
    "汶上县书画艺术研究会",
    "山东齐鲁工匠职业培训学校",
)
EVALUATOR_NAMES = (
    "王建国",
    "李秀英",
    "张伟",
    "刘洋",
    "陈静",
    "杨帆",
    "赵敏",
    "黄磊",
    "周婷",
    "吴刚",
    "徐丽",
    "孙志强",
    "马晓燕",
    "朱红",
    "胡军",
    "郭芳",
    "何平",
)
CRITERION_NAMES = (
    "服务方案",
    "项目团队",
    "以往业绩",
    "安全保障",
    "质量控制",
    "宣传推广",
    "资源整合",
    "应急预案",
    "创新特色",
    "场地设施",
    "培训师资",
    "满意度承诺",
    "财务管理",
    "档案管理",
)
COMMENTS = (
    "方案完整，课程设置贴近职工需求",
    "团队稳定，持证讲师比例较高",
    "近三年同类项目经验丰富",
    "安全制度健全，应急演练记录齐全",
    "质量控制措施具体可行",
    "宣传渠道较单一，建议加强线上推广",
    "能整合社区与企业资源",
    "应急预案针对性一般",
    "有特色课程设计",
    "场地条件满足要求",
)


@total_ordering
class Stage(enum.Enum):
    DRAFT = 0
    PUBLISHED = 1
    APPLIED = 2
    CLOSED = 3
    PANEL = 4
    DECLARED = 5
    SCORED = 6
    COMPILED = 7
    PUBLICITY = 8
    AWARDED = 9

    def __lt__(self, other: Stage) -> bool:
        return self.value < other.value


ScoreFn = Callable[[int, int, int, Decimal], Decimal]


def default_points(evaluator: int, applicant: int, criterion: int, max_points: Decimal) -> Decimal:
    """Plausible, deterministic points: each applicant has a quality, evaluators differ a little.

    Evaluators never disagree by more than 10% of the maximum, so nothing is an
    outlier unless a test asks for one.
    """
    quality = Decimal("0.93") - Decimal("0.05") * (applicant % 7) - Decimal("0.01") * (applicant // 7)
    spread = Decimal("0.02") * ((evaluator * 3 + criterion) % 5 - 2)
    emphasis = Decimal("0.015") * ((criterion * 7 + applicant) % 5 - 2)
    share = min(max(quality + spread + emphasis, Decimal("0.05")), Decimal(1))
    return (max_points * share).quantize(CENT, rounding=ROUND_HALF_UP)


def _weights(n_subjective: int, total: Decimal) -> list[Decimal]:
    """Split ``total`` points into ``n`` whole-point weights, the first ones heavier, summing exactly."""
    base = (total / n_subjective).to_integral_value(rounding="ROUND_FLOOR")
    weights = [base] * n_subjective
    for i in range(int(total - base * n_subjective)):
        weights[i % n_subjective] += 1
    return weights


class RecruitmentBuilder:
    """A recruitment and its cast, moved forward stage by stage through the services.

    Attributes after construction: ``palace``, ``admin`` (runs the recruitment),
    ``approver`` (a second admin who approves corrections), ``project``,
    ``providers`` and ``provider_users`` (one login each, in applicant order),
    ``evaluators`` (the panel as first named) and ``reserves`` (who replace
    recusals). Filled in as stages pass: ``recruitment``, ``applications``
    (valid ones, in applicant order), ``members`` (active panel seats),
    ``criteria``.
    """

    def __init__(
        self,
        *,
        palace: Palace | None = None,
        applicants: int = 3,
        invalid: int = 0,
        evaluators: int = 3,
        criteria: int = 4,
        price_weight: Decimal = Decimal(10),
        recusals: int = 0,
        outlier: bool = False,
        comments: bool = True,
        category: str = ServiceCategory.TRAINING,
        window: int = 7,
        opens_at: datetime | None = None,
        score_fn: ScoreFn = default_points,
        provider_names: Sequence[str] = PROVIDER_NAMES,
        evaluator_names: Sequence[str] = EVALUATOR_NAMES,
        title: str = "职工技能培训服务项目公开招募",
        issue_documents: bool = False,
    ) -> None:
        if evaluators < 3 or evaluators % 2 == 0:
            raise ValueError("the panel needs an odd number of evaluators, at least 3")
        if criteria < 2:
            raise ValueError("at least one subjective criterion and the price")
        self.n_applicants, self.n_invalid, self.n_evaluators = applicants, invalid, evaluators
        self.n_criteria, self.price_weight = criteria, Decimal(price_weight)
        self.n_recusals, self.outlier, self.comments = recusals, outlier, comments
        self.window, self.opens_at, self.score_fn = window, opens_at, score_fn
        self.title, self.issue_documents = title, issue_documents
        self.stage: Stage | None = None

        self.palace = palace or PalaceFactory(wenshang=True)
        self.admin = staff(self.palace, Role.ADMIN)
        self.approver = staff(self.palace, Role.ADMIN)
        self.admin.full_name, self.approver.full_name = "孔令华", "颜丽"
        for user in (self.admin, self.approver):
            user.save(update_fields=["full_name"])
        self.project = ServiceProjectFactory(palace=self.palace, category=category, created_by=self.admin)
        self.providers: list[Provider] = []
        self.provider_users: list[User] = []
        for i in range(applicants + invalid):
            name = (
                provider_names[i]
                if i < len(provider_names)
                else f"{provider_names[i % len(provider_names)]}（{i + 1}）"
            )
            provider = ProviderFactory(palace=self.palace, verified=True, name=name, categories=[category])
            self.providers.append(provider)
            self.provider_users.append(provider_user(provider))
        self.evaluators = [self._evaluator(i, evaluator_names) for i in range(evaluators)]
        self.reserves = [self._evaluator(evaluators + i, evaluator_names) for i in range(recusals)]

        self.recruitment: Recruitment | None = None
        self.applications: list[Application] = []
        self.members: list[PanelMember] = []
        self.criteria: list[Criterion] = []

    def _evaluator(self, i: int, names: Sequence[str]) -> User:
        user = staff(self.palace, Role.EVALUATOR)
        user.full_name = names[i] if i < len(names) else f"评审专家{i + 1}"
        user.save(update_fields=["full_name"])
        return user

    # --- driving ---------------------------------------------------------------------------

    def advance_to(self, stage: Stage) -> RecruitmentBuilder:
        """Run every step from the current stage up to ``stage`` (a no-op if already there)."""
        steps = {
            Stage.DRAFT: self._draft,
            Stage.PUBLISHED: self._publish,
            Stage.APPLIED: self._apply,
            Stage.CLOSED: self._close,
            Stage.PANEL: self._assign_panel,
            Stage.DECLARED: self._declare,
            Stage.SCORED: self._score_all_but_last,
            Stage.COMPILED: self._score_last,
            Stage.PUBLICITY: self._propose_award,
            Stage.AWARDED: self._finalise,
        }
        if self.opens_at is None:
            self.opens_at = (
                timezone.now() - timedelta(days=OPENED_DAYS_AGO) if stage >= Stage.CLOSED else timezone.now()
            )
        for step in Stage:
            if step > stage:
                break
            if self.stage is None or step > self.stage:
                steps[step]()
                self.stage = step
        self.refresh()
        return self

    def refresh(self) -> None:
        """Re-read the recruitment, its valid applications, active panel and criteria."""
        if self.recruitment is None:
            return
        self.recruitment.refresh_from_db()
        by_provider = {a.provider_id: a for a in self.recruitment.applications.select_related("provider")}
        self.applications = [
            by_provider[p.pk]
            for p in self.providers
            if p.pk in by_provider
            and by_provider[p.pk].is_valid is not False
            and by_provider[p.pk].state == Application.State.SUBMITTED
        ]
        self.members = list(
            self.recruitment.panel.exclude(state=PanelMember.State.RECUSED).select_related("evaluator").order_by("pk")
        )
        self.criteria = list(self.recruitment.criteria.all())

    @property
    def deadline(self) -> datetime:
        opened = timezone.localdate(self.opens_at)
        return timezone.make_aware(datetime.combine(add_working_days(opened, self.window), time(17, 0)))

    @contextlib.contextmanager
    def _documents(self) -> Iterator[None]:
        if self.issue_documents:
            with TestCase.captureOnCommitCallbacks(execute=True):
                yield
        else:
            yield

    # --- the steps -------------------------------------------------------------------------

    def _draft(self) -> None:
        n_subjective = self.n_criteria - 1
        weights = _weights(n_subjective, Decimal(100) - self.price_weight)
        criteria = [
            services.CriterionInput(
                CRITERION_NAMES[i % len(CRITERION_NAMES)] + ("" if i < len(CRITERION_NAMES) else f"（{i + 1}）"),
                weights[i],
                description=f"按{CRITERION_NAMES[i % len(CRITERION_NAMES)]}的完整性、可行性评分",
            )
            for i in range(n_subjective)
        ]
        criteria.append(
            services.CriterionInput(
                "报价", self.price_weight, Criterion.Kind.PRICE, "有效最低报价 ÷ 本单位报价 × 价格分权重"
            )
        )
        self.recruitment = services.recruitment_create(
            actor=self.admin,
            project=self.project,
            title=self.title,
            deadline=self.deadline,
            criteria=criteria,
            description="面向职工开展技能培训服务。",
            panel_size=self.n_evaluators,
        )

    def _publish(self) -> None:
        services.recruitment_publish(actor=self.admin, recruitment=self.recruitment, now=self.opens_at)

    def _apply(self) -> None:
        ceiling = self.recruitment.budget_ceiling
        for i, user in enumerate(self.provider_users):
            # Prices between 80% and 98% of the ceiling, never two alike among the first ten.
            price = (ceiling * (Decimal("0.80") + Decimal("0.02") * ((i * 7) % 10))).quantize(CENT)
            services.application_submit(
                actor=user,
                recruitment=self.recruitment,
                price=price,
                proposal=f"{self.providers[i].name}关于{self.title}的服务方案。",
                now=self.opens_at + timedelta(hours=2, minutes=17 * i),
            )
        for user in self.provider_users[self.n_applicants :]:
            application = self.recruitment.applications.get(provider__users__user=user)
            services.application_withdraw(actor=user, application=application, now=self.opens_at + timedelta(days=1))

    def _close(self) -> None:
        services.recruitment_close(recruitment=self.recruitment, now=self.deadline + timedelta(minutes=1))
        self.recruitment.refresh_from_db()
        if self.recruitment.state != Recruitment.State.CLOSED:
            raise RuntimeError(f"the recruitment did not close: {self.recruitment.state}")

    def _assign_panel(self) -> None:
        services.panel_assign(actor=self.admin, recruitment=self.recruitment, evaluators=self.evaluators)

    def _declare(self) -> None:
        applications = list(services.valid_applications(self.recruitment))
        recused = list(self.recruitment.panel.select_related("evaluator").order_by("pk"))[: self.n_recusals]
        for member in self.recruitment.panel.filter(state=PanelMember.State.ASSIGNED).order_by("pk"):
            conflicts = {a.pk: (Declaration.Conflict.NONE, "") for a in applications}
            if member in recused:
                conflicts[applications[0].pk] = (Declaration.Conflict.EMPLOYMENT, "三年内曾在该机构兼职授课")
            services.panel_declare(actor=member.evaluator, member=member, conflicts=conflicts)
        for member, reserve in zip(recused, self.reserves, strict=True):
            replacement = services.panel_replace(actor=self.admin, member=member, evaluator=reserve)
            services.panel_declare(
                actor=reserve,
                member=replacement,
                conflicts={a.pk: (Declaration.Conflict.NONE, "") for a in applications},
            )

    def _sheet(self, index: int, member: PanelMember) -> list[services.ScoreInput]:
        applications = list(services.valid_applications(self.recruitment))
        order = {p.pk: i for i, p in enumerate(self.providers)}
        subjective = [c for c in self.recruitment.criteria.all() if c.kind == Criterion.Kind.SUBJECTIVE]
        sheet = []
        for application in applications:
            a = order[application.provider_id]
            for c, criterion in enumerate(subjective):
                points = self.score_fn(index, a, c, criterion.max_points)
                if self.outlier and index == self.n_evaluators - 1 and a == 0 and c == 0:
                    points = (criterion.max_points * Decimal("0.30")).quantize(CENT)
                comment = COMMENTS[(a + c + index) % len(COMMENTS)] if self.comments else ""
                sheet.append(services.ScoreInput(application.pk, criterion.pk, points, comment))
        return sheet

    def _active_members(self) -> list[PanelMember]:
        return list(
            self.recruitment.panel.exclude(state=PanelMember.State.RECUSED).select_related("evaluator").order_by("pk")
        )

    def _score_all_but_last(self) -> None:
        for index, member in enumerate(self._active_members()[:-1]):
            services.scores_submit(actor=member.evaluator, member=member, scores=self._sheet(index, member))

    def _score_last(self) -> None:
        members = self._active_members()
        with self._documents():
            services.scores_submit(
                actor=members[-1].evaluator, member=members[-1], scores=self._sheet(len(members) - 1, members[-1])
            )
            for member in self.recruitment.panel.filter(state=PanelMember.State.JUSTIFYING).select_related("evaluator"):
                flagged = member.scores.filter(is_outlier=True, justification="")
                services.scores_justify(
                    actor=member.evaluator,
                    member=member,
                    justifications={
                        s.pk: "该单位提交的服务方案未覆盖主要培训内容，课时安排明显不足，故给予较低分。"
                        for s in flagged
                    },
                )

    def _propose_award(self) -> None:
        top = self.recruitment.applications.get(rank=1)
        services.award_propose(actor=self.admin, recruitment=self.recruitment, application=top)

    def _finalise(self) -> None:
        self.recruitment.refresh_from_db()
        services.recruitment_finalise(
            recruitment=self.recruitment, now=self.recruitment.publicity_ends_at + timedelta(minutes=1)
        )

    # --- after compilation -----------------------------------------------------------------

    def correct_score(
        self,
        *,
        score: Score | None = None,
        corrected_points: Decimal | None = None,
        reason: str = ScoreCorrection.Reason.ARITHMETIC,
        justification: str = "评分表合计时误将分值填错，经评审专家本人核对确认更正。",
        approve: bool = True,
    ) -> ScoreCorrection:
        """Request a correction (by ``admin``) and decide it (by ``approver``); approval recompiles.

        By default the first evaluator's score for the first applicant on the first
        criterion is raised by 2 points (capped at the maximum).
        """
        if self.stage is None or self.stage < Stage.COMPILED:
            raise RuntimeError("scores can be corrected only once compiled")
        if score is None:
            score = (
                Score.objects.filter(member=self.members[0], application=self.applications[0])
                .select_related("criterion")
                .order_by("criterion__position")
                .first()
            )
        if corrected_points is None:
            corrected_points = min(score.points + 2, score.criterion.max_points)
        correction = services.score_correction_request(
            actor=self.admin, score=score, corrected_points=corrected_points, reason=reason, justification=justification
        )
        with self._documents():
            services.score_correction_decide(actor=self.approver, correction=correction, approve=approve)
        correction.refresh_from_db()
        self.refresh()
        return correction


def build_recruitment(stage: Stage = Stage.COMPILED, **options) -> RecruitmentBuilder:
    """A ``RecruitmentBuilder(**options)`` advanced to ``stage``."""
    return RecruitmentBuilder(**options).advance_to(stage)
