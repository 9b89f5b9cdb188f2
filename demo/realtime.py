"""Demo real-time evaluation (seed_demo), written through ``evaluations.services`` on top of the contracts demo.

汶上县工人文化宫's eight contracts in force (demo/contracts.py) get the palace's standard
inspection checklists (evaluations/checklists.py) and, over the six months since the palace
began evaluating, a monthly inspection by ws-eval1…6 and some 2,200 workers' ratings spread
over their activities, red lines and rectification orders, so that the board
shows every standing and every step of rectification:

=================  ==============================================================================
contract           what happened
=================  ==============================================================================
经典诵读            good all term, many ratings: **green**
职工全民健身服务      good all term: **green**
书法公益课堂         a red line (falsified sign-in sheets) three months ago; the order was answered
                   and **passed** on re-inspection; green since
职工心理健康         good; no activity rated this month yet, so satisfaction shows "no input yet"
职工安全生产技能培训  a poor month four months ago; the order was answered but **failed**
                   re-inspection (partly resolved); this month **amber**, with only a dozen ratings
                   so far (fewer than 30: satisfaction's weight is shared out)
职工职业技能提升培训  **two failed orders** this term (one failed on re-inspection, one left
                   unanswered past its deadline): a **termination review** waits for the
                   administrator; this month amber
家政培训            a red line this month (workers charged for materials): **red**, an order just
                   issued
工创圆梦            a poor inspection some eight working days ago: **red**, its order **open with
                   two working days left**
=================  ==============================================================================

Four inspections are assigned and not yet done, due within the next eight working days
(one an unannounced spot check), for the evaluators' inboxes and the board's deadlines.

Dates are anchored on today, as in the contracts demo; every service that takes ``now=``
is given the time the step would have happened, so ratings fall in each activity's
14-day window and orders get their deadlines from the day they were issued. Deterministic
(``random.Random`` with fixed seeds). Idempotent: nothing is added once Wenshang has an
inspection.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from contracts.models import Activity, Contract
from contracts.services import add_months
from core.models import Palace, User
from core.workdays import WorkCalendar
from demo.providers import DEMO_LICENCE
from evaluations.realtime.checklists import ensure_default_checklists
from evaluations.realtime.models import ChecklistTemplate, Inspection, RedLine
from evaluations.realtime.services.inspections import (
    ItemScoreInput,
    inspection_assign,
    inspection_submit,
    red_line_record,
)
from evaluations.realtime.services.ratings import rating_link_for, rating_submit
from evaluations.rectification.models import Finding, RectificationOrder
from evaluations.rectification.services import (
    DEADLINE_WORKING_DAYS,
    order_reinspect,
    order_respond,
    orders_fail_overdue,
)

# The palace began inspecting and putting up rating QR codes this many months ago.
EVALUATED_MONTHS = 6
# Ratings a month: enough to count (30 or more), more for big events: 1.4·√attendance, at most 90.
RATINGS_PER_MONTH, RATINGS_FACTOR, RATINGS_MONTH_MAX = (32, 42), 1.4, 90
FEW_RATINGS_THIS_MONTH = 12  # the amber contract's month so far: fewer than 30, its weight shared out

# Star weights (1★…5★) by how the service is going.
STARS = {
    "good": (1, 1, 6, 30, 62),  # about 4.5★ → 87 points
    "fair": (3, 8, 22, 42, 25),  # about 3.8★ → 70 points
    "poor": (22, 30, 30, 12, 6),  # about 2.5★ → 37 points
}
COMMENTS = {
    "good": (
        "老师讲得很细，收获很大。",
        "组织有序，下次还来。",
        "内容实用，希望多办几期。",
        "场地干净，服务热情。",
        "线上直播也很清楚。",
        "签到很方便。",
    ),
    "fair": ("内容还行，时间有点紧。", "希望提前发通知。", "人太多，后排听不清。", "设备偶尔出问题。"),
    "poor": ("老师迟到半小时。", "说是免费，结果让交资料费。", "签到表让代签，不规范。", "教室太挤，消防通道堵了。"),
}

LOW_NOTES = (
    "签到表缺页，部分学员未签名",
    "消防通道堆放桌椅",
    "授课教师临时更换，未报备",
    "现场照片与签到人数不符",
    "器材未做安全检查记录",
    "活动开始时间推迟 40 分钟",
)
GOOD_NOTES = ("活动按计划开展，现场秩序良好。", "签到表、照片齐全，职工反映较好。", "师资到位，场地整洁。")


@dataclass
class Scenario:
    project: str
    inspector: str
    quality: str = "good"  # good | fair: the month-by-month inspections and ratings
    current: str | None = None  # this month's quality if it differs
    few_ratings_now: bool = False  # this month: fewer than 30 ratings
    story: str = ""  # the method that seeds its red lines and orders


SCENARIOS = (
    Scenario("经典诵读", "ws-eval6"),
    Scenario("职工全民健身服务", "ws-eval5"),
    Scenario("书法公益课堂", "ws-eval5", story="passed_after_reinspection"),
    Scenario("职工心理健康", "ws-eval2"),
    Scenario(
        "职工安全生产技能培训",
        "ws-eval1",
        quality="good",
        current="fair",
        few_ratings_now=True,
        story="failed_on_reinspection",
    ),
    Scenario("职工职业技能提升培训", "ws-eval2", quality="fair", story="two_failed_orders"),
    Scenario("家政培训", "ws-eval3", story="red_line_this_month"),
    Scenario("工创圆梦", "ws-eval4", story="open_near_deadline"),
)

# (contract, evaluator, due in so many working days, kind): assigned, waiting to be done.
UPCOMING = (
    ("职工全民健身服务", "ws-eval1", 2, Inspection.Kind.SCHEDULED),
    ("经典诵读", "ws-eval6", 4, Inspection.Kind.SCHEDULED),
    ("书法公益课堂", "ws-eval5", 1, Inspection.Kind.SPOT),
    ("职工心理健康", "ws-eval2", 8, Inspection.Kind.SCHEDULED),
)


def _shares(total: int, weights: Sequence[int]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainders), none above its weight."""
    whole = sum(weights) or 1
    exact = [total * w / whole for w in weights]
    shares = [min(int(e), w) for e, w in zip(exact, weights, strict=True)]
    for i in sorted(range(len(weights)), key=lambda i: exact[i] - int(exact[i]), reverse=True):
        if sum(shares) >= total:
            break
        if shares[i] < weights[i]:
            shares[i] += 1
    return shares


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """The time a step happened on ``day``, never later than now."""
    return min(timezone.make_aware(datetime.combine(day, time(hour, minute))), timezone.now())


class _Seeder:
    def __init__(self, palace: Palace, today: date, stdout=None) -> None:
        self.palace, self.today, self.stdout = palace, today, stdout
        self.admin = User.objects.get(username="ws-admin")
        self.calendar = WorkCalendar()
        self.this_month = today.replace(day=1)
        self.contracts = {
            c.project.name: c
            for c in Contract.objects.filter(
                palace=palace, state__in=(Contract.State.ACTIVE, Contract.State.RECTIFICATION)
            ).select_related("project")
        }
        self.checklists: dict[str, ChecklistTemplate] = {}
        self.ratings = 0

    def say(self, text: str) -> None:
        if self.stdout is not None:
            self.stdout.write(text)

    # --- checklists -----------------------------------------------------------------------------

    def ensure_checklists(self) -> None:
        ensure_default_checklists(self.palace, self.admin)
        for template in ChecklistTemplate.objects.filter(palace=self.palace, is_active=True).order_by("pk"):
            self.checklists.setdefault(template.category, template)

    # --- ratings --------------------------------------------------------------------------------

    def rate_activities(
        self, scenario: Scenario, contract: Contract, poor_months: set[date], only=lambda month: True
    ) -> None:
        """Each month's ratings (of the months ``only`` keeps), shared among its activities by attendance."""
        rng = random.Random(f"ratings/{contract.number}")
        by_month: dict[date, list[Activity]] = {}
        since = add_months(self.this_month, -EVALUATED_MONTHS)
        for activity in Activity.objects.filter(contract=contract, date__range=(since, self.today)).order_by(
            "date", "pk"
        ):
            by_month.setdefault(activity.date.replace(day=1), []).append(activity)
        for month, activities in by_month.items():
            if not only(month):
                continue
            attended = sum(a.participants for a in activities)
            wanted = max(rng.randint(*RATINGS_PER_MONTH), round(math.sqrt(attended) * RATINGS_FACTOR))
            wanted = min(wanted, RATINGS_MONTH_MAX, attended * 4 // 5)
            if month == self.this_month and scenario.few_ratings_now:
                wanted = min(wanted, FEW_RATINGS_THIS_MONTH)
            if month in poor_months:
                quality = "poor"
            elif month == self.this_month and scenario.current:
                quality = scenario.current
            else:
                quality = scenario.quality
            for activity, n in zip(activities, _shares(wanted, [a.participants for a in activities]), strict=True):
                self.rate(activity, n, quality, rng)

    def rate(self, activity: Activity, n: int, quality: str, rng: random.Random) -> None:
        token = rating_link_for(activity).token
        for k in range(n):
            stars = rng.choices((1, 2, 3, 4, 5), weights=STARS[quality])[0]
            comment = rng.choice(COMMENTS[quality]) if rng.random() < 0.15 else ""
            # Workers rate on the day or within a few days, well inside the 14-day window.
            when = _at(
                activity.date + timedelta(days=rng.choice((0, 0, 0, 1, 1, 2, 3, 5))),
                rng.randint(11, 21),
                rng.randint(0, 59),
            )
            rating_submit(token=token, stars=stars, comment=comment, device_id=f"demo-{activity.pk}-{k}", now=when)
            self.ratings += 1

    # --- inspections, red lines, orders ---------------------------------------------------------

    def evaluator(self, username: str) -> User:
        return User.objects.get(username=username)

    def inspect(
        self,
        contract: Contract,
        inspector: User,
        day: date,
        quality: str,
        *,
        kind: str = "scheduled",
        rng: random.Random,
    ) -> Inspection:
        checklist = self.checklists[contract.project.category]
        inspection = inspection_assign(
            actor=self.admin,
            contract=contract,
            checklist=checklist,
            inspector=inspector,
            due_on=day,
            kind=kind,
            now=_at(day - timedelta(days=rng.randint(2, 6)), 9),
        )
        low, high = {"good": (84, 98), "fair": (64, 80), "poor": (15, 45)}[quality]
        items = {}
        for item in checklist.items.all():
            points = rng.randint(low, high)
            note = rng.choice(LOW_NOTES) if points < 60 else ""
            items[item.pk] = ItemScoreInput(Decimal(points), note)
        notes = rng.choice(GOOD_NOTES) if quality != "poor" else "现场问题较多，已当场指出并拍照留存。"
        return inspection_submit(
            actor=inspector,
            inspection=inspection,
            items=items,
            inspected_on=day,
            notes=notes,
            now=_at(day, 16, rng.randint(0, 59)),
        )

    def inspection_day(self, month: date, contract: Contract, rng: random.Random) -> date | None:
        """A working day in the month's first three weeks, not before the term nor after today."""
        day = month + timedelta(days=rng.randint(4, 18))
        while not self.calendar.is_workday(day) and day.month == month.month:
            day += timedelta(days=1)
        if month == self.this_month:
            day = min(day, self.today)
        if day < contract.starts_on or day > self.today or day.month != month.month:
            return None
        return day

    def monthly_inspections(
        self, scenario: Scenario, contract: Contract, inspector: User, *, skip: Sequence[date] = ()
    ) -> None:
        rng = random.Random(f"inspections/{contract.number}")
        month = max(contract.starts_on, add_months(self.this_month, -EVALUATED_MONTHS)).replace(day=1)
        while month <= self.this_month:
            day = self.inspection_day(month, contract, rng)
            if day is not None and month not in skip:
                quality = scenario.current if month == self.this_month and scenario.current else scenario.quality
                self.inspect(contract, inspector, day, quality, rng=rng)
            month = add_months(month, 1)

    def fail_month_by_score(
        self, contract: Contract, inspector: User, day: date, rng: random.Random
    ) -> RectificationOrder:
        """Poor inspections on ``day`` until the month falls below 60 and its order is issued."""
        for attempt in range(4):
            self.inspect(contract, inspector, day, "poor", kind="spot" if attempt else "scheduled", rng=rng)
            order = RectificationOrder.objects.filter(
                contract=contract, period__month=day.replace(day=1), trigger=RectificationOrder.Trigger.SCORE
            ).first()
            if order is not None:
                return order
        return self.red_line(
            contract, inspector, day, RedLine.Category.ABSENT, "约定的培训课程未按计划开课，且未提前告知参训职工。"
        )

    def red_line(
        self, contract: Contract, recorder: User, day: date, category: str, description: str
    ) -> RectificationOrder:
        red = red_line_record(
            actor=recorder,
            contract=contract,
            category=category,
            occurred_on=day,
            description=description,
            now=_at(day, 17, 30),
        )
        return RectificationOrder.objects.get(red_line=red)

    def respond(self, order: RectificationOrder, days_after: int, texts: Sequence[str]) -> RectificationOrder:
        provider_user = User.objects.filter(provider_link__provider_id=order.contract.provider_id).first()
        day = min(self.calendar.add_working_days(timezone.localdate(order.issued_at), days_after), order.deadline)
        findings = list(order.findings.all())
        responses = {f.pk: texts[i % len(texts)] for i, f in enumerate(findings)}
        evidence = {
            f.pk: [SimpleUploadedFile(f"整改佐证{f.position}.pdf", DEMO_LICENCE, content_type="application/pdf")]
            for f in findings
        }
        return order_respond(actor=provider_user, order=order, responses=responses, evidence=evidence, now=_at(day, 15))

    def reinspect(self, order: RectificationOrder, outcome_for, days_after: int = 3) -> RectificationOrder:
        order.refresh_from_db()
        actor = order.reinspector or self.evaluator("ws-eval1")
        day = self.calendar.add_working_days(timezone.localdate(order.responded_at), days_after)
        outcomes = {f.pk: outcome_for(i, f) for i, f in enumerate(order.findings.all())}
        return order_reinspect(actor=actor, order=order, outcomes=outcomes, now=_at(day, 10))

    def months_back(self, n: int) -> date:
        return add_months(self.this_month, -n)

    def near_deadline_issue_day(self) -> date:
        """The latest past working day whose 10-working-day deadline falls within two working days from now."""
        limit = self.calendar.add_working_days(self.today, 2)
        day = self.today - timedelta(days=1)
        while not (
            self.calendar.is_workday(day) and self.calendar.add_working_days(day, DEADLINE_WORKING_DAYS) <= limit
        ):
            day -= timedelta(days=1)
        return day

    # --- the scenarios --------------------------------------------------------------------------

    def seed(self) -> None:
        self.ensure_checklists()
        scenarios = {s.project: s for s in SCENARIOS if s.project in self.contracts}
        # The months whose ratings are poor: where the score fails (the workers noticed too).
        near = self.near_deadline_issue_day().replace(day=1)
        poor = {
            "职工安全生产技能培训": {self.months_back(4)},
            "职工职业技能提升培训": {self.months_back(5)},
            "工创圆梦": {near},
        }
        # 工创圆梦's poor month is rated after its story: rated first, its poor ratings alone could fail
        # the month days before the inspection that is meant to issue the order near its deadline.
        later = {"工创圆梦": near}
        for project, scenario in scenarios.items():
            self.rate_activities(
                scenario, self.contracts[project], poor.get(project, set()), only=lambda m, p=project: m != later.get(p)
            )
        for project, scenario in scenarios.items():
            contract, inspector = self.contracts[project], self.evaluator(scenario.inspector)
            rng = random.Random(f"story/{contract.number}")
            skip = getattr(self, f"story_{scenario.story}")(contract, inspector, rng) if scenario.story else ()
            self.monthly_inspections(scenario, contract, inspector, skip=skip)
        for project, month in later.items():
            if project in scenarios:
                self.rate_activities(
                    scenarios[project], self.contracts[project], poor[project], only=lambda m, month=month: m == month
                )
        self.say(f"  {self.ratings} workers' ratings")
        self.assign_upcoming(scenarios)

    def assign_upcoming(self, scenarios: dict[str, Scenario]) -> None:
        """Inspections assigned and not yet done: the evaluators' inboxes and the board's deadlines."""
        for project, username, working_days, kind in UPCOMING:
            if project in scenarios:
                contract = self.contracts[project]
                inspection_assign(
                    actor=self.admin,
                    contract=contract,
                    checklist=self.checklists[contract.project.category],
                    inspector=self.evaluator(username),
                    kind=kind,
                    due_on=self.calendar.add_working_days(self.today, working_days),
                )

    # Each story seeds its own events and returns the months it has inspected itself.
    def story_passed_after_reinspection(
        self, contract: Contract, inspector: User, rng: random.Random
    ) -> Sequence[date]:
        """书法公益课堂: a red line three months ago, answered, passed on re-inspection."""
        day = self.inspection_day(self.months_back(3), contract, rng) or self.months_back(3) + timedelta(days=9)
        order = self.red_line(
            contract,
            inspector,
            day,
            RedLine.Category.FALSIFIED,
            "抽查发现 3 月份两次书法课签到表由同一人代签，签到人数与现场照片不符。",
        )
        self.respond(order, 4, ("已对代签情况进行内部通报，更换签到方式为现场扫码签到，并补充活动照片和学员名单。",))
        self.reinspect(order, lambda i, f: (Finding.Outcome.RESOLVED, "复查扫码签到记录完整，与现场人数一致。"))
        return ()

    def story_failed_on_reinspection(self, contract: Contract, inspector: User, rng: random.Random) -> Sequence[date]:
        """职工安全生产技能培训: a poor month four months ago; answered, failed on re-inspection."""
        month = self.months_back(4)
        day = self.inspection_day(month, contract, rng) or month + timedelta(days=9)
        order = self.fail_month_by_score(contract, inspector, day, rng)
        self.respond(order, 5, ("已补齐签到表，清理消防通道，授课教师按课表到岗。",))
        self.reinspect(
            order,
            lambda i, f: (
                Finding.Outcome.PARTLY if i == 0 else Finding.Outcome.RESOLVED,
                "签到表仍有两次课缺页。" if i == 0 else "",
            ),
        )
        return (month,)

    def story_two_failed_orders(self, contract: Contract, inspector: User, rng: random.Random) -> Sequence[date]:
        """职工职业技能提升培训: two failed orders; the termination review waits for the administrator."""
        first_month = self.months_back(5)
        day = self.inspection_day(first_month, contract, rng) or first_month + timedelta(days=9)
        first = self.fail_month_by_score(contract, inspector, day, rng)
        self.respond(first, 6, ("已更换实训设备，整改签到制度。",))
        self.reinspect(first, lambda i, f: (Finding.Outcome.NOT_RESOLVED, "实训设备仍未更换，签到仍不规范。"))
        red_month = self.months_back(2)
        red_day = self.inspection_day(red_month, contract, rng) or red_month + timedelta(days=9)
        second = self.red_line(
            contract,
            inspector,
            red_day,
            RedLine.Category.CHARGING,
            "向参加焊工实操培训的职工每人收取材料费 80 元，该培训为免费公益服务。",
        )
        # Nobody answers: the day after the deadline, the daily check fails the order.
        orders_fail_overdue(_at(second.deadline + timedelta(days=1), 1))
        return (first_month,)

    def story_red_line_this_month(self, contract: Contract, inspector: User, rng: random.Random) -> Sequence[date]:
        """家政培训: a red line this month; the order is just issued."""
        day = max(self.this_month, contract.starts_on, self.today - timedelta(days=3))
        self.red_line(
            contract,
            inspector,
            day,
            RedLine.Category.CHARGING,
            "养老护理员培训班向参训职工收取教材费每人 60 元，合同约定该培训免费。",
        )
        return ()

    def story_open_near_deadline(self, contract: Contract, inspector: User, rng: random.Random) -> Sequence[date]:
        """工创圆梦: a poor inspection some eight working days ago; the order has two working days left."""
        day = self.near_deadline_issue_day()
        self.fail_month_by_score(contract, inspector, day, rng)
        return (day.replace(day=1),)


@transaction.atomic
def seed_evaluations(stdout=None) -> None:
    """Add Wenshang's checklists, inspections, ratings, red lines and orders, unless there are inspections."""
    palace = Palace.objects.filter(code="wenshang").first()
    if palace is None or Inspection.objects.filter(contract__palace=palace).exists():
        return
    _Seeder(palace, timezone.localdate(), stdout).seed()
