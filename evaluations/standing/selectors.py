"""Reads for the dashboards and a contract's score (DOMAIN.md §4), scoped to what the viewer may see.

The month's score is read from its ``PeriodScore`` row, kept current by every input;
its composition is worked out again from the row's sums with the palace's weights
(``scoring.period_score``), so the page shows exactly the arithmetic that scored it.
The administrator's board reads every contract in force of the viewer's palaces in a
fixed number of queries, however many there are: counts are annotated, months prefetched.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, F, Min, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, ngettext_lazy, pgettext

from contracts.models import Contract
from core.models import Role, User
from core.permissions import AnyUser, palace_ids
from core.workdays import WorkCalendar
from evaluations.realtime import scoring
from evaluations.realtime.charts import TrendPoint
from evaluations.realtime.models import Inspection, PeriodScore, RedLine
from evaluations.realtime.months import month_of, weights_for
from evaluations.realtime.selectors import RECENT_DAYS, RECENT_LIMIT
from evaluations.rectification.models import RectificationOrder, TerminationReview
from evaluations.rectification.services import FAILED_ORDERS_FOR_REVIEW
from procurement.models import Provider
from procurement.permissions import provider_of

# A contract is in force from the provider's acceptance until it is completed or terminated.
IN_FORCE = Contract.IN_FORCE
DEADLINE_HORIZON_WORKING_DAYS = 5
STANDINGS = ("red", "amber", "green", "none")  # worst first: the board's default order
INDICATOR_LABELS = {
    scoring.INSPECTIONS: gettext_lazy("On-site inspections"),
    scoring.REPORTS: gettext_lazy("Service report review"),
    scoring.SATISFACTION: gettext_lazy("Worker satisfaction"),
    scoring.KPI: gettext_lazy("KPI progress"),
}

# What the score section says about the month, in plain words (tests render these constants).
MSG_TOO_FEW_RATINGS = ngettext_lazy(
    "Only %(count)d worker satisfaction rating this month, fewer than %(minimum)d: its weight has been shared "
    "out among the other indicators in proportion.",
    "Only %(count)d worker satisfaction ratings this month, fewer than %(minimum)d: its weight has been shared "
    "out among the other indicators in proportion.",
    "count",
)
MSG_NO_INPUT = gettext_lazy(
    "No input yet this month for %(indicators)s: the weight is shared out among the "
    "indicators that have one, in proportion."
)
MSG_RED_LINE = ngettext_lazy(
    "%(count)d red line was recorded this month: the month fails whatever the score.",
    "%(count)d red lines were recorded this month: the month fails whatever the score.",
    "count",
)


def staff_palace_ids(user: AnyUser) -> frozenset[int] | None:
    """The palaces whose contracts ``user`` reads as staff (any role); ``None`` means all (superuser)."""
    if not user.is_authenticated or provider_of(user) is not None:
        return frozenset()
    if user.is_superuser:
        return None
    return palace_ids(user)


def deadline_horizon(today: date, calendar: WorkCalendar | None = None) -> date:
    return (calendar or WorkCalendar()).add_working_days(today, DEADLINE_HORIZON_WORKING_DAYS)


# --- one contract's score -----------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorRow:
    name: str
    label: str
    value: Decimal | None  # the month's mean, 0–100; None: no input yet
    inputs: str  # "2 inspections", "12 ratings"… ("" for KPI progress)
    weight: Decimal  # the palace's configured weight
    applied: Decimal | None  # the weight the month's score actually gave it; None when shared out
    reason: str = ""  # scoring.NO_INPUT | scoring.TOO_FEW_RATINGS when shared out


@dataclass(frozen=True)
class ScoreBreakdown:
    month: date
    score: Decimal | None
    standing: str
    red_lines: int
    ratings: int
    rows: list[IndicatorRow]
    notes: list[str]  # plain sentences: why weights moved, the red line


def _inputs_text(name: str, period: PeriodScore | None) -> str:
    if period is None:
        return ""
    if name == scoring.INSPECTIONS:
        n = period.inspections_count
        return ngettext("%(count)d inspection", "%(count)d inspections", n) % {"count": n}
    if name == scoring.REPORTS:
        n = period.reports_count
        return ngettext("%(count)d report", "%(count)d reports", n) % {"count": n}
    if name == scoring.SATISFACTION:
        n = period.ratings_count
        return ngettext("%(count)d rating", "%(count)d ratings", n) % {"count": n}
    return ""


def score_breakdown(period: PeriodScore | None, month: date, weights: dict[str, Decimal]) -> ScoreBreakdown:
    """The month's score and how it was made: each indicator's value, its weight set and applied."""
    inputs = period.inputs() if period is not None else scoring.PeriodInputs()
    result = scoring.period_score(inputs, weights)
    rows = [
        IndicatorRow(
            name=name,
            label=str(INDICATOR_LABELS[name]),
            value=getattr(inputs, name),
            inputs=_inputs_text(name, period),
            weight=Decimal(weights[name]),
            applied=result.weights.get(name),
            reason=result.shared_out.get(name, ""),
        )
        for name in scoring.INDICATORS
    ]
    notes = []
    if result.shared_out.get(scoring.SATISFACTION) == scoring.TOO_FEW_RATINGS:
        notes.append(str(MSG_TOO_FEW_RATINGS % {"count": inputs.ratings, "minimum": scoring.SATISFACTION_MIN_RATINGS}))
    missing = [
        str(INDICATOR_LABELS[n])
        for n in scoring.INDICATORS
        if result.shared_out.get(n) == scoring.NO_INPUT and weights[n] > 0
    ]
    if missing and result.score is not None:
        notes.append(str(MSG_NO_INPUT % {"indicators": pgettext("list separator", ", ").join(missing)}))
    if result.red_line:
        notes.append(str(MSG_RED_LINE % {"count": inputs.red_lines}))
    score = period.score if period is not None else None
    standing = period.standing if period is not None else "none"
    return ScoreBreakdown(
        month=month,
        score=score,
        standing=standing,
        red_lines=inputs.red_lines,
        ratings=inputs.ratings,
        rows=rows,
        notes=notes,
    )


def term_months(contract: Contract, today: date) -> list[date]:
    """The months of the term from its start up to this month (or its end, if it has ended)."""
    if contract.starts_on is None:
        return []
    last = min(month_of(today), month_of(contract.ends_on)) if contract.ends_on else month_of(today)
    months, m = [], month_of(contract.starts_on)
    while m <= last:
        months.append(m)
        m = date(m.year + (m.month == 12), m.month % 12 + 1, 1)
    return months


def trend_points(contract: Contract, periods: list[PeriodScore], today: date) -> list[TrendPoint]:
    """One point per month of the term so far, from the prefetched ``periods``; a month with no row has none."""
    by_month = {p.month: p for p in periods}
    current = month_of(today)
    points = []
    for m in term_months(contract, today):
        p = by_month.get(m)
        points.append(
            TrendPoint(
                month=m,
                score=p.score if p else None,
                standing=p.standing if p else "none",
                red_lines=p.red_lines if p else 0,
                current=m == current,
            )
        )
    return points


@dataclass
class ContractScore:
    contract: Contract
    today: date
    breakdown: ScoreBreakdown | None  # None before the term starts
    trend: list[TrendPoint]
    open_orders: list[RectificationOrder]
    red_lines: list[RedLine]  # this term's
    pending_review: TerminationReview | None
    failed_orders: int = 0
    weights: dict[str, Decimal] = field(default_factory=dict)


def contract_score(contract: Contract, today: date | None = None, *, with_red_lines: bool = True) -> ContractScore:
    """Everything the contract's score page and section show, in three to five queries.

    The contract page's section leaves out the red lines (``with_red_lines=False``): the
    inspections section beside it lists them.
    """
    today = today or timezone.localdate()
    periods = list(PeriodScore.objects.filter(contract=contract).order_by("month"))
    weights = weights_for(contract.palace_id)
    current = month_of(today)
    in_term = contract.state != Contract.State.DRAFT and bool(contract.starts_on) and contract.starts_on <= today
    breakdown = None
    if in_term:
        month = min(current, month_of(contract.ends_on)) if contract.ends_on else current
        breakdown = score_breakdown(next((p for p in periods if p.month == month), None), month, weights)
    orders = list(
        RectificationOrder.objects.filter(contract=contract)
        .order_by("deadline", "pk")
        .annotate(findings_count=Count("findings"))
    )
    red_lines = []
    if with_red_lines and contract.starts_on:
        red_lines = list(
            RedLine.objects.filter(contract=contract, occurred_on__gte=contract.starts_on).order_by(
                "-occurred_on", "-pk"
            )
        )
    failed = sum(o.state == RectificationOrder.State.FAILED for o in orders)
    # A termination review opens only on a second failed order: no need to look before that.
    pending = (
        TerminationReview.objects.filter(contract=contract, decision="").order_by("-opened_at").first()
        if failed >= FAILED_ORDERS_FOR_REVIEW
        else None
    )
    return ContractScore(
        contract=contract,
        today=today,
        breakdown=breakdown,
        trend=trend_points(contract, periods, today) if in_term else [],
        open_orders=[o for o in orders if o.state in RectificationOrder.OPEN_STATES],
        red_lines=red_lines,
        pending_review=pending,
        failed_orders=failed,
        weights=weights,
    )


# --- the administrator's board ------------------------------------------------------------------


@dataclass
class BoardRow:
    contract: Contract
    current: PeriodScore | None
    trend: list[TrendPoint]

    @property
    def standing(self) -> str:
        return self.current.standing if self.current else "none"

    @property
    def score(self) -> Decimal | None:
        return self.current.score if self.current else None


@dataclass
class Deadline:
    day: date
    working_days_left: int  # negative when past
    kind: str  # "order" | "inspection"
    what: str
    contract: Contract
    url_name: str
    pk: int


@dataclass
class Board:
    today: date
    horizon: date
    rows: list[BoardRow]
    deadlines: list[Deadline]
    counts: dict[str, int]


def board_contracts(user: AnyUser, today: date, horizon: date) -> QuerySet[Contract]:
    """Contracts in force of the viewer's palaces, each with its open-order, deadline and red-line counts."""
    ids = staff_palace_ids(user)
    qs = Contract.objects.filter(state__in=IN_FORCE)
    if ids is not None:
        qs = qs.filter(palace_id__in=ids)
    open_q = Q(rectification_orders__state__in=RectificationOrder.OPEN_STATES)
    awaiting_q = Q(rectification_orders__state=RectificationOrder.State.OPEN)
    return (
        qs.select_related("palace", "provider", "project")
        .annotate(
            open_orders=Count("rectification_orders", filter=open_q, distinct=True),
            orders_due_soon=Count(
                "rectification_orders",
                filter=awaiting_q & Q(rectification_orders__deadline__lte=horizon),
                distinct=True,
            ),
            next_order_deadline=Min("rectification_orders__deadline", filter=awaiting_q),
            red_lines_term=Count(
                "red_lines",
                filter=Q(red_lines__occurred_on__gte=F("starts_on"), red_lines__occurred_on__lte=F("ends_on")),
                distinct=True,
            ),
        )
        .prefetch_related(Prefetch("period_scores", queryset=PeriodScore.objects.order_by("month"), to_attr="months"))
        .order_by("number")
    )


def upcoming_deadlines(user: AnyUser, today: date, horizon: date, calendar: WorkCalendar) -> list[Deadline]:
    """Open orders the provider must answer, and inspections due, by ``horizon`` (the late ones too)."""
    ids = staff_palace_ids(user)
    orders = RectificationOrder.objects.filter(state=RectificationOrder.State.OPEN, deadline__lte=horizon)
    inspections = Inspection.objects.filter(state=Inspection.State.ASSIGNED, due_on__lte=horizon)
    if ids is not None:
        orders = orders.filter(contract__palace_id__in=ids)
        inspections = inspections.filter(contract__palace_id__in=ids)
    rows = []

    def left(day: date) -> int:
        return calendar.working_days_between(today, day) if day >= today else -calendar.working_days_between(day, today)

    for o in orders.select_related("contract__provider", "contract__project"):
        rows.append(
            Deadline(
                day=o.deadline,
                working_days_left=left(o.deadline),
                kind="order",
                what=_("Rectification order %(number)s: the provider's response is due") % {"number": o.number},
                contract=o.contract,
                url_name="evaluations:order",
                pk=o.pk,
            )
        )
    for i in inspections.select_related("contract__provider", "contract__project", "inspector"):
        what = (_("Re-inspection by %(inspector)s") if i.order_id else _("Inspection by %(inspector)s")) % {
            "inspector": i.inspector
        }
        rows.append(
            Deadline(
                day=i.due_on,
                working_days_left=left(i.due_on),
                kind="inspection",
                what=what,
                contract=i.contract,
                url_name="evaluations:inspection",
                pk=i.pk,
            )
        )
    return sorted(rows, key=lambda d: (d.day, d.kind, d.pk))


def board(user: AnyUser, today: date | None = None) -> Board:
    today = today or timezone.localdate()
    calendar = WorkCalendar()
    horizon = deadline_horizon(today, calendar)
    current = month_of(today)
    rows = []
    for contract in board_contracts(user, today, horizon):
        periods = contract.months
        rows.append(
            BoardRow(
                contract=contract,
                current=next((p for p in periods if p.month == current), None),
                trend=trend_points(contract, periods, today),
            )
        )
    counts = dict.fromkeys(STANDINGS, 0)
    for row in rows:
        counts[row.standing] += 1
    return Board(
        today=today,
        horizon=horizon,
        rows=rows,
        deadlines=upcoming_deadlines(user, today, horizon, calendar),
        counts=counts,
    )


SORTS = {
    "standing": lambda r: (
        STANDINGS.index(r.standing),
        r.score if r.score is not None else Decimal(101),
        r.contract.number,
    ),
    "score": lambda r: (r.score is None, r.score or 0, r.contract.number),
    "-score": lambda r: (r.score is None, -(r.score or 0), r.contract.number),
    "contract": lambda r: r.contract.number,
    "provider": lambda r: (r.contract.provider.name, r.contract.number),
    "orders": lambda r: (-r.contract.open_orders, r.contract.next_order_deadline or date.max, r.contract.number),
    "red_lines": lambda r: (-r.contract.red_lines_term, r.contract.number),
}


def sort_rows(rows: list[BoardRow], sort: str) -> list[BoardRow]:
    return sorted(rows, key=SORTS.get(sort, SORTS["standing"]))


# --- the provider's scores ----------------------------------------------------------------------


@dataclass
class ProviderScores:
    today: date
    rows: list[BoardRow]
    orders: list[RectificationOrder]


def provider_scores(provider: Provider, today: date | None = None) -> ProviderScores:
    """The provider's contracts since they came into force, and the rectification orders it has open."""
    today = today or timezone.localdate()
    current = month_of(today)
    contracts = (
        Contract.objects.filter(provider=provider)
        .exclude(state=Contract.State.DRAFT)
        .select_related("palace", "project")
        .prefetch_related(Prefetch("period_scores", queryset=PeriodScore.objects.order_by("month"), to_attr="months"))
        .order_by("-starts_on", "number")
    )
    rows = [
        BoardRow(
            contract=c,
            current=next((p for p in c.months if p.month == current), None),
            trend=trend_points(c, c.months, today),
        )
        for c in contracts
    ]
    rows.sort(key=lambda r: (r.contract.state not in IN_FORCE,))
    orders = list(
        RectificationOrder.objects.filter(contract__provider=provider, state__in=RectificationOrder.OPEN_STATES)
        .select_related("contract__project", "contract__palace")
        .annotate(findings_count=Count("findings"))
        .order_by("deadline", "pk")
    )
    calendar = WorkCalendar()
    for o in orders:
        o.working_days_left = (
            calendar.working_days_between(today, o.deadline)
            if o.deadline >= today
            else -calendar.working_days_between(o.deadline, today)
        )
        o.overdue = o.deadline < today
    return ProviderScores(today=today, rows=rows, orders=orders)


# --- home panels --------------------------------------------------------------------------------


def standing_counts(palaces: frozenset[int] | None, today: date) -> dict[str, int]:
    """How many contracts in force stand green, amber, red, or have no score yet this month."""
    contracts = Contract.objects.filter(state__in=IN_FORCE)
    if palaces is not None:
        contracts = contracts.filter(palace_id__in=palaces)
    counts = dict.fromkeys(STANDINGS, 0)
    for standing, n in (
        PeriodScore.objects.filter(contract__in=contracts, month=month_of(today))
        .values_list("standing")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts[standing if standing in counts else "none"] += n
    counts["none"] += contracts.count() - sum(counts.values())
    return counts


def open_order_counts(palaces: frozenset[int] | None, today: date, horizon: date) -> dict[str, int]:
    orders = RectificationOrder.objects.filter(state__in=RectificationOrder.OPEN_STATES)
    if palaces is not None:
        orders = orders.filter(contract__palace_id__in=palaces)
    waiting = Q(state=RectificationOrder.State.OPEN)
    return orders.aggregate(
        open=Count("pk"),
        due_soon=Count("pk", filter=waiting & Q(deadline__lte=horizon)),
        overdue=Count("pk", filter=waiting & Q(deadline__lt=today)),
        reinspection=Count("pk", filter=Q(state=RectificationOrder.State.RESPONDED)),
    )


def pending_reviews(palaces: frozenset[int] | None) -> list[TerminationReview]:
    reviews = TerminationReview.objects.filter(decision="").select_related("contract__provider")
    if palaces is not None:
        reviews = reviews.filter(contract__palace_id__in=palaces)
    return list(reviews.order_by("opened_at")[:5])


def evaluator_work(user: AnyUser, today: date) -> dict:
    """The evaluator's inspections to do, soonest first, and the orders waiting for their re-inspection."""
    inspections = (
        Inspection.objects.filter(inspector=user, state=Inspection.State.ASSIGNED)
        .select_related("contract__provider", "contract__project")
        .order_by("due_on", "pk")
    )
    reinspect = RectificationOrder.objects.filter(state=RectificationOrder.State.RESPONDED).filter(
        Q(reinspector=user) | Q(reinspector__isnull=True, contract__palace_id__in=palace_ids(user, Role.EVALUATOR))
    )
    counts = inspections.aggregate(total=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=today)))
    return {
        "inspections": list(inspections[:6]),
        "inspection_count": counts["total"],
        "overdue": counts["overdue"],
        "reinspect": list(reinspect.select_related("contract__provider").order_by("responded_at")[:5]),
        "today": today,
    }


_CONTRACT = ("contract__palace", "contract__provider", "contract__project")


@dataclass
class Inbox:
    due: list[Inspection]  # assigned to me, soonest first; ``overdue`` set on each
    reinspections: list[RectificationOrder]  # answered orders waiting for me, or for any evaluator here
    recent: list[Inspection]  # what I submitted lately, newest first
    today: date

    @property
    def overdue_count(self) -> int:
        return sum(1 for i in self.due if i.overdue)


def inbox_for(user: User, today: date) -> Inbox:
    """Four queries whatever the numbers: roles, due, re-inspections, recent."""
    evaluator_palaces = palace_ids(user, Role.EVALUATOR)
    mine = Inspection.objects.filter(inspector=user).select_related(*_CONTRACT, "checklist", "order")
    due = list(mine.filter(state=Inspection.State.ASSIGNED).order_by("due_on", "pk"))
    for inspection in due:
        inspection.overdue = inspection.due_on < today
    reinspections = list(
        RectificationOrder.objects.filter(state=RectificationOrder.State.RESPONDED)
        .filter(Q(reinspector=user) | Q(reinspector__isnull=True, contract__palace_id__in=evaluator_palaces))
        .select_related(*_CONTRACT, "reinspector")
        .order_by("responded_at", "pk")
    )
    recent = list(
        mine.filter(
            state=Inspection.State.SUBMITTED, submitted_at__date__gte=today - timedelta(days=RECENT_DAYS)
        ).order_by("-submitted_at", "-pk")[:RECENT_LIMIT]
    )
    return Inbox(due=due, reinspections=reinspections, recent=recent, today=today)
