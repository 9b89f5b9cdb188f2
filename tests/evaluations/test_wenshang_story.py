"""The whole Wenshang story, end to end (issue 6, "What it must show").

汶上县工人文化宫 recruits a provider for its 职工电工技能培训 in public, contracts it for
2025, scores it month by month, orders rectification when a month fails, and at the
end of the term rates it 差: the provider appeals, the appeal is rejected, the rating is
signed off and confirmed by a second administrator, and the provider exits. The same
service goes back out to public recruitment, which the excluded provider cannot enter.

Everything goes through the services, the scheduler's jobs and (following the
services' signals) the workflows; nothing is written to the models directly. The
clock is moved through the year with time-machine.

The data is chosen so that the arithmetic can be followed by hand:

* every month is inspected once (two checklist items weighted 50/50); the failing
  month (September) scores 25, every other month 60;
* the month's report is accepted with 54 points (47 in September);
* the provider delivers exactly on pace (2 sessions and 50 participant-visits a
  month), so the monthly KPI progress is 100;
* workers rate every activity 2★ and 3★ (4 ratings a month: fewer than 30, so
  satisfaction's weight is shared out of each month's score);

so a month scores (40 × 60 + 20 × 54 + 10 × 100) ÷ 70 = 64.00, and September
(40 × 25 + 20 × 47 + 10 × 100) ÷ 70 = 42.00. The final evaluation opens on 1 December,
so its components cover January to November (``test_the_wenshang_story`` works them
out); December's report, the twelfth, is reviewed while the evaluation runs, and closes
the books before the sign-off. Once the contract is in its final evaluation the
real-time evaluation stops: no inspection, no rating in December.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from pypdf import PdfReader
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS

from contracts import services as contract_services
from contracts.models import Contract, ServiceReport
from core.audit import verify_chain
from core.errors import DomainError
from core.models import IssuedDocument, Notification, Palace, Role, User
from core.scheduler import run_jobs
from core.workdays import add_working_days
from evaluations import services as evaluation_services
from evaluations.final.flows import FinalEvaluationFlow, final_process, open_task
from evaluations.final.services import evaluation as final_services
from evaluations.models import (
    Appeal,
    ChecklistTemplate,
    Exit,
    FinalEvaluation,
    FinalRating,
    Finding,
    HandoverItem,
    PeriodScore,
    RectificationOrder,
)
from evaluations.rectification.flows import OPEN, order_process
from procurement import services as procurement_services
from procurement.flows import panel_process
from procurement.models import (
    Criterion,
    Declaration,
    Exclusion,
    KpiMetric,
    PanelMember,
    Provider,
    Recruitment,
    ServiceCategory,
)
from tests.factories import ProviderFactory, evidence_for, pdf_upload, provider_user, staff

pytestmark = pytest.mark.django_db

TERM_START = date(2025, 1, 1)
FAILING_MONTH = date(2025, 9, 1)
NORMAL = {"inspection": (60, 60), "report": Decimal(54)}
FAILING = {"inspection": (20, 30), "report": Decimal(47)}
STARS = (2, 3)  # each activity is rated 2★ and 3★ by two workers: 37.5 of 100 on average
SESSION_VISITS = 25  # two sessions a month of 25 workers: 24 sessions and 600 visits a year, on pace


def at(y: int, m: int, d: int, h: int = 10, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime(y, m, d, h, minute))


def local_at(day: date, h: int = 10, minute: int = 0) -> datetime:
    return at(day.year, day.month, day.day, h, minute)


def add_month(day: date, n: int = 1) -> date:
    return contract_services.add_months(day, n)


@dataclass
class Cast:
    palace: Palace
    admin: User
    second_admin: User
    evaluators: list[User]
    providers: list[Provider]  # the three applicants, the winner first
    provider_users: list[User]
    newcomer: Provider  # applies to the re-tender
    newcomer_user: User
    clock: time_machine.Coordinates
    checklist: ChecklistTemplate | None = None
    devices: int = 0  # each worker's phone rates once

    def move_to(self, when: datetime) -> datetime:
        self.clock.move_to(when)
        return when

    def tick(self, when: datetime) -> dict[str, str]:
        """The scheduler's run at ``when``: every registered job, as ``manage.py tick`` runs them."""
        self.move_to(when)
        results = run_jobs(when)
        failed = [r for r in results if not r.ok]
        assert not failed, failed
        return {r.name: r.summary for r in results}


def cast_for(palace: Palace, clock) -> Cast:
    admin, second = staff(palace, Role.ADMIN, "story-admin"), staff(palace, Role.ADMIN, "story-admin2")
    evaluators = [staff(palace, Role.EVALUATOR, f"story-eval{i}") for i in range(1, 4)]
    for user, name in zip([admin, second, *evaluators], ["王建国", "颜丽", "刘芳", "陈明", "赵丽"], strict=True):
        user.full_name = name
        user.save(update_fields=["full_name"])
    names = ["汶上县惠民职业技能培训学校", "筑安技术培训中心", "安泰培训学校"]
    providers = [
        ProviderFactory(palace=palace, verified=True, name=n, categories=[ServiceCategory.TRAINING]) for n in names
    ]
    users = [provider_user(p, f"story-provider{i}") for i, p in enumerate(providers, start=1)]
    newcomer = ProviderFactory(
        palace=palace, verified=True, name="济宁市鲁匠职业培训学校", categories=[ServiceCategory.TRAINING]
    )
    return Cast(
        palace=palace,
        admin=admin,
        second_admin=second,
        evaluators=evaluators,
        providers=providers,
        provider_users=users,
        newcomer=newcomer,
        newcomer_user=provider_user(newcomer, "story-newcomer"),
        clock=clock,
    )


# --- 1. the recruitment ----------------------------------------------------------------------------

C = Criterion.Kind
CRITERIA = [
    procurement_services.CriterionInput("服务方案", Decimal(35), C.SUBJECTIVE, "课程设置与职工需求的契合度"),
    procurement_services.CriterionInput("师资力量", Decimal(30), C.SUBJECTIVE, "讲师资质与持证比例"),
    procurement_services.CriterionInput("以往业绩", Decimal(15), C.SUBJECTIVE, "近三年同类项目"),
    procurement_services.CriterionInput("报价", Decimal(20), C.PRICE, "有效最低报价 ÷ 本单位报价 × 20"),
]
DOCUMENTS = ["营业执照（副本）扫描件"]
ELIGIBILITY = "依法登记的社会组织或培训机构；已在本平台完成机构核验；未被列入本宫合作退出名单。"
QUALITY = (Decimal("0.92"), Decimal("0.80"), Decimal("0.74"))  # how the panel rates each applicant's proposal


def recruit(cast: Cast) -> Recruitment:
    """Published on 18 Nov 2024, three applications, the panel scores, award and publicity, awarded."""
    cast.move_to(at(2024, 11, 15))
    project = procurement_services.service_project_create(
        actor=cast.admin,
        palace=cast.palace,
        name="职工电工技能培训",
        category=ServiceCategory.TRAINING,
        description="面向一线职工的低压电工、电工安全技能培训。",
        budget=Decimal("96000"),
        term_months=12,
        kpi_targets=[
            procurement_services.KpiTargetInput(KpiMetric.SESSIONS, Decimal(24), "场"),
            procurement_services.KpiTargetInput(KpiMetric.PARTICIPANT_VISITS, Decimal(600), "人次"),
        ],
    )
    opens = at(2024, 11, 18, 9)
    deadline = local_at(add_working_days(opens.date(), 7), 17)
    recruitment = procurement_services.recruitment_create(
        actor=cast.admin,
        project=project,
        title="汶上县工人文化宫职工电工技能培训服务项目公开招募公告",
        deadline=deadline,
        criteria=CRITERIA,
        required_documents=DOCUMENTS,
        eligibility=ELIGIBILITY,
        description="全年培训24期、600人次。",
        panel_size=3,
    )
    procurement_services.recruitment_publish(actor=cast.admin, recruitment=recruitment, now=opens)
    recruitment.refresh_from_db()
    assert recruitment.state == Recruitment.State.PUBLISHED

    required = recruitment.required_documents.get()
    for i, (user, share) in enumerate(zip(cast.provider_users, ("0.90", "0.94", "0.97"), strict=True)):
        cast.move_to(opens + timedelta(days=1 + i, hours=2))
        procurement_services.application_submit(
            actor=user,
            recruitment=recruitment,
            price=Decimal(96000) * Decimal(share),
            proposal=f"{cast.providers[i].name}关于职工电工技能培训的服务方案。",
            files=[procurement_services.ApplicationFile(required.pk, pdf_upload("营业执照.pdf"))],
        )
    assert recruitment.applications.count() == 3

    # The scheduler closes it a few minutes after the deadline: three valid applications.
    summary = cast.tick(deadline + timedelta(minutes=5))
    assert summary["procurement.close_recruitments"].startswith("closed 1")
    recruitment.refresh_from_db()
    assert recruitment.state == Recruitment.State.CLOSED
    assert recruitment.applications.filter(is_valid=True).count() == 3

    cast.move_to(deadline + timedelta(days=1, hours=-8))
    procurement_services.panel_assign(actor=cast.admin, recruitment=recruitment, evaluators=cast.evaluators)
    members = list(recruitment.panel.order_by("pk"))
    applications = list(procurement_services.valid_applications(recruitment))
    for member in members:
        procurement_services.panel_declare(
            actor=member.evaluator,
            member=member,
            conflicts={a.pk: (Declaration.Conflict.NONE, "") for a in applications},
        )
    quality = {p.pk: q for p, q in zip(cast.providers, QUALITY, strict=True)}
    subjective = list(recruitment.criteria.filter(kind=C.SUBJECTIVE))
    for e, member in enumerate(members):
        procurement_services.scores_submit(
            actor=member.evaluator,
            member=member,
            scores=[
                procurement_services.ScoreInput(
                    a.pk,
                    c.pk,
                    (c.max_points * (quality[a.provider_id] + Decimal("0.02") * (e - 1))).quantize(Decimal("0.5")),
                    "方案完整，师资较强",
                )
                for a in applications
                for c in subjective
            ],
        )
    recruitment.refresh_from_db()
    assert recruitment.compiled_at is not None
    assert all(m.state == PanelMember.State.SUBMITTED for m in recruitment.panel.all())
    winner = recruitment.applications.get(rank=1)
    assert winner.provider == cast.providers[0]

    cast.move_to(at(2024, 12, 2))
    procurement_services.award_propose(actor=cast.admin, recruitment=recruitment, application=winner)
    recruitment.refresh_from_db()
    assert recruitment.state == Recruitment.State.PUBLICITY
    assert timezone.localdate(recruitment.publicity_ends_at) == date(2024, 12, 9)  # 5 working days

    # Publicity ends with no objection: the scheduler awards it, and the contract is drafted.
    summary = cast.tick(at(2024, 12, 10, 9))
    assert summary["procurement.finalise_recruitments"].startswith("awarded 1")
    recruitment.refresh_from_db()
    assert recruitment.state == Recruitment.State.AWARDED
    return recruitment


# --- 2. the contract ---------------------------------------------------------------------------------


def contract_from(cast: Cast, recruitment: Recruitment) -> Contract:
    contract = Contract.objects.get(recruitment=recruitment)
    assert contract.state == Contract.State.DRAFT and contract.provider == cast.providers[0]
    assert (contract.starts_on, contract.ends_on) == (TERM_START, date(2025, 12, 31))
    assert contract.amount == recruitment.awarded_application.price
    cast.move_to(at(2024, 12, 12))
    contract_services.contract_sign(actor=cast.admin, contract=contract)
    cast.move_to(at(2024, 12, 13, 15))
    contract_services.contract_accept(actor=cast.provider_users[0], contract=contract)
    contract.refresh_from_db()
    assert contract.state == Contract.State.ACTIVE
    assert contract.reports.count() == 12
    cast.move_to(at(2025, 1, 6, 15))
    contract_services.milestone_release(actor=cast.admin, milestone=contract.milestones.get(position=1))
    cast.checklist = evaluation_services.checklist_create(
        actor=cast.admin,
        palace_id=cast.palace.pk,
        category=ServiceCategory.TRAINING,
        name="培训服务现场检查表",
        items=[
            evaluation_services.ChecklistItemInput("师资到位、按课表授课", Decimal(50)),
            evaluation_services.ChecklistItemInput("签到记录真实完整、场地安全", Decimal(50)),
        ],
    )
    return contract


# --- 3. the year of service --------------------------------------------------------------------------


class Year:
    """Everything that happens in the term, run in the order it happens (a queue of timed steps).

    Each month: activities on the 8th and the 22nd, drafted into the month's report on the day
    and rated by two workers over the next two days; an inspection on the 15th; the report
    submitted two working days after the month and accepted the next working day; the
    scheduler's run at 02:00 on the 16th. A failing inspection's order is answered the day
    before its deadline and re-inspected on the deadline.
    """

    def __init__(self, cast: Cast, contract: Contract) -> None:
        self.cast, self.contract = cast, contract
        self.queue: list[tuple[datetime, int, object]] = []
        self.count = 0

    def at(self, when: datetime, step, *args) -> None:
        self.count += 1
        heapq.heappush(self.queue, (when, self.count, (step, args)))

    def run(self, until: datetime | None = None) -> None:
        """Every step due before ``until`` (all of them by default), in order."""
        while self.queue and (until is None or self.queue[0][0] < until):
            when, _n, (step, args) = heapq.heappop(self.queue)
            self.cast.move_to(when)
            step(when, *args)

    def plan(self, month: date, *, evaluated: bool = True) -> None:
        """The month's steps. ``evaluated=False``: the contract is in its final evaluation, which closes the
        real-time evaluation (no inspection, no ratings); the report is still written and reviewed."""
        plan = FAILING if month == FAILING_MONTH else NORMAL
        report = self.contract.reports.get(period_start=month)
        for day in ACTIVITY_DAYS:
            self.at(local_at(month.replace(day=day), 18), self.draft, report, day, evaluated)
        if evaluated:
            self.at(local_at(month.replace(day=14), 9), self.assign_inspection, month.replace(day=15), plan)
        submitted = add_working_days(report.period_end, 2)
        self.at(local_at(submitted, 16), self.submit, report)
        self.at(local_at(add_working_days(submitted, 1), 11), self.review, report, plan["report"])
        self.at(local_at(month.replace(day=16), 2), lambda when: self.cast.tick(when))

    # --- the steps, each at its time

    def draft(self, when: datetime, report: ServiceReport, day: int, rated: bool) -> None:
        """The provider adds the day's activity to the month's report; two workers rate it."""
        activities = [a for a in activities_of(report.period_start) if a.date.day <= day]
        contract_services.report_save(
            actor=self.cast.provider_users[0],
            report=report,
            activities=activities,
            narrative=narrative(report.period_start),
        )
        activity = report.activities.get(date=report.period_start.replace(day=day))
        for k, stars in enumerate(STARS if rated else (), start=1):
            self.at(local_at(activity.date + timedelta(days=k), 19), self.rate, activity, stars)

    def rate(self, when: datetime, activity, stars: int) -> None:
        self.cast.devices += 1
        evaluation_services.rating_submit(
            token=evaluation_services.rating_link_for(activity).token,
            stars=stars,
            comment="",
            device_id=f"worker-phone-{self.cast.devices}",
            now=when,
        )

    def assign_inspection(self, when: datetime, day: date, plan: dict) -> None:
        inspection = evaluation_services.inspection_assign(
            actor=self.cast.admin,
            contract=self.contract,
            checklist=self.cast.checklist,
            inspector=self.cast.evaluators[0],
            due_on=day,
        )
        self.at(local_at(day, 15), self.inspect, inspection, plan["inspection"])

    def inspect(self, when: datetime, inspection, points: tuple[int, int]) -> None:
        items = {
            item.pk: evaluation_services.ItemScoreInput(Decimal(p), "签到表缺页，实到人数不符" if p < 60 else "")
            for item, p in zip(self.cast.checklist.items.order_by("position"), points, strict=True)
        }
        evaluation_services.inspection_submit(
            actor=inspection.inspector,
            inspection=inspection,
            items=items,
            inspected_on=when.date(),
            notes="现场检查",
            now=when,
        )
        order = RectificationOrder.objects.filter(
            contract=self.contract, period__month=when.date().replace(day=1), state=RectificationOrder.State.OPEN
        ).first()
        if order is not None:
            self.at(local_at(order.deadline - timedelta(days=1), 10), self.answer, order)
            self.at(local_at(order.deadline, 15), self.reinspect, order)

    def answer(self, when: datetime, order: RectificationOrder) -> None:
        evaluation_services.order_respond(
            actor=self.cast.provider_users[0],
            order=order,
            evidence=evidence_for(order),
            responses={f.pk: "已补齐签到表，更换授课教师。" for f in order.findings.all()},
            now=when,
        )

    def reinspect(self, when: datetime, order: RectificationOrder) -> None:
        """Re-inspection finds the first finding only partly put right: the order fails."""
        order.refresh_from_db()
        findings = list(order.findings.order_by("position"))
        outcomes = {f.pk: (Finding.Outcome.RESOLVED, "") for f in findings}
        outcomes[findings[0].pk] = (Finding.Outcome.PARTLY, "签到表仍有两次课缺页。")
        evaluation_services.order_reinspect(actor=order.reinspector, order=order, outcomes=outcomes, now=when)

    def submit(self, when: datetime, report: ServiceReport) -> None:
        contract_services.report_submit(actor=self.cast.provider_users[0], report=report, now=when)

    def review(self, when: datetime, report: ServiceReport, score: Decimal) -> None:
        contract_services.report_review(
            actor=self.cast.evaluators[1], report=report, accept=True, score=score, comment="台账齐全。", now=when
        )

    def release(self, when: datetime, position: int) -> None:
        contract_services.milestone_release(
            actor=self.cast.admin, milestone=self.contract.milestones.get(position=position), now=when
        )


ACTIVITY_DAYS = (8, 22)


def activities_of(month: date) -> list[contract_services.ActivityInput]:
    return [
        contract_services.ActivityInput(
            month.replace(day=day),
            f"低压电工实操培训（{month.month}月第{n}期）",
            ServiceCategory.TRAINING,
            "二楼实训室",
            SESSION_VISITS,
        )
        for n, day in enumerate(ACTIVITY_DAYS, start=1)
    ]


def narrative(month: date) -> str:
    return f"{month.month}月开展低压电工实操培训2期，服务职工{2 * SESSION_VISITS}人次。签到表与照片已存档。"


# --- 4. the final evaluation ---------------------------------------------------------------------------

# Each evaluator's points on the three review criteria (maxima 40/30/30): means 16, 12 and 12, so 40 of 100.
PANEL_SHEETS = (
    {"results": Decimal(14), "reputation": Decimal(11), "management": Decimal(10)},
    {"results": Decimal(16), "reputation": Decimal(12), "management": Decimal(12)},
    {"results": Decimal(18), "reputation": Decimal(13), "management": Decimal(14)},
)


def panel_review(cast: Cast, evaluation: FinalEvaluation) -> None:
    for seat, sheet in zip(evaluation.panel.order_by("pk"), PANEL_SHEETS, strict=True):
        evaluation_services.final_panel_declare(actor=seat.evaluator, seat=seat, conflict=Declaration.Conflict.NONE)
        evaluation_services.final_panel_submit(
            actor=seat.evaluator,
            seat=seat,
            scores={criterion: (points, "服务效果一般，职工反映签到不规范。") for criterion, points in sheet.items()},
        )


def notified(user: User, *fragments: str) -> bool:
    """Whether ``user`` has a notification whose subject holds every fragment."""
    return any(all(f in n.subject for f in fragments) for n in Notification.objects.filter(recipient=user))


# --- the story ------------------------------------------------------------------------------------------


def test_the_wenshang_story(wenshang, django_capture_on_commit_callbacks):
    with time_machine.travel(at(2024, 11, 15), tick=False) as clock:
        cast = cast_for(wenshang, clock)
        provider, provider_user_ = cast.providers[0], cast.provider_users[0]

        # 1–2. Recruited in public, awarded, contracted for 2025.
        recruitment = recruit(cast)
        contract = contract_from(cast, recruitment)

        # 3. Eleven months of service; September fails and its rectification fails too.
        year = Year(cast, contract)
        month = TERM_START
        while month < date(2025, 12, 1):
            year.plan(month)
            month = add_month(month)
        year.plan(date(2025, 12, 1), evaluated=False)
        year.at(at(2025, 7, 7, 15), year.release, 2)  # mid-term, no order open: the 40% is paid
        year.run(until=at(2025, 11, 30, 2))

        order = RectificationOrder.objects.get(contract=contract)
        assert order.state == RectificationOrder.State.FAILED and order.period.month == FAILING_MONTH
        assert order.findings.filter(outcome=Finding.Outcome.PARTLY).count() == 1
        assert order_process(order).status == PROCESS.DONE
        contract.refresh_from_db()
        assert contract.state == Contract.State.ACTIVE

        # 4. The final evaluation opens on its own, 30 days before the end (31 December), not a day earlier.
        assert cast.tick(at(2025, 11, 30, 2))["evaluations.open_final_evaluations"] == "opened 0"
        assert cast.tick(at(2025, 12, 1, 2))["evaluations.open_final_evaluations"] == "opened 1"
        evaluation = FinalEvaluation.objects.get(contract=contract)
        contract.refresh_from_db()
        assert evaluation.state == FinalEvaluation.State.PANEL
        assert contract.state == Contract.State.FINAL_EVALUATION
        assert notified(provider_user_, contract.number) and notified(cast.admin, contract.number)
        assert open_task(evaluation, "name_panel") is not None  # the administrators' inbox

        cast.move_to(at(2025, 12, 1, 9, 30))
        evaluation_services.final_panel_assign(actor=cast.admin, evaluation=evaluation, evaluators=cast.evaluators)
        assert open_task(evaluation, "name_panel") is None
        assert {
            t.owner
            for t in Task.objects.filter(
                process=final_process(evaluation), flow_task=FinalEvaluationFlow.seat, status__in=OPEN
            )
        } == set(cast.evaluators)
        year.run(until=at(2025, 12, 4))  # November's report, reviewed on 3 December
        scores = dict(PeriodScore.objects.filter(contract=contract).values_list("month", "score"))
        assert len(scores) == 11 and scores[FAILING_MONTH] == Decimal("42.00")
        assert set(scores.values()) == {Decimal("64.00"), Decimal("42.00")}
        cast.move_to(at(2025, 12, 4, 15))
        panel_review(cast, evaluation)
        evaluation.refresh_from_db()

        # The proposal, component by component (points = value × weight ÷ 100, unrounded; DOMAIN.md §5):
        assert evaluation.state == FinalEvaluation.State.PROPOSED
        assert (
            evaluation.weight_period_scores,
            evaluation.weight_kpi,
            evaluation.weight_satisfaction,
            evaluation.weight_panel,
        ) == (50, 20, 15, 15)
        # period scores: (10 × 64.00 + 42.00) ÷ 11 = 62.00 → 31.00
        assert (evaluation.period_scores_value, evaluation.period_scores_points) == (Decimal("62.00"), Decimal("31.00"))
        # KPI: 22 of 24 sessions and 550 of 600 visits delivered by the end of November: 91.67% → 18.334
        assert (evaluation.kpi_value, evaluation.kpi_points) == (Decimal("91.67"), Decimal("18.334"))
        # satisfaction: every activity rated 2★ (25) and 3★ (50): 37.50 → 5.625
        assert (evaluation.satisfaction_value, evaluation.satisfaction_points) == (Decimal("37.50"), Decimal("5.625"))
        # the panel: 16 + 12 + 12 = 40.00 → 6.00
        assert (evaluation.panel_value, evaluation.panel_points) == (Decimal("40.00"), Decimal("6.00"))
        # 60.959, less 5 for the failed order: 55.959, rounded once: 55.96, 差 (without the failed order 合格)
        assert (evaluation.failed_orders, evaluation.deduction, evaluation.red_lines) == (1, Decimal("5.00"), 0)
        assert (evaluation.proposed_total, evaluation.proposed_rating) == (Decimal("55.96"), FinalRating.POOR)
        assert evaluation.appeal_deadline == date(2025, 12, 11)  # 5 working days, the last one included
        assert notified(provider_user_, contract.number, "55.96")

        # 5. The provider appeals within the window, once; the administrator upholds the rating, with a reason.
        cast.move_to(at(2025, 12, 9, 16))
        appeal = evaluation_services.appeal_lodge(
            actor=provider_user_,
            evaluation=evaluation,
            evidence=[pdf_upload("整改佐证.pdf")],
            grounds="9月整改已基本完成，仅签到表缺页一项部分整改，扣分过重；请求重新核定。",
        )
        with pytest.raises(DomainError) as again:
            evaluation_services.appeal_lodge(actor=provider_user_, evaluation=evaluation, grounds="再次申诉")
        assert "2025-12-09" in str(again.value)
        cast.move_to(at(2025, 12, 15, 10))
        evaluation_services.appeal_decide(
            actor=cast.admin,
            appeal=appeal,
            decision=Appeal.Decision.UPHELD,
            reason="经复核，9月整改复查结论为部分整改、整改不合格，依规扣减5分，维持原评定。",
        )
        evaluation.refresh_from_db()
        assert evaluation.state == FinalEvaluation.State.SIGN_OFF
        assert open_task(evaluation, "sign_off") is not None
        assert notified(provider_user_, contract.number, str(FinalRating.POOR.label))

        # December's report closes the books before the sign-off (twelve reports in the term).
        year.run()
        assert contract.reports.filter(state=ServiceReport.State.ACCEPTED).count() == 12

        # 6. Sign-off by one administrator, confirmation by a second: the signer cannot confirm a 差 alone.
        cast.move_to(at(2026, 1, 7, 10))
        evaluation_services.final_sign_off(actor=cast.admin, evaluation=evaluation)
        evaluation.refresh_from_db()
        assert evaluation.state == FinalEvaluation.State.CONFIRMING and evaluation.rating == ""
        assert open_task(evaluation, "confirm") is not None
        with pytest.raises(DomainError) as alone:
            evaluation_services.final_confirm(actor=cast.admin, evaluation=evaluation)
        assert str(alone.value) == str(final_services.ERR_SAME_ADMIN)
        cast.move_to(at(2026, 1, 8, 9))
        with django_capture_on_commit_callbacks(execute=True):
            evaluation_services.final_confirm(actor=cast.second_admin, evaluation=evaluation)
        evaluation.refresh_from_db()
        assert (evaluation.state, evaluation.rating, evaluation.total) == (
            FinalEvaluation.State.FINAL,
            FinalRating.POOR,
            Decimal("55.96"),
        )
        assert (evaluation.signed_off_by, evaluation.confirmed_by) == (cast.admin, cast.second_admin)
        assert evaluation.outcome == FinalEvaluation.Outcome.EXITED
        report = IssuedDocument.objects.get(kind=IssuedDocument.Kind.ASSESSMENT_REPORT)
        text = "".join(p.extract_text() for p in PdfReader(report.file.open("rb")).pages)
        assert "差" in text and provider.name in text
        # each component (unrounded), their sum, the deduction, and the total rounded once
        for points in ("31.00", "18.334", "5.625", "6.00", "60.959", "5.00", "55.96"):
            assert points in text, points

        # 7. The exit: terminated with its reason, the last payment withheld, excluded for a year, a handover.
        contract.refresh_from_db()
        exit_ = Exit.objects.get(contract=contract)
        assert contract.state == Contract.State.TERMINATED and "差" in contract.end_reason
        assert contract.ended_at == at(2026, 1, 8, 9)
        milestones = {m.position: m for m in contract.milestones.all()}
        assert milestones[1].released_at and milestones[2].released_at
        assert exit_.withheld_milestone == milestones[3] and milestones[3].withheld_at is not None
        with pytest.raises(DomainError):
            contract_services.milestone_release(actor=cast.admin, milestone=milestones[3])
        exclusion = Exclusion.objects.get(provider=provider)
        assert (exclusion.palace, exclusion.starts_on, exclusion.ends_on) == (
            wenshang,
            date(2026, 1, 8),
            date(2027, 1, 8),
        )
        assert exit_.exclusion == exclusion
        assert notified(provider_user_, "退出合作", contract.number)
        with pytest.raises(DomainError) as twice:
            evaluation_services.exit_open(
                actor=cast.admin, contract=contract, reason="再次退出", final_evaluation=evaluation
            )
        assert "2026-01-08" in str(twice.value)
        assert Exit.objects.count() == Exclusion.objects.count() == 1
        assert Recruitment.objects.filter(project=recruitment.project).count() == 2

        items = list(exit_.handover_items.order_by("pk"))
        assert {i.kind for i in items} == set(HandoverItem.Kind.values)
        cast.move_to(at(2026, 1, 9, 15))
        for item in items:
            evaluation_services.handover_confirm(
                actor=provider_user_, item=item, note=f"已移交：{item.get_kind_display()}"
            )
            evaluation_services.handover_confirm(actor=cast.admin, item=item)
        exit_.refresh_from_db()
        assert exit_.handover_completed_at == at(2026, 1, 9, 15)

        # 8. The re-tender: drafted for the same project from the old notice; the administrator sets the dates
        # and publishes it.
        retender = exit_.retender
        assert (retender.state, retender.project, retender.reissue_of) == (
            Recruitment.State.DRAFT,
            recruitment.project,
            recruitment,
        )
        assert retender.title.startswith(recruitment.title) and retender.eligibility == recruitment.eligibility
        assert criteria_of(retender) == criteria_of(recruitment)
        assert list(retender.required_documents.values_list("name", flat=True)) == DOCUMENTS
        opens = cast.move_to(at(2026, 1, 12, 9))
        deadline = local_at(add_working_days(opens.date(), 7), 17)
        procurement_services.recruitment_update(
            actor=cast.admin,
            recruitment=retender,
            title=retender.title,
            deadline=deadline,
            criteria=[
                procurement_services.CriterionInput(c.name, c.max_points, c.kind, c.description)
                for c in retender.criteria.all()
            ],
            required_documents=DOCUMENTS,
            description=retender.description,
            eligibility=retender.eligibility,
            budget_ceiling=retender.budget_ceiling,
            panel_size=retender.panel_size,
        )
        procurement_services.recruitment_publish(actor=cast.admin, recruitment=retender)
        retender.refresh_from_db()
        assert retender.state == Recruitment.State.PUBLISHED
        assert notified(cast.newcomer_user, retender.title) and not notified(provider_user_, retender.title)

        # 9. The excluded provider is refused, with the exclusion and its end date; others apply.
        required = retender.required_documents.get()
        cast.move_to(at(2026, 1, 13, 10))
        with pytest.raises(DomainError) as refused:
            procurement_services.application_submit(
                actor=provider_user_,
                recruitment=retender,
                price=Decimal("80000"),
                proposal="我单位再次申请。",
                files=[procurement_services.ApplicationFile(required.pk, pdf_upload())],
            )
        assert "2027-01-08" in str(refused.value) and contract.number in str(refused.value)
        assert not retender.applications.exists()
        for user in (cast.newcomer_user, cast.provider_users[1]):
            procurement_services.application_submit(
                actor=user,
                recruitment=retender,
                price=Decimal("85000"),
                proposal="我单位的服务方案。",
                files=[procurement_services.ApplicationFile(required.pk, pdf_upload())],
            )
        assert set(retender.applications.values_list("provider", flat=True)) == {cast.newcomer.pk, cast.providers[1].pk}

        # The processes followed the services, and the audit chain is whole.
        assert panel_process(recruitment).status == PROCESS.DONE
        assert final_process(evaluation).status == PROCESS.DONE
        assert verify_chain().ok


def criteria_of(recruitment: Recruitment) -> list[tuple]:
    return list(recruitment.criteria.order_by("position").values_list("name", "max_points", "kind", "description"))
