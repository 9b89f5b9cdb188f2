"""Demo final evaluations (seed_demo) for 汶上县工人文化宫, through the services, on top of the other demos.

Four six-month terms end this month, one for each way a final evaluation goes. Each
has its own service project and contract, apart from the eight contracts of the
contracts and real-time demos, with five closed months of service reports (every one
accepted), inspections, a few workers' ratings a month (fewer than 30, so satisfaction
counts in the final evaluation but is shared out of each month's score) and the first
two payments. Thirty days before the end the final evaluation opened on its own; the
panels met today:

=====================  ============================  ===============================================
service project        provider                      what happened
=====================  ============================  ===============================================
职工健康讲座与义诊      汶上县心理学会                 recruited in public; few sessions, poor ratings,
                                                     and a red line (a "体检套餐" charged to workers)
                                                     whose order went unanswered and **failed** on its
                                                     deadline. Final rating **差**; the provider's
                                                     appeal was **rejected**; signed off by ws-admin,
                                                     confirmed by ws-admin2: **exit** (contract
                                                     terminated, last payment withheld, excluded for a
                                                     year), the handover half confirmed, and the
                                                     **re-tender drafted** from the old notice for
                                                     ws-admin to set its dates and publish
困难职工家政帮扶服务    汶上县家政服务协会             ahead of schedule, high ratings: proposed 良好;
                                                     the provider's appeal showed home visits left
                                                     out of the count, and ws-admin **adjusted** it to
                                                     90.50, **优秀**; signed off, the last 30% paid,
                                                     and **renewed** for the next term without
                                                     re-tender (the draft signed by the palace, waiting
                                                     for the provider to accept it)
职工应急救护培训        筑安技术培训中心               steady: proposed **合格** today, **in its appeal
                                                     window** (5 working days)
新就业形态劳动者关爱    济宁智联电子商务职业培训学校    **panel in progress**: ws-eval1 has scored,
服务                                                 ws-eval3 has declared no conflict, ws-eval5 has
                                                     not opened the task
=====================  ============================  ===============================================

Dates are anchored on today: each term starts on the first of the month five months
back and ends on the last day of this month, so its final evaluation has opened (30
days before the end) whenever the demo is seeded. Services that take ``now=`` are
given the time the step would have happened; the panels' steps and what follows them
take the clock's time, as if the panels met today. Deterministic (``random.Random``
with fixed seeds). Idempotent: a story whose service project exists is left alone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from contracts import services as contract_services
from contracts.models import Activity, Contract, ServiceReport
from core.models import Palace, User
from core.workdays import WorkCalendar
from demo.contracts import Plan
from demo.contracts import _Seeder as PaperContracts
from demo.providers import DEMO_LICENCE
from demo.recruitments import CRITERIA, ELIGIBILITY
from evaluations.exit.models import HandoverItem
from evaluations.exit.services import handover_confirm
from evaluations.final.models import Appeal, FinalEvaluation, FinalPanelSeat
from evaluations.final.services.appeal import appeal_decide, appeal_lodge
from evaluations.final.services.evaluation import final_confirm, final_evaluation_open, final_sign_off, opens_on
from evaluations.final.services.panel import (
    final_panel_assign,
    final_panel_declare,
    final_panel_submit,
)
from evaluations.final.services.renewal import final_renew
from evaluations.realtime.checklists import ensure_default_checklists
from evaluations.realtime.models import ChecklistTemplate, RedLine
from evaluations.realtime.services.inspections import (
    ItemScoreInput,
    inspection_assign,
    inspection_submit,
    red_line_record,
)
from evaluations.realtime.services.ratings import rating_link_for, rating_submit
from evaluations.rectification.services import orders_fail_overdue
from procurement import services as procurement_services
from procurement.models import (
    Declaration,
    KpiMetric,
    Provider,
    ServiceCategory,
    ServiceProject,
)

TERM_MONTHS = 6
C = ServiceCategory


@dataclass(frozen=True)
class Story:
    key: str  # the method that finishes its final evaluation
    project: str
    category: str
    budget: str
    sessions: int  # KPI targets for the term
    visits: int
    description: str
    provider: str  # the provider's demo login
    inspector: str
    reviewer: str
    panel: tuple[str, str, str]
    sessions_by_month: tuple[int, ...]  # activities in each closed month
    activity: str
    place: str
    participants: tuple[int, int]
    inspection: tuple[int, int]  # checklist points
    report: tuple[int, int]  # review score (in half points: 150 = 75)
    stars: tuple[int, int, int, int, int]  # weights of 1★ … 5★
    ratings: tuple[int, int]  # ratings per activity
    sheets: tuple[tuple[int, int, int], ...]  # the panel's points: results /40, reputation /30, management /30


STORIES = (
    Story(
        "exited",
        "职工健康讲座与义诊",
        C.HEALTH,
        "60000",
        12,
        600,
        "健康讲座进企业、常见病义诊与健康咨询，面向一线职工。",
        "provider1",
        "ws-eval2",
        "ws-eval1",
        ("ws-eval1", "ws-eval2", "ws-eval3"),
        (1, 1, 1, 1, 1),
        "健康讲座进企业：{topic}",
        "企业职工之家",
        (18, 28),
        (62, 70),
        (150, 156),
        (10, 30, 38, 17, 5),
        (1, 2),
        ((17, 12, 11), (15, 13, 10), (19, 11, 12)),
    ),
    Story(
        "renewed",
        "困难职工家政帮扶服务",
        C.OTHER,
        "54000",
        12,
        360,
        "为困难职工家庭提供入户保洁、助老助残等家政帮扶，每次服务有回访记录。",
        "provider4",
        "ws-eval4",
        "ws-eval3",
        ("ws-eval4", "ws-eval5", "ws-eval6"),
        (3, 2, 2, 2, 2),
        "困难职工家庭入户家政帮扶（{topic}）",
        "困难职工家庭",
        (28, 32),
        (88, 95),
        (178, 192),
        (1, 3, 10, 38, 48),
        (2, 3),
        ((27, 20, 19), (26, 21, 18), (27, 19, 20)),
    ),
    Story(
        "appeal_window",
        "职工应急救护培训",
        C.HEALTH,
        "42000",
        12,
        360,
        "心肺复苏、AED 使用与创伤包扎等应急救护培训，考核合格者发放培训证书。",
        "provider2",
        "ws-eval3",
        "ws-eval2",
        ("ws-eval2", "ws-eval4", "ws-eval6"),
        (2, 2, 2, 2, 2),
        "职工应急救护培训班（{topic}）",
        "一楼培训教室",
        (28, 36),
        (66, 78),
        (156, 176),
        (4, 10, 32, 38, 16),
        (1, 2),
        ((25, 19, 18), (24, 18, 19), (26, 20, 17)),
    ),
    Story(
        "panel_in_progress",
        "新就业形态劳动者关爱服务",
        C.OTHER,
        "48000",
        12,
        480,
        "为快递员、网约配送员等新就业形态劳动者提供驿站休息、技能提升与权益咨询服务。",
        "provider5",
        "ws-eval6",
        "ws-eval4",
        ("ws-eval1", "ws-eval3", "ws-eval5"),
        (2, 2, 2, 2, 2),
        "新就业形态劳动者驿站服务日（{topic}）",
        "户外劳动者服务驿站",
        (35, 50),
        (78, 92),
        (162, 184),
        (1, 4, 15, 45, 35),
        (1, 2),
        ((32, 24, 23),),
    ),
)
TOPICS = (
    "第一期",
    "第二期",
    "第三期",
    "第四期",
    "第五期",
    "第六期",
    "第七期",
    "第八期",
    "第九期",
    "第十期",
    "第十一期",
    "第十二期",
)

# The exited term's recruitment: three applicants, the panel's view of each proposal (0–1).
RECRUITMENT_TITLE = "汶上县工人文化宫职工健康讲座与义诊服务项目公开招募公告"
RECRUITMENT_DOCUMENTS = ["医护人员执业资格证明"]
BIDS = (
    (
        "provider1",
        Decimal("0.90"),
        Decimal("0.86"),
        "本会组织心理咨询师与合作医院医生每月进企业开展健康讲座与义诊，全年服务不少于600人次。",
    ),
    ("provider2", Decimal("0.94"), Decimal("0.78"), "我中心联合县红十字会开展健康讲座与急救知识普及。"),
    ("provider4", Decimal("0.97"), Decimal("0.72"), "本协会可组织家政从业人员健康讲座与职工义诊。"),
)

RED_LINE = "义诊现场向参加体检的职工推销“体检套餐”，每人收取 80 元，该服务合同约定为免费。"
APPEAL_POOR = (
    "我会全年按计划开展健康讲座，红线事件系合作医院个别人员所为，我会已解除合作；"
    "另专家组对“职工口碑”一项评分偏低，请求复核评定等级。"
)
DECISION_POOR = (
    "经复核：收费行为发生在我会组织的义诊现场，限期整改通知逾期未予答复，整改不合格；"
    "全年服务场次仅完成约四成，职工满意度偏低。申诉理由不成立，维持“差”的评定。"
)
APPEAL_GOOD = (
    "3月、4月有12次入户帮扶因扫码签到系统故障改为纸质登记，未计入服务台账；"
    "附困难职工家庭签字确认的纸质登记表和回访记录，请求据实调整。"
)
DECISION_GOOD = (
    "经核对纸质登记表和回访记录，补计漏记的12次入户帮扶，KPI 完成率应为100%；专家组复议“职工口碑”一项，"
    "采纳困难职工家庭的感谢信和回访记录。评定总分调整为90.50分。"
)
ADJUSTED_TOTAL = Decimal("90.50")
HANDOVER = {  # the handover so far: (the provider's record, whether the palace has confirmed it)
    HandoverItem.Kind.PARTICIPANTS: (
        "移交全年健康讲座签到表、义诊登记表及职工健康档案 126 份（纸质、电子各一份）。",
        True,
    ),
    HandoverItem.Kind.KEYS: ("归还企业职工之家义诊室钥匙 2 把、门禁卡 3 张。", True),
    HandoverItem.Kind.EQUIPMENT: ("归还血压计 4 台、血糖仪 2 台及宣传展架 6 个。", False),
}


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """The time a step happened on ``day``, never later than now."""
    return min(timezone.make_aware(datetime.combine(day, time(hour, minute))), timezone.now())


def _licence(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, DEMO_LICENCE, content_type="application/pdf")


class _Seeder:
    def __init__(self, palace: Palace, today: date) -> None:
        self.palace, self.today = palace, today
        self.admin, self.second = User.objects.get(username="ws-admin"), User.objects.get(username="ws-admin2")
        self.calendar = WorkCalendar()
        self.starts_on = contract_services.add_months(today.replace(day=1), -(TERM_MONTHS - 1))
        ensure_default_checklists(palace, self.admin)
        self.checklists = {
            t.category: t for t in ChecklistTemplate.objects.filter(palace=palace, is_active=True).order_by("-pk")
        }

    def user(self, username: str) -> User:
        return User.objects.get(username=username)

    def provider_of(self, username: str) -> Provider:
        return self.user(username).provider_link.provider

    # --- the term -------------------------------------------------------------------------------

    def project(self, story: Story) -> ServiceProject:
        return procurement_services.service_project_create(
            actor=self.admin,
            palace=self.palace,
            name=story.project,
            category=story.category,
            description=story.description,
            budget=Decimal(story.budget),
            term_months=TERM_MONTHS,
            kpi_targets=[
                procurement_services.KpiTargetInput(KpiMetric.SESSIONS, Decimal(story.sessions), "场"),
                procurement_services.KpiTargetInput(KpiMetric.PARTICIPANT_VISITS, Decimal(story.visits), "人次"),
                procurement_services.KpiTargetInput(KpiMetric.SATISFACTION, Decimal(85), "%"),
            ],
        )

    def recruited_contract(self, story: Story, project: ServiceProject) -> Contract:
        """Recruited in public two months before the term: three applications, a panel of three, awarded."""
        opened = _at(self.calendar.next_working_day(self.starts_on - timedelta(days=60)), 9)
        deadline = _at(self.calendar.add_working_days(timezone.localdate(opened), 7), 17)
        recruitment = procurement_services.recruitment_create(
            actor=self.admin,
            project=project,
            title=RECRUITMENT_TITLE,
            deadline=deadline,
            criteria=CRITERIA["activity"],
            required_documents=RECRUITMENT_DOCUMENTS,
            eligibility=ELIGIBILITY,
            description="在全县重点企业开展职工健康讲座与义诊，半年12场、600人次。",
            panel_size=3,
        )
        procurement_services.recruitment_publish(actor=self.admin, recruitment=recruitment, now=opened)
        required = recruitment.required_documents.get()
        for i, (username, share, _quality, proposal) in enumerate(BIDS):
            procurement_services.application_submit(
                actor=self.user(username),
                recruitment=recruitment,
                proposal=proposal,
                price=(recruitment.budget_ceiling * share).quantize(Decimal(100)),
                files=[procurement_services.ApplicationFile(required.pk, _licence("执业资格证明.pdf"))],
                now=opened + timedelta(days=1 + i, hours=2),
            )
        procurement_services.recruitment_close(recruitment=recruitment, now=deadline + timedelta(minutes=1))
        evaluators = [self.user(u) for u in story.panel]
        procurement_services.panel_assign(actor=self.admin, recruitment=recruitment, evaluators=evaluators)
        applications = list(procurement_services.valid_applications(recruitment))
        quality = {self.provider_of(u).pk: q for u, _share, q, _p in BIDS}
        subjective = list(recruitment.criteria.filter(kind="subjective"))
        for e, member in enumerate(recruitment.panel.order_by("pk")):
            procurement_services.panel_declare(
                actor=member.evaluator,
                member=member,
                conflicts={a.pk: (Declaration.Conflict.NONE, "") for a in applications},
            )
            procurement_services.scores_submit(
                actor=member.evaluator,
                member=member,
                scores=[
                    procurement_services.ScoreInput(
                        a.pk,
                        c.pk,
                        (c.max_points * (quality[a.provider_id] + Decimal("0.02") * (e - 1))).quantize(Decimal("0.5")),
                    )
                    for a in applications
                    for c in subjective
                ],
            )
        recruitment.refresh_from_db()
        proposed = _at(self.calendar.add_working_days(timezone.localdate(deadline), 3), 10)
        procurement_services.award_propose(
            actor=self.admin, recruitment=recruitment, application=recruitment.applications.get(rank=1), now=proposed
        )
        recruitment.refresh_from_db()
        procurement_services.recruitment_finalise(
            recruitment=recruitment, now=recruitment.publicity_ends_at + timedelta(minutes=1)
        )
        contract = Contract.objects.get(recruitment=recruitment)
        return self.terms(contract, project)

    def paper_contract(self, story: Story, project: ServiceProject) -> Contract:
        """A contract agreed on paper before the palace used Hezuo, drafted as the contracts demo drafts one."""
        plan = Plan("wenshang", story.provider, story.project, TERM_MONTHS - 1, Decimal("0.95"), regular=())
        contract = PaperContracts(plan, self.today).draft(project, self.starts_on, _at(self.starts_on, 10))
        return self.terms(contract, project)

    def terms(self, contract: Contract, project: ServiceProject) -> Contract:
        """Six months from the first of the month five months back; signed, accepted, the first 30% paid."""
        contract = contract_services.contract_update(
            actor=self.admin,
            contract=contract,
            amount=contract.amount,
            term_months=TERM_MONTHS,
            starts_on=self.starts_on,
            report_schedule=Contract.ReportSchedule.MONTHLY,
            kpi_targets=[
                contract_services.KpiTargetInput(k.metric, k.target, k.unit, k.label) for k in project.kpi_targets.all()
            ],
        )
        signed = _at(self.starts_on - timedelta(days=12), 10)
        contract_services.contract_sign(actor=self.admin, contract=contract, now=signed)
        provider_user = User.objects.filter(provider_link__provider_id=contract.provider_id).order_by("pk").first()
        contract_services.contract_accept(actor=provider_user, contract=contract, now=signed + timedelta(days=3))
        contract_services.milestone_release(
            actor=self.admin,
            milestone=contract.milestones.get(position=1),
            now=_at(self.starts_on + timedelta(days=6), 15),
        )
        return contract

    def serve(self, story: Story, contract: Contract, rng: random.Random) -> None:
        """Each closed month: the activities, their ratings, an inspection, the report accepted."""
        provider_user = self.user(story.provider)
        reports = list(contract.reports.filter(period_end__lt=self.today).order_by("sequence"))
        midpoint = contract_services.add_months(contract.starts_on, TERM_MONTHS // 2)
        for index, report in enumerate(reports):
            if report.period_start == midpoint:
                contract_services.milestone_release(
                    actor=self.admin,
                    milestone=contract.milestones.get(position=2),
                    now=_at(midpoint + timedelta(days=5), 15),
                )
            count = story.sessions_by_month[index]
            days = [report.period_start + timedelta(days=4 + 7 * n) for n in range(count)]
            activities = [
                contract_services.ActivityInput(
                    day,
                    story.activity.format(topic=TOPICS[(sum(story.sessions_by_month[:index]) + n) % len(TOPICS)]),
                    story.category,
                    story.place,
                    rng.randint(*story.participants),
                )
                for n, day in enumerate(days)
            ]
            contract_services.report_save(
                actor=provider_user,
                report=report,
                activities=activities,
                narrative=f"{report.period_start.month}月开展服务{count}场，服务职工"
                f"{sum(a.participants for a in activities)}人次，签到表与照片已存档。",
            )
            for activity in Activity.objects.filter(report=report).order_by("date", "pk"):
                self.rate(story, activity, rng)
            self.inspect(story, contract, report.period_start, rng)
            if story.key == "exited" and index == 3:
                self.red_line(story, contract, report.period_start + timedelta(days=18))
            self.report(story, report, rng)

    def rate(self, story: Story, activity: Activity, rng: random.Random) -> None:
        token = rating_link_for(activity).token
        for k in range(rng.randint(*story.ratings) * 3):
            stars = rng.choices((1, 2, 3, 4, 5), weights=story.stars)[0]
            rating_submit(
                token=token,
                stars=stars,
                comment="",
                device_id=f"final-demo-{activity.pk}-{k}",
                now=_at(
                    activity.date + timedelta(days=rng.choice((0, 1, 1, 2))), rng.randint(12, 21), rng.randint(0, 59)
                ),
            )

    def inspect(self, story: Story, contract: Contract, month: date, rng: random.Random) -> None:
        day = month + timedelta(days=13)
        while not self.calendar.is_workday(day):
            day += timedelta(days=1)
        checklist = self.checklists[story.category]
        inspector = self.user(story.inspector)
        inspection = inspection_assign(
            actor=self.admin,
            contract=contract,
            checklist=checklist,
            inspector=inspector,
            due_on=day,
            now=_at(day - timedelta(days=3), 9),
        )
        items = {item.pk: ItemScoreInput(Decimal(rng.randint(*story.inspection))) for item in checklist.items.all()}
        inspection_submit(
            actor=inspector,
            inspection=inspection,
            items=items,
            inspected_on=day,
            notes="现场检查，服务按计划开展。",
            now=_at(day, 16, rng.randint(0, 59)),
        )

    def red_line(self, story: Story, contract: Contract, day: date) -> None:
        """A red line nobody answers: the day after the deadline, the daily check fails its order."""
        red = red_line_record(
            actor=self.user(story.inspector),
            contract=contract,
            category=RedLine.Category.CHARGING,
            occurred_on=day,
            description=RED_LINE,
            now=_at(day, 17, 30),
        )
        orders_fail_overdue(_at(red.order.deadline + timedelta(days=1), 1))

    def report(self, story: Story, report: ServiceReport, rng: random.Random) -> None:
        """Submitted within the first working days after the month, accepted a day or two later."""
        submitted = _at(self.calendar.add_working_days(report.period_end, rng.randint(1, 3)), 16, 30)
        report = contract_services.report_submit(actor=self.user(story.provider), report=report, now=submitted)
        reviewed = _at(self.calendar.add_working_days(timezone.localdate(submitted), rng.randint(1, 2)), 11)
        contract_services.report_review(
            actor=self.user(story.reviewer),
            report=report,
            accept=True,
            score=Decimal(rng.randint(*story.report)) / 2,
            comment="台账齐全，活动照片与签到表一致。",
            now=max(reviewed, submitted),
        )

    # --- the final evaluation ---------------------------------------------------------------------

    def open_final(self, contract: Contract) -> FinalEvaluation:
        """What the scheduler did at 02:00 on the day, 30 days before the end."""
        return final_evaluation_open(contract=contract, now=_at(opens_on(contract), 2))

    def panel(
        self, story: Story, evaluation: FinalEvaluation, *, submitted: int | None = None, declared: int = 0
    ) -> None:
        """The panel named today; ``submitted`` of its sheets in (all by default), ``declared`` more declared."""
        evaluators = [self.user(u) for u in story.panel]
        final_panel_assign(actor=self.admin, evaluation=evaluation, evaluators=evaluators)
        seats = list(FinalPanelSeat.objects.filter(evaluation=evaluation).select_related("evaluator").order_by("pk"))
        submitted = len(seats) if submitted is None else submitted
        for index, seat in enumerate(seats[: submitted + declared]):
            final_panel_declare(actor=seat.evaluator, seat=seat, conflict=Declaration.Conflict.NONE)
            if index < submitted:
                results, reputation, management = story.sheets[index]
                final_panel_submit(
                    actor=seat.evaluator,
                    seat=seat,
                    scores={
                        "results": (Decimal(results), "服务按合同开展，台账基本完整。"),
                        "reputation": (Decimal(reputation), "职工评价与回访情况见满意度统计。"),
                        "management": (Decimal(management), "安全与规范管理情况见现场检查记录。"),
                    },
                )

    def seed(self, story: Story) -> None:
        if ServiceProject.objects.filter(palace=self.palace, name=story.project).exists():
            return
        project = self.project(story)
        contract = (
            self.recruited_contract(story, project) if story.key == "exited" else self.paper_contract(story, project)
        )
        self.serve(story, contract, random.Random(f"final-demo/{story.project}"))
        evaluation = self.open_final(contract)
        getattr(self, f"story_{story.key}")(story, evaluation)

    # --- the four outcomes -------------------------------------------------------------------------

    def story_exited(self, story: Story, evaluation: FinalEvaluation) -> None:
        """差: appealed, the appeal rejected, signed off and confirmed; exit, handover half done, re-tender drafted."""
        self.panel(story, evaluation)
        provider_user = self.user(story.provider)
        appeal = appeal_lodge(
            actor=provider_user, evaluation=evaluation, grounds=APPEAL_POOR, evidence=[_licence("合作医院解除协议.pdf")]
        )
        appeal_decide(actor=self.admin, appeal=appeal, decision=Appeal.Decision.UPHELD, reason=DECISION_POOR)
        final_sign_off(actor=self.admin, evaluation=evaluation)
        final_confirm(actor=self.second, evaluation=evaluation)
        exit_ = evaluation.contract.exit
        for item in exit_.handover_items.order_by("pk"):
            if item.kind in HANDOVER:
                note, palace_confirms = HANDOVER[item.kind]
                handover_confirm(actor=provider_user, item=item, note=note)
                if palace_confirms:
                    handover_confirm(actor=self.admin, item=item, note="已清点无误。")

    def story_renewed(self, story: Story, evaluation: FinalEvaluation) -> None:
        """良好 proposed, adjusted on appeal to 优秀; signed off, the last 30% paid, renewed, the renewal signed."""
        self.panel(story, evaluation)
        evaluation.refresh_from_db()
        appeal = appeal_lodge(
            actor=self.user(story.provider),
            evaluation=evaluation,
            grounds=APPEAL_GOOD,
            evidence=[_licence("纸质登记表及回访记录.pdf")],
        )
        appeal_decide(
            actor=self.admin,
            appeal=appeal,
            decision=Appeal.Decision.ADJUSTED,
            adjusted_total=ADJUSTED_TOTAL,
            reason=DECISION_GOOD,
        )
        final_sign_off(actor=self.admin, evaluation=evaluation)
        contract = evaluation.contract
        contract_services.milestone_release(actor=self.admin, milestone=contract.milestones.get(position=3))
        renewal = final_renew(actor=self.admin, evaluation=evaluation)
        contract_services.contract_sign(actor=self.admin, contract=renewal)

    def story_appeal_window(self, story: Story, evaluation: FinalEvaluation) -> None:
        """合格 proposed today: the provider may appeal for five working days."""
        self.panel(story, evaluation)

    def story_panel_in_progress(self, story: Story, evaluation: FinalEvaluation) -> None:
        """One sheet in, one evaluator declared, one not started."""
        self.panel(story, evaluation, submitted=1, declared=1)


@transaction.atomic
def seed_final_evaluations(stdout=None) -> None:
    """Add Wenshang's four final-evaluation stories, each unless its service project exists already."""
    palace = Palace.objects.filter(code="wenshang").first()
    if palace is None:
        return
    seeder = _Seeder(palace, timezone.localdate())
    for story in STORIES:
        seeder.seed(story)
    if stdout is not None:
        evaluations = FinalEvaluation.objects.filter(contract__palace=palace).count()
        stdout.write(f"  {evaluations} final evaluations")


__all__ = ["STORIES", "seed_final_evaluations"]
