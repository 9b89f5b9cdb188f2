"""Demo recruitments for 汶上县工人文化宫 at every stage of their life (seed_demo).

Everything goes through ``procurement.services`` (publish, apply, close, panel,
declare, score, correct, propose, object, finalise), so the demo data carries
the same audit trail the application would have written. Idempotent: a
recruitment whose project and title already exist is left alone.

Dates are anchored on today. Past stages pass ``now=`` where the services
accept it (publishing, applying, closing, proposing, finalising); panel steps
and compilation take the clock's time, as they would if the panel met today.

=====================  ======================  ===========================================
project                state                   shows
=====================  ======================  ===========================================
育婴师培训              awarded                 a correction approved by a second admin
                                               (ws-admin2), publicity, a draft contract
羽毛球公益培训          failed (流标)           one valid application after a withdrawal
家政培训                publicity (公示)        an open objection from the runner-up
电子商务培训            evaluating              a recusal replaced by ws-eval6; two of the
                                               five sheets submitted, three not
经典诵读                published               open for applications; one application
=====================  ======================  ===========================================
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from core.models import Palace, User
from core.workdays import add_working_days, next_working_day
from procurement.models import (
    Criterion,
    Declaration,
    PanelMember,
    Provider,
    Recruitment,
    ScoreCorrection,
    ServiceProject,
)
from procurement.services import (
    applying,
    award,
    compilation,
    drafting,
    panels,
    publishing,
)
from procurement.services.recruitment import valid_applications

CENT = Decimal("0.01")
PALACE = "wenshang"
ADMIN, APPROVER = "ws-admin", "ws-admin2"
PANEL = [f"ws-eval{i}" for i in range(1, 6)]
RESERVE = "ws-eval6"

K = Criterion.Kind
CRITERIA = {
    "training": [
        drafting.CriterionInput(
            "服务方案", Decimal(30), K.SUBJECTIVE, "培训内容、课时安排与职工需求的契合度，方案的完整性和可操作性"
        ),
        drafting.CriterionInput("师资力量", Decimal(25), K.SUBJECTIVE, "讲师资质、持证比例与同类课程授课经验"),
        drafting.CriterionInput("以往业绩", Decimal(15), K.SUBJECTIVE, "近三年承接同类政府购买服务项目的情况与评价"),
        drafting.CriterionInput(
            "安全保障与应急预案", Decimal(10), K.SUBJECTIVE, "场地安全、学员管理及突发事件处置措施"
        ),
        drafting.CriterionInput("报价", Decimal(20), K.PRICE, "有效最低报价 ÷ 本单位报价 × 20"),
    ],
    "activity": [
        drafting.CriterionInput("活动方案", Decimal(35), K.SUBJECTIVE, "活动设计、场次安排与职工参与方式"),
        drafting.CriterionInput("组织实施能力", Decimal(25), K.SUBJECTIVE, "指导老师、组织团队与保障措施"),
        drafting.CriterionInput("社会影响与以往业绩", Decimal(20), K.SUBJECTIVE, "近三年开展同类公益活动的情况"),
        drafting.CriterionInput("报价", Decimal(20), K.PRICE, "有效最低报价 ÷ 本单位报价 × 20"),
    ],
}
ELIGIBILITY = (
    "在中国境内依法登记的社会组织或培训机构，具有独立承担民事责任的能力；"
    "已在本平台完成机构核验；近三年内无重大违法记录，未被列入本宫合作退出名单。"
)
COMMENTS = (
    "方案完整，课程设置贴近职工需求",
    "讲师队伍稳定，持证比例较高",
    "近三年同类项目经验丰富",
    "安全制度健全，应急预案具体可行",
    "课时安排略紧，建议增加实操课时",
    "宣传渠道较单一，建议加强线上报名推广",
    "能整合社区与企业资源，结业后有就业推荐渠道",
    "学员跟踪回访机制有待完善",
)


@dataclass(frozen=True)
class Bid:
    username: str
    share: Decimal  # price as a share of the ceiling
    quality: Decimal  # how well the panel rates the proposal, 0–1
    proposal: str


@dataclass(frozen=True)
class Spec:
    project: str
    title: str
    description: str
    criteria: str
    bids: tuple[Bid, ...]


AWARDED = Spec(
    "育婴师培训",
    "汶上县工人文化宫育婴师职业技能培训服务项目公开招募公告",
    "面向女职工、下岗再就业人员开展育婴员职业技能等级培训，全年培训12期、300人次，"
    "培训合格者推荐参加职业技能等级认定，并由合作单位提供就业推荐服务。",
    "training",
    (
        Bid(
            "provider4",
            Decimal("0.92"),
            Decimal("0.90"),
            "本协会拟组建由5名高级育婴师、2名儿科护士组成的讲师团队，按理论40%、实操60%安排课程，"
            "每期20人，结业后与县内12家家政企业对接推荐就业。",
        ),
        Bid(
            "provider3",
            Decimal("0.88"),
            Decimal("0.80"),
            "我校具备人社部门批准的职业培训资质，拟在文化宫三楼培训室开班，每期16课时理论、24课时实操，"
            "配备婴儿护理模型与急救演示设备。",
        ),
        Bid(
            "provider2",
            Decimal("0.95"),
            Decimal("0.74"),
            "我中心将育婴培训与安全急救培训相结合，课程包括喂养、护理、早期教育与婴幼儿意外伤害处置。",
        ),
    ),
)
FAILED = Spec(
    "羽毛球公益培训",
    "汶上县工人文化宫职工羽毛球公益培训服务项目公开招募公告",
    "在职工体育馆开设零基础班与提高班，全年36期、900人次，年末组织职工羽毛球联赛。",
    "activity",
    (
        Bid(
            "provider7",
            Decimal("0.93"),
            Decimal("0.85"),
            "本协会拥有国家二级社会体育指导员8名，零基础班每期8课时，提高班每期12课时，"
            "器材由协会统一提供，年末承办职工羽毛球联赛。",
        ),
        Bid("provider6", Decimal("0.97"), Decimal("0.60"), "本会可联合县体育运动学校教练开展羽毛球基础培训。"),
    ),
)
PUBLICITY = Spec(
    "家政培训",
    "汶上县工人文化宫家政服务技能培训项目公开招募公告",
    "开展育婴、养老护理与家政服务技能培训，全年24期、600人次，结业考核合格者颁发培训证书并推荐就业。",
    "training",
    (
        Bid(
            "provider4",
            Decimal("0.90"),
            Decimal("0.91"),
            "本协会会员单位覆盖全县主要家政企业，课程由一线金牌家政师授课，培训结束一个月内推荐就业率不低于60%。",
        ),
        Bid(
            "provider3",
            Decimal("0.86"),
            Decimal("0.82"),
            "我校拟开设养老护理、母婴护理、家居保洁三个方向，每期40课时，采用“理论+实训+跟岗”模式。",
        ),
        Bid(
            "provider2",
            Decimal("0.96"),
            Decimal("0.73"),
            "我中心将家政技能培训与消防安全、用电安全课程结合，提升家政从业人员安全素养。",
        ),
    ),
)
EVALUATING = Spec(
    "电子商务培训",
    "汶上县工人文化宫农民工电子商务创业培训服务项目公开招募公告",
    "面向农民工和下岗职工开展网店开设、直播带货、短视频运营等电商创业实操培训，全年24期、720人次。",
    "training",
    (
        Bid(
            "provider5",
            Decimal("0.91"),
            Decimal("0.90"),
            "我校为济宁市电子商务职业培训定点机构，拟配备直播实训间两间，"
            "课程涵盖网店运营、直播带货与农产品上行，学员结业后可入驻县电商产业园孵化。",
        ),
        Bid(
            "provider2",
            Decimal("0.87"),
            Decimal("0.78"),
            "我中心拟以“线上学习+线下实操”方式组织培训，每期30课时，邀请本地电商创业带头人分享经验。",
        ),
        Bid(
            "provider3",
            Decimal("0.94"),
            Decimal("0.80"),
            "我校拟开设电商美工、客服与运营三个模块，配备计算机实训室，每期限额25人。",
        ),
    ),
)
PUBLISHED = Spec(
    "经典诵读",
    "汶上县工人文化宫职工经典诵读活动服务项目公开招募公告",
    "组织职工经典诵读培训与朗诵比赛，全年24场、1200人次，重点面向一线职工和新就业形态劳动者。",
    "activity",
    (
        Bid(
            "provider6",
            Decimal("0.94"),
            Decimal("0.85"),
            "本会拟每月开展两场经典诵读活动，由省市朗诵协会会员担任指导老师，"
            "年中举办“书香汶上·职工诵读”比赛，并在文化宫公众号展示优秀作品。",
        ),
    ),
)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _points(quality: Decimal, evaluator: int, criterion: int, max_points: Decimal) -> Decimal:
    """Plausible, deterministic points; evaluators differ a little, never enough to be outliers."""
    spread = Decimal("0.02") * ((evaluator * 3 + criterion) % 5 - 2)
    share = min(max(quality + spread, Decimal("0.40")), Decimal(1))
    return (max_points * share).quantize(Decimal("0.5"), rounding=ROUND_HALF_UP).quantize(CENT)


class _Seeder:
    def __init__(self, root: User) -> None:
        self.root = root
        self.palace = Palace.objects.get(code=PALACE)
        self.users = {
            u.username: u
            for u in User.objects.filter(
                username__in=[ADMIN, APPROVER, RESERVE, *PANEL, *{b.username for s in SPECS for b in s.bids}]
            )
        }
        self.admin, self.approver = self.users[ADMIN], self.users[APPROVER]
        self.today = timezone.localdate()

    # --- steps -------------------------------------------------------------------------------

    def create(self, spec: Spec, opened: datetime, window: int) -> Recruitment | None:
        project = ServiceProject.objects.get(palace=self.palace, name=spec.project)
        if Recruitment.objects.filter(project=project, title=spec.title).exists():
            return None
        deadline = _at(add_working_days(timezone.localdate(opened), window), 17)
        recruitment = drafting.recruitment_create(
            actor=self.admin,
            project=project,
            title=spec.title,
            deadline=deadline,
            criteria=CRITERIA[spec.criteria],
            description=spec.description,
            eligibility=ELIGIBILITY,
            panel_size=len(PANEL),
        )
        publishing.recruitment_publish(actor=self.admin, recruitment=recruitment, now=opened)
        return recruitment

    def apply(self, recruitment: Recruitment, spec: Spec, opened: datetime) -> None:
        for i, bid in enumerate(spec.bids):
            applying.application_submit(
                actor=self.users[bid.username],
                recruitment=recruitment,
                price=(recruitment.budget_ceiling * bid.share).quantize(Decimal(100)).quantize(CENT),
                proposal=bid.proposal,
                now=opened + timedelta(days=1 + i, hours=1, minutes=23 * i),
            )

    def close(self, recruitment: Recruitment) -> Recruitment:
        recruitment.refresh_from_db()
        return publishing.recruitment_close(recruitment=recruitment, now=recruitment.deadline + timedelta(minutes=1))

    def assign(self, recruitment: Recruitment) -> None:
        panels.panel_assign(actor=self.admin, recruitment=recruitment, evaluators=[self.users[u] for u in PANEL])

    def declare(self, member: PanelMember, conflict_with: int | None = None) -> None:
        conflicts = {a.pk: (Declaration.Conflict.NONE, "") for a in valid_applications(member.recruitment)}
        if conflict_with is not None:
            conflicts[conflict_with] = (Declaration.Conflict.EMPLOYMENT, "2024年曾在该机构兼职授课，按规定回避")
        panels.panel_declare(actor=member.evaluator, member=member, conflicts=conflicts)

    def score(self, member: PanelMember, index: int, spec: Spec) -> None:
        recruitment = member.recruitment
        quality = {Provider.objects.get(users__user=self.users[b.username]).pk: b.quality for b in spec.bids}
        subjective = list(recruitment.criteria.filter(kind=Criterion.Kind.SUBJECTIVE))
        sheet = []
        for a, application in enumerate(valid_applications(recruitment)):
            for c, criterion in enumerate(subjective):
                sheet.append(
                    compilation.ScoreInput(
                        application.pk,
                        criterion.pk,
                        _points(quality[application.provider_id], index, c, criterion.max_points),
                        COMMENTS[(a * 3 + c + index) % len(COMMENTS)],
                    )
                )
        compilation.scores_submit(actor=member.evaluator, member=member, scores=sheet)

    def members(self, recruitment: Recruitment) -> list[PanelMember]:
        return list(
            recruitment.panel.exclude(state=PanelMember.State.RECUSED)
            .select_related("evaluator", "recruitment")
            .order_by("pk")
        )

    def full_panel(self, recruitment: Recruitment, spec: Spec) -> None:
        """Assign, declare and score with the whole panel: the scores compile and rank."""
        self.assign(recruitment)
        for member in self.members(recruitment):
            self.declare(member)
        for index, member in enumerate(self.members(recruitment)):
            self.score(member, index, spec)

    # --- the recruitments ----------------------------------------------------------------------

    def awarded(self) -> None:
        opened = _at(next_working_day(self.today - timedelta(days=62)), 9)
        recruitment = self.create(AWARDED, opened, window=8)
        if recruitment is None:
            return
        self.apply(recruitment, AWARDED, opened)
        self.close(recruitment)
        self.full_panel(recruitment, AWARDED)
        # The second applicant's 师资力量 score from ws-eval3 was copied wrongly from the paper sheet:
        # ws-admin asks for the correction, ws-admin2 approves it, and the scores recompile.
        member = recruitment.panel.get(evaluator=self.users["ws-eval3"])
        second = valid_applications(recruitment)[1]
        score = member.scores.get(application=second, criterion__name="师资力量")
        correction = compilation.score_correction_request(
            actor=self.admin,
            score=score,
            corrected_points=score.points + 2,
            reason=ScoreCorrection.Reason.ARITHMETIC,
            justification="纸质评分表上该项为"
            + f"{score.points + 2:.1f}"
            + "分，录入时误填，经评审专家本人签字确认更正。",
        )
        compilation.score_correction_decide(
            actor=self.approver, correction=correction, approve=True, note="已核对纸质评分表原件，同意更正。"
        )
        recruitment.refresh_from_db()
        proposed = _at(add_working_days(timezone.localdate(recruitment.deadline), 3), 10)
        award.award_propose(
            actor=self.admin, recruitment=recruitment, application=recruitment.applications.get(rank=1), now=proposed
        )
        recruitment.refresh_from_db()
        award.recruitment_finalise(recruitment=recruitment, now=recruitment.publicity_ends_at + timedelta(minutes=1))

    def failed(self) -> None:
        opened = _at(next_working_day(self.today - timedelta(days=40)), 9, 30)
        recruitment = self.create(FAILED, opened, window=7)
        if recruitment is None:
            return
        self.apply(recruitment, FAILED, opened)
        withdrawing = self.users[FAILED.bids[1].username]
        applying.application_withdraw(
            actor=withdrawing,
            application=recruitment.applications.get(provider__users__user=withdrawing),
            now=opened + timedelta(days=4),
        )
        self.close(recruitment)

    def publicity(self) -> None:
        opened = _at(next_working_day(self.today - timedelta(days=30)), 9)
        recruitment = self.create(PUBLICITY, opened, window=8)
        if recruitment is None:
            return
        self.apply(recruitment, PUBLICITY, opened)
        self.close(recruitment)
        self.full_panel(recruitment, PUBLICITY)
        recruitment.refresh_from_db()
        award.award_propose(actor=self.admin, recruitment=recruitment, application=recruitment.applications.get(rank=1))
        runner_up = recruitment.applications.get(rank=2)
        award.objection_lodge(
            actor=User.objects.filter(provider_link__provider_id=runner_up.provider_id).order_by("pk").first(),
            recruitment=recruitment,
            grounds="我单位报价低于拟中标单位，且具备人社部门批准的职业培训资质，认为“以往业绩”一项得分偏低，"
            "未充分考虑我校2024—2025年承接县妇联家政培训项目的业绩，请求对评分过程予以复核。",
        )

    def evaluating(self) -> None:
        opened = _at(next_working_day(self.today - timedelta(days=20)), 9)
        recruitment = self.create(EVALUATING, opened, window=7)
        if recruitment is None:
            return
        self.apply(recruitment, EVALUATING, opened)
        self.close(recruitment)
        self.assign(recruitment)
        members = self.members(recruitment)
        # ws-eval5 taught at the first applicant last year: recused, and ws-eval6 replaces them.
        first = valid_applications(recruitment)[0]
        self.declare(members[4], conflict_with=first.pk)
        replacement = panels.panel_replace(actor=self.admin, member=members[4], evaluator=self.users[RESERVE])
        self.declare(replacement)
        for member in members[:3]:
            self.declare(member)
        # Half the panel is done: ws-eval1 and ws-eval2 have submitted; ws-eval3 and ws-eval6 have
        # declared but not scored; ws-eval4 has not opened the task yet.
        for index, member in enumerate(members[:2]):
            self.score(member, index, EVALUATING)

    def published(self) -> None:
        now = timezone.now()
        recruitment = self.create(PUBLISHED, now, window=7)
        if recruitment is None:
            return
        bid = PUBLISHED.bids[0]
        applying.application_submit(
            actor=self.users[bid.username],
            recruitment=recruitment,
            price=(recruitment.budget_ceiling * bid.share).quantize(Decimal(100)).quantize(CENT),
            proposal=bid.proposal,
            now=now,
        )


SPECS = (AWARDED, FAILED, PUBLICITY, EVALUATING, PUBLISHED)


@transaction.atomic
def seed_recruitments(root: User) -> None:
    """Add the demo recruitments of 汶上县工人文化宫, one per stage, unless they exist already."""
    seeder = _Seeder(root)
    seeder.awarded()
    seeder.failed()
    seeder.publicity()
    seeder.evaluating()
    seeder.published()
