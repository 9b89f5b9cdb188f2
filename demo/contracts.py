"""Demo contracts and months of service reports (seed_demo), written through ``contracts.services``.

汶上县工人文化宫 has eight contracts in force, started ten or eight months ago, and
佛山市工人文化宫 two. Every closed month has its report: saved with its activities,
submitted and accepted by an evaluator with a score of 75–98, and the first payment
milestone is released for all but one contract. The month just closed shows the
desk as it is on a working day:

=================  ============================  ===================================================
contract           provider                      last closed month's report
=================  ============================  ===================================================
职工安全生产技能培训  筑安技术培训中心               submitted, awaiting review
职工职业技能提升培训  安泰培训学校                   **returned** for revision with comments
家政培训            汶上县家政服务协会               **overdue**, not started
工创圆梦            济宁智联电子商务职业培训学校      **overdue**, not started (milestone not released)
书法公益课堂         汶上县书法家协会                 submitted, awaiting review
经典诵读            汶上县书法家协会                 accepted
职工全民健身服务      汶上县羽毛球运动协会             accepted
职工心理健康         汶上县心理学会                   **overdue**, a draft not submitted
=================  ============================  ===================================================

The draft contract the 育婴师培训 award produced (demo/recruitments.py) is
signed by the palace and waits for the provider to accept it. A few contracts have a
draft for the current month. Over the last twelve months Wenshang's submitted and
accepted reports add up to about 64 training, 48 cultural and 27 sports activities
and some 76,000 participant-visits, the figures of the Wenshang article.

Dates are anchored on today: the contracts start on the first of a month ten or eight
months back, so the demo reads the same whenever it is seeded. Services that accept
``now=`` get the time the step would have happened. Idempotent: a contract that exists
for the same palace, provider and service project is left alone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from contracts import services
from contracts.models import Contract, ContractKpiTarget, Milestone, ServiceReport
from core import audit
from core.models import Palace, User
from procurement.models import KpiMetric, ServiceCategory, ServiceProject
from procurement.services import providers as procurement_services

C = ServiceCategory


@dataclass(frozen=True)
class Act:
    """An activity the provider runs: ``{topic}`` in the title takes the month's topic."""

    title: str
    category: str
    place: str
    low: int
    high: int
    topics: tuple[str, ...] = ()

    def title_for(self, index: int) -> str:
        return self.title.format(topic=self.topics[index % len(self.topics)]) if self.topics else self.title


@dataclass(frozen=True)
class NewProject:
    """A service project that procurement's demo does not define (bought before Hezuo was in use)."""

    category: str
    budget: str
    sessions: int
    visits: int
    description: str


@dataclass(frozen=True)
class Plan:
    palace: str
    provider: str  # the provider's demo login
    project: str
    months_back: int  # the term starts on the first of the month this many months back
    share: Decimal  # the amount as a share of the project budget
    regular: tuple[Act, ...]  # every month
    events: dict[int, tuple[int, Act]] = field(default_factory=dict)  # calendar month → (day, activity)
    last: str = "accepted"  # the last closed month's report: accepted|submitted|returned|pending|draft
    current_draft: bool = False  # a draft for the month under way
    release_first: bool = True  # the 30% paid on signing
    reviewer: str = "ws-eval1"
    admin: str = "ws-admin"
    new_project: NewProject | None = None
    summary: str = ""


SAFETY_TOPICS = (
    "有限空间作业安全",
    "电气火灾防范",
    "危险化学品安全管理",
    "高处作业防护",
    "消防器材使用",
    "职业病防护",
    "机械伤害预防",
    "新《安全生产法》解读",
    "应急救援与自救互救",
    "冬季安全生产",
)
FILMS = (
    "《长津湖》",
    "《守岛人》",
    "《我和我的祖国》",
    "《中国医生》",
    "《万里归途》",
    "《流浪地球2》",
    "《满江红》",
    "《热辣滚烫》",
    "《第二十条》",
    "《志愿军》",
    "《八角笼中》",
    "《人生大事》",
)
CLASSICS = (
    "《论语》选读",
    "唐诗经典",
    "宋词名篇",
    "《孟子》选读",
    "红色家书",
    "《诗经》选读",
    "毛泽东诗词",
    "《大学》《中庸》选读",
    "劳模故事",
    "汶上乡贤诗文",
)
MIND = (
    "职场压力与情绪管理",
    "亲子沟通技巧",
    "睡眠与心理健康",
    "新就业形态劳动者心理调适",
    "婚恋家庭关系",
    "退休前心理准备",
    "班组长沟通技巧",
    "正念减压入门",
)

PLANS: tuple[Plan, ...] = (
    Plan(
        "wenshang",
        "provider2",
        "职工安全生产技能培训",
        10,
        Decimal("0.92"),
        regular=(
            Act("安全生产大讲堂：{topic}（线上同步直播）", C.TRAINING, "多功能厅", 1000, 1800, SAFETY_TOPICS),
            Act("特种作业人员安全实操培训", C.TRAINING, "一楼培训教室", 40, 70),
        ),
        events={
            6: (16, Act("“安全生产月”应急疏散演练观摩", C.TRAINING, "文化宫广场", 1300, 1700)),
            9: (10, Act("企业专兼职安全员能力提升培训", C.TRAINING, "一楼培训教室", 80, 120)),
        },
        last="submitted",
        current_draft=True,
        reviewer="ws-eval1",
        new_project=NewProject(
            C.TRAINING, "110000", 24, 12000, "面向全县企业一线职工的安全生产大讲堂与特种作业安全实操培训。"
        ),
        summary="安全生产大讲堂线下线上同步开展，特种作业实操培训按计划完成",
    ),
    Plan(
        "wenshang",
        "provider3",
        "职工职业技能提升培训",
        8,
        Decimal("0.90"),
        regular=(
            Act("电工技能提升班（第{topic}期）", C.TRAINING, "二楼实训室", 35, 60, tuple("一二三四五六七八九十")),
            Act("焊工实操培训", C.TRAINING, "二楼实训室", 25, 45),
        ),
        events={5: (8, Act("“五一”职工技能大赛（电工、焊工）", C.TRAINING, "多功能厅", 700, 950))},
        last="returned",
        reviewer="ws-eval2",
        new_project=NewProject(C.TRAINING, "85000", 16, 800, "电工、焊工等职业技能提升培训与职工技能大赛。"),
        summary="电工、焊工技能提升班按课表开课，学员出勤稳定",
    ),
    Plan(
        "wenshang",
        "provider4",
        "家政培训",
        10,
        Decimal("0.88"),
        regular=(
            Act("养老护理员培训班", C.TRAINING, "一楼培训教室", 40, 60),
            Act("母婴护理实操课", C.TRAINING, "三楼实训室", 30, 50),
        ),
        events={7: (15, Act("家政服务职业技能竞赛", C.TRAINING, "多功能厅", 500, 700))},
        last="pending",
        reviewer="ws-eval3",
        summary="养老护理与母婴护理两个方向同步开班，结业学员已推荐至家政企业",
    ),
    Plan(
        "wenshang",
        "provider5",
        "工创圆梦",
        8,
        Decimal("0.93"),
        regular=(
            Act(
                "职工电商直播创业公开课：{topic}",
                C.TRAINING,
                "电商直播间",
                600,
                1300,
                (
                    "短视频拍摄",
                    "直播话术",
                    "农产品上行",
                    "网店装修",
                    "选品与供应链",
                    "直播复盘",
                    "私域运营",
                    "创业政策解读",
                ),
            ),
        ),
        events={6: (20, Act("职工创新创业项目路演", C.TRAINING, "多功能厅", 400, 600))},
        last="pending",
        release_first=False,
        reviewer="ws-eval4",
        summary="电商直播创业公开课线上线下同步开展，学员直播间陆续开播",
    ),
    Plan(
        "wenshang",
        "provider6",
        "书法公益课堂",
        8,
        Decimal("0.95"),
        regular=(
            Act("软笔书法基础班", C.CULTURE, "职工书屋", 30, 50),
            Act("硬笔书法提高班", C.CULTURE, "职工书屋", 25, 45),
        ),
        events={5: (1, Act("“翰墨汶上”职工书法作品展", C.CULTURE, "一楼展厅", 2400, 3200))},
        last="submitted",
        reviewer="ws-eval5",
        summary="软笔、硬笔书法课程按计划授课，学员作品入选职工书法展",
    ),
    Plan(
        "wenshang",
        "provider6",
        "经典诵读",
        10,
        Decimal("0.94"),
        regular=(
            Act("职工经典诵读会：{topic}", C.CULTURE, "职工书屋", 60, 140, CLASSICS),
            Act("经典诵读进车间", C.CULTURE, "企业职工之家", 80, 160),
            Act("惠工影院公益放映{topic}", C.CULTURE, "多功能厅", 220, 380, FILMS),
        ),
        events={
            4: (23, Act("“书香汶上”世界读书日万人诵读（线上线下）", C.CULTURE, "文化宫广场", 6000, 7500)),
            9: (26, Act("“书香汶上”职工经典诵读大赛决赛", C.CULTURE, "多功能厅", 1100, 1400)),
        },
        last="accepted",
        current_draft=True,
        reviewer="ws-eval6",
        summary="经典诵读会、进车间诵读和惠工影院放映按月开展，职工反响良好",
    ),
    Plan(
        "wenshang",
        "provider7",
        "职工全民健身服务",
        8,
        Decimal("0.91"),
        regular=(
            Act("职工羽毛球训练营", C.SPORTS, "羽毛球馆", 30, 60),
            Act("健身房器械使用指导课", C.SPORTS, "健身房", 25, 45),
            Act("职工篮球联赛（第{topic}轮）", C.SPORTS, "篮球场", 900, 1400, tuple("一二三四五六七八九十")),
        ),
        events={
            4: (18, Act("职工春季健步走", C.SPORTS, "汶上县文化广场", 10000, 12000)),
            8: (8, Act("“全民健身日”职工趣味运动会", C.SPORTS, "体育场", 6000, 7500)),
            10: (24, Act("职工篮球联赛总决赛", C.SPORTS, "篮球场", 1800, 2400)),
        },
        last="accepted",
        current_draft=True,
        reviewer="ws-admin",
        new_project=NewProject(
            C.SPORTS, "70000", 24, 20000, "职工羽毛球、器械健身指导与职工篮球联赛，承办全民健身日职工运动会。"
        ),
        summary="羽毛球训练营、健身指导和篮球联赛按计划进行，场馆使用率较高",
    ),
    Plan(
        "wenshang",
        "provider1",
        "职工心理健康",
        8,
        Decimal("0.90"),
        regular=(
            Act("心理健康讲座进企业：{topic}", C.HEALTH, "企业职工之家", 250, 520, MIND),
            Act("职工团体心理辅导", C.HEALTH, "心理咨询室", 12, 20),
        ),
        events={5: (25, Act("“5·25”心理健康日广场咨询", C.HEALTH, "文化宫广场", 1800, 2400))},
        last="draft",
        reviewer="ws-eval2",
        summary="心理讲座进企业与团体辅导按月开展，个案咨询已预约排期",
    ),
    Plan(
        "foshan",
        "provider9",
        "新城影院放映",
        8,
        Decimal("0.92"),
        regular=tuple(
            Act("新城分宫公益放映{topic}", C.CULTURE, "新城分宫影院（48座）", 32, 48, FILMS[i::4]) for i in range(4)
        )
        + (Act("粤语经典电影导赏", C.CULTURE, "新城分宫影院（48座）", 30, 48),),
        last="submitted",
        reviewer="fs-eval1",
        admin="fs-admin",
        summary="新城分宫影院每周放映，周末场次基本满座",
    ),
    Plan(
        "foshan",
        "provider9",
        "职工读书会",
        6,
        Decimal("0.95"),
        regular=(
            Act(
                "职工读书会：{topic}",
                C.CULTURE,
                "新城分宫阅览室",
                20,
                45,
                ("《平凡的世界》", "《人世间》", "《额尔古纳河右岸》", "《繁花》", "《活着》", "《长安的荔枝》"),
            ),
        ),
        last="accepted",
        reviewer="fs-eval2",
        admin="fs-admin",
        summary="每月主题读书分享，线上读书打卡同步进行",
    ),
)

ACCEPT_COMMENTS = (
    "活动组织规范，签到表与现场照片齐全。",
    "参与人数达到计划，职工反馈较好。",
    "台账清晰，建议下月增加线上报名渠道。",
    "活动内容贴近职工需求，继续保持。",
    "个别场次签到表字迹潦草，请注意规范填写。",
    "宣传到位，建议加强活动后的满意度回访。",
)
RETURN_COMMENT = "第2场活动的签到表缺少签名页，现场照片不足以证明参与人数；请补充签到表扫描件和活动照片后重新提交。"


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


class _Seeder:
    def __init__(self, plan: Plan, today: date) -> None:
        self.plan, self.today = plan, today
        self.palace = Palace.objects.get(code=plan.palace)
        self.admin = User.objects.get(username=plan.admin)
        self.reviewer = User.objects.get(username=plan.reviewer)
        self.provider_user = User.objects.get(username=plan.provider)
        self.provider = self.provider_user.provider_link.provider
        # A seed per contract: the same demo every time, different from contract to contract.
        self.rng = random.Random(f"{plan.palace}/{plan.project}")

    def project(self) -> ServiceProject:
        plan = self.plan
        project = ServiceProject.objects.filter(palace=self.palace, name=plan.project).first()
        if project is None:
            spec = plan.new_project
            project = procurement_services.service_project_create(
                actor=self.admin,
                palace=self.palace,
                name=plan.project,
                category=spec.category,
                description=spec.description,
                budget=Decimal(spec.budget),
                term_months=12,
                kpi_targets=[
                    procurement_services.KpiTargetInput(KpiMetric.SESSIONS, Decimal(spec.sessions), "场"),
                    procurement_services.KpiTargetInput(KpiMetric.PARTICIPANT_VISITS, Decimal(spec.visits), "人次"),
                    procurement_services.KpiTargetInput(KpiMetric.SATISFACTION, Decimal(85), "%"),
                ],
            )
        return project

    def draft(self, project: ServiceProject, starts_on: date, signed: datetime) -> Contract:
        """A contract agreed on paper before the palace used Hezuo, drafted as the award hand-off drafts one.

        There is no recruitment to draft it from, so the rows are written here and the
        drafting is audited as ``contracts.services.contract_draft_from_award`` audits it.
        """
        prefix = f"{self.palace.code.upper()}-HT-{timezone.localdate(signed):%Y}-"
        amount = (project.budget * self.plan.share).quantize(Decimal(100))
        contract = Contract.objects.create(
            number=f"{prefix}{Contract.objects.filter(number__startswith=prefix).count() + 1:03d}",
            palace=self.palace,
            provider=self.provider,
            project=project,
            amount=amount,
            term_months=12,
            starts_on=starts_on,
            ends_on=services.add_months(starts_on, 12) - timedelta(days=1),
            created_by=self.admin,
        )
        ContractKpiTarget.objects.bulk_create(
            [
                ContractKpiTarget(contract=contract, metric=k.metric, label=k.label, target=k.target, unit=k.unit)
                for k in project.kpi_targets.all()
            ]
        )
        remaining, rows = amount, []
        for position, (condition, percent) in enumerate(services.DEFAULT_MILESTONES, start=1):
            share = (
                remaining
                if position == len(services.DEFAULT_MILESTONES)
                else (amount * percent / 100).quantize(Decimal("0.01"))
            )
            remaining -= share
            rows.append(
                Milestone(contract=contract, position=position, condition=condition, percent=percent, amount=share)
            )
        Milestone.objects.bulk_create(rows)
        audit.record(
            actor=self.admin,
            action="contract.drafted",
            obj=contract,
            palace=self.palace.pk,
            after=audit.snapshot(
                contract, ["number", "provider", "project", "recruitment", "amount", "term_months", "state"]
            )
            | {"milestones": [{"condition": m.condition, "percent": m.percent, "amount": m.amount} for m in rows]},
        )
        return contract

    def seed(self) -> Contract | None:
        plan = self.plan
        project = self.project()
        if Contract.objects.filter(palace=self.palace, provider=self.provider, project=project).exists():
            return None
        starts_on = services.add_months(self.today.replace(day=1), -plan.months_back)
        signed = _at(starts_on - timedelta(days=12), 10)
        contract = self.draft(project, starts_on, signed)
        services.contract_sign(actor=self.admin, contract=contract, now=signed)
        services.contract_accept(actor=self.provider_user, contract=contract, now=signed + timedelta(days=3, hours=5))
        if plan.release_first:
            services.milestone_release(
                actor=self.admin,
                milestone=contract.milestones.get(position=1),
                now=_at(starts_on + timedelta(days=6), 15),
            )
        self.reports(contract)
        return contract

    # --- the reports ------------------------------------------------------------------------------

    def activities(self, report: ServiceReport, index: int, *, until: date | None = None) -> list:
        """The period's regular activities, spread over the month, and its events."""
        start, end = report.period_start, report.period_end
        days, count = (end - start).days + 1, len(self.plan.regular)
        rows = []
        for k, act in enumerate(self.plan.regular):
            # Spread over the month, a few days either side of an even spacing.
            offset = min(max(round((k + 0.5) * days / count) + self.rng.randint(-3, 3), 0), days - 1)
            rows.append((start + timedelta(days=offset), act.title_for(index), act))
        event = self.plan.events.get(start.month)
        if event is not None:
            day, act = event
            rows.append((start.replace(day=day), act.title_for(index), act))
        rows.sort(key=lambda r: r[0])
        return [
            services.ActivityInput(when, title, act.category, act.place, self.rng.randint(act.low, act.high))
            for when, title, act in rows
            if when <= (until or end)
        ]

    def narrative(self, report: ServiceReport, activities: list) -> str:
        visits = sum(a.participants for a in activities)
        return (
            f"{report.period_start.year}年{report.period_start.month}月共开展活动{len(activities)}场，服务职工{visits:,}人次。"
            f"{self.plan.summary}。签到表与活动照片已存档备查。"
        )

    def save(self, report: ServiceReport, index: int, *, until: date | None = None) -> list:
        activities = self.activities(report, index, until=until)
        if not activities:
            return activities
        services.report_save(
            actor=self.provider_user, report=report, narrative=self.narrative(report, activities), activities=activities
        )
        return activities

    def submit(self, report: ServiceReport, index: int) -> ServiceReport:
        self.save(report, index)
        submitted = min(_at(report.due_on - timedelta(days=self.rng.randint(1, 3)), 16, 30), timezone.now())
        return services.report_submit(actor=self.provider_user, report=report, now=submitted)

    def review(self, report: ServiceReport, *, accept: bool) -> None:
        reviewed = min(report.submitted_at + timedelta(days=self.rng.randint(1, 4), hours=1), timezone.now())
        if accept:
            score = Decimal(self.rng.randint(150, 196)) / 2
            services.report_review(
                actor=self.reviewer,
                report=report,
                accept=True,
                score=score,
                comment=self.rng.choice(ACCEPT_COMMENTS),
                now=reviewed,
            )
        else:
            services.report_review(
                actor=self.reviewer, report=report, accept=False, comment=RETURN_COMMENT, now=reviewed
            )

    def reports(self, contract: Contract) -> None:
        reports = list(contract.reports.order_by("sequence"))
        closed = [r for r in reports if r.period_end < self.today]
        # The last closed month whose report is due by now; later closed months are not due yet.
        due = [r for r in closed if r.due_on < self.today]
        last = due[-1] if due else None
        for index, report in enumerate(reports):
            if report.period_start > self.today:
                break
            if report.period_end >= self.today:  # the month under way
                if self.plan.current_draft and report.period_start < self.today:
                    self.save(report, index, until=self.today - timedelta(days=1))
                continue
            outcome = self.plan.last if report == last else ("accepted" if report.due_on < self.today else "draft")
            if outcome == "pending":
                continue
            if outcome == "draft":
                self.save(report, index)
                continue
            report = self.submit(report, index)
            if outcome in ("accepted", "returned"):
                self.review(report, accept=outcome == "accepted")


def sign_awarded_draft() -> None:
    """The palace signs the draft the demo's award produced; the provider has not accepted it yet."""
    contract = (
        Contract.objects.filter(
            palace__code="wenshang", state=Contract.State.DRAFT, recruitment__state="awarded", signed_at__isnull=True
        )
        .select_related("recruitment")
        .first()
    )
    if contract is None:
        return
    contract = services.contract_draft_from_award(recruitment=contract.recruitment)
    services.contract_sign(actor=User.objects.get(username="ws-admin"), contract=contract)


@transaction.atomic
def seed_contracts(root: User) -> None:
    """Add the demo contracts with their reports, unless they exist already."""
    today = timezone.localdate()
    for plan in PLANS:
        _Seeder(plan, today).seed()
    sign_awarded_draft()
