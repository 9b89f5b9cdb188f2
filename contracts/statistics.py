"""Palace statistics: activities and participant-visits by category and over time, and their SVG charts.

What counts: the activities listed in service reports that were submitted or accepted,
of every contract of the palace, dated within the period. Drafts, returned reports and
reports not yet written are the provider's work in progress, so they are left out; a
submitted report counts before its review and the page says how much of it awaits review.

The figures are two aggregate queries whatever the number of activities (one GROUP BY
month and category, one GROUP BY contract and category for the contracts reporting),
served by the (palace, date) index on ``Activity``. The trend is per month up to three years, and
per year beyond, where 120 monthly bars would be unreadable. The charts are plain SVG
written here: no JavaScript, every label escaped, a ``<title>`` and ``<desc>`` for
screen readers.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth, TruncYear
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.models import Palace
from core.permissions import AnyUser, palace_ids
from procurement.models import ServiceCategory

from .models import Activity, ServiceReport
from .services import add_months

COUNTED_STATES = (ServiceReport.State.SUBMITTED, ServiceReport.State.ACCEPTED)
MAX_YEARS = 10
MONTHLY_UP_TO = 36  # months; a longer period's trend is per year

ERR_ORDER = gettext_lazy("The start date %(start)s is after the end date %(end)s.")
ERR_TOO_LONG = gettext_lazy("Choose a period of at most %(years)d years.")

# Okabe–Ito colours: told apart by most colour-blind readers, and each dark enough for white text.
CATEGORY_COLOURS = {
    ServiceCategory.TRAINING: "#0072b2",
    ServiceCategory.CULTURE: "#d55e00",
    ServiceCategory.SPORTS: "#009e73",
    ServiceCategory.HEALTH: "#cc79a7",
    ServiceCategory.LEGAL_AID: "#b58900",
    ServiceCategory.OTHER: "#757575",
}


# --- the period -----------------------------------------------------------------------------------


def default_period(today: date) -> tuple[date, date]:
    """The last 12 calendar months, the current one included, up to today."""
    return add_months(today.replace(day=1), -11), today


def period_problem(start: date, end: date) -> str:
    """Why the period cannot be shown, or "" when it can."""
    if start > end:
        return str(ERR_ORDER % {"start": f"{start:%Y-%m-%d}", "end": f"{end:%Y-%m-%d}"})
    if end >= add_months(start, 12 * MAX_YEARS):
        return str(ERR_TOO_LONG % {"years": MAX_YEARS})
    return ""


def months_between(start: date, end: date) -> list[date]:
    """The first day of every calendar month that the period touches."""
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = add_months(month, 1)
    return months


# --- who may see which palace ---------------------------------------------------------------------


def statistics_palaces(user: AnyUser) -> QuerySet[Palace]:
    """The palaces whose statistics ``user`` may read: any staff role there; the superuser every palace."""
    if not user.is_authenticated:
        return Palace.objects.none()
    if user.is_superuser:
        return Palace.objects.all()
    return Palace.objects.filter(pk__in=palace_ids(user))


# --- the figures ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryRow:
    category: str
    label: str
    activities: int
    participants: int
    awaiting_review: int
    contracts: int

    @property
    def average(self) -> int:
        return round(self.participants / self.activities) if self.activities else 0

    @property
    def colour(self) -> str:
        return CATEGORY_COLOURS.get(self.category, "#757575")


@dataclass(frozen=True)
class TrendRow:
    """One month of the trend (one year, for a period of more than three years)."""

    start: date
    label: str
    activities: int
    participants: int
    by_category: dict[str, int] = field(default_factory=dict)
    # Activities of each category that has any in the period, in the order of ``categories_with_data``.
    cells: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class PalaceStatistics:
    palace: Palace
    start: date
    end: date
    categories: list[CategoryRow]
    trend: list[TrendRow]
    contracts: int
    yearly: bool = False

    @property
    def activities(self) -> int:
        return sum(c.activities for c in self.categories)

    @property
    def participants(self) -> int:
        return sum(c.participants for c in self.categories)

    @property
    def awaiting_review(self) -> int:
        return sum(c.awaiting_review for c in self.categories)

    @property
    def average(self) -> int:
        return round(self.participants / self.activities) if self.activities else 0

    @property
    def categories_with_data(self) -> list[CategoryRow]:
        return [c for c in self.categories if c.activities]

    @property
    def trend_totals(self) -> list[int]:
        return [c.activities for c in self.categories_with_data]


def counted_activities(*, palace: Palace | int, start: date, end: date) -> QuerySet[Activity]:
    """The activities that count for the palace's statistics over the period (see the module docstring)."""
    palace_id = palace.pk if isinstance(palace, Palace) else palace
    return Activity.objects.filter(
        palace_id=palace_id, date__gte=start, date__lte=end, report__state__in=COUNTED_STATES
    )


def palace_statistics(*, palace: Palace, start: date, end: date) -> PalaceStatistics:
    """Activities and participant-visits by category and over time: two aggregate queries."""
    activities = counted_activities(palace=palace, start=start, end=end)
    awaiting = Q(report__state=ServiceReport.State.SUBMITTED)
    months = months_between(start, end)
    yearly = len(months) > MONTHLY_UP_TO
    buckets = sorted({m.replace(month=1) for m in months}) if yearly else months
    cells = (
        activities.annotate(bucket=(TruncYear if yearly else TruncMonth)("date"))
        .values("bucket", "category")
        .annotate(n=Count("id"), visits=Sum("participants"), awaiting=Count("id", filter=awaiting))
        .order_by()
    )
    # The (contract, category) pairs that reported: at most contracts × categories rows, whatever the activities.
    pairs = list(activities.values_list("contract_id", "category").annotate(n=Count("id")).order_by())
    contracts_by_category: dict[str, int] = {}
    for _contract, category, _n in pairs:
        contracts_by_category[category] = contracts_by_category.get(category, 0) + 1
    contracts = len({contract for contract, _category, _n in pairs})

    per_bucket: dict[date, dict] = {b: {"n": 0, "visits": 0, "by": {}} for b in buckets}
    per_category = {c: {"n": 0, "visits": 0, "awaiting": 0} for c in ServiceCategory.values}
    for row in cells:
        day = row["bucket"].date() if isinstance(row["bucket"], datetime) else row["bucket"]
        bucket = per_bucket.setdefault(day, {"n": 0, "visits": 0, "by": {}})
        bucket["n"] += row["n"]
        bucket["visits"] += row["visits"] or 0
        bucket["by"][row["category"]] = bucket["by"].get(row["category"], 0) + row["n"]
        totals = per_category.setdefault(row["category"], {"n": 0, "visits": 0, "awaiting": 0})
        totals["n"] += row["n"]
        totals["visits"] += row["visits"] or 0
        totals["awaiting"] += row["awaiting"]

    labels = dict(ServiceCategory.choices)
    categories = [
        CategoryRow(
            category=c,
            label=str(labels.get(c, c)),
            activities=t["n"],
            participants=t["visits"],
            awaiting_review=t["awaiting"],
            contracts=contracts_by_category.get(c, 0),
        )
        for c, t in per_category.items()
    ]
    shown = [c.category for c in categories if c.activities]
    trend = [
        TrendRow(
            start=day,
            label=f"{day:%Y}" if yearly else f"{day:%Y-%m}",
            activities=b["n"],
            participants=b["visits"],
            by_category=b["by"],
            cells=[b["by"].get(c, 0) for c in shown],
        )
        for day, b in sorted(per_bucket.items())
    ]
    return PalaceStatistics(
        palace=palace, start=start, end=end, categories=categories, trend=trend, contracts=contracts, yearly=yearly
    )


# --- export ---------------------------------------------------------------------------------------


def statistics_tables(stats: PalaceStatistics) -> list[tuple[str, list[str], list[list]]]:
    """The two tables of the page as (title, headers, rows), for CSV and XLSX export."""
    by_category = [
        [c.label, c.activities, c.participants, c.average, c.awaiting_review, c.contracts] for c in stats.categories
    ]
    by_category.append(
        [_("Total"), stats.activities, stats.participants, stats.average, stats.awaiting_review, stats.contracts]
    )
    shown = stats.categories_with_data
    over_time = [[t.label, *t.cells, t.activities, t.participants] for t in stats.trend]
    over_time.append([_("Total"), *stats.trend_totals, stats.activities, stats.participants])
    return [
        (
            _("By category"),
            [
                _("Category"),
                _("Activities"),
                _("Participant-visits"),
                _("Average per activity"),
                _("Activities awaiting review"),
                _("Contracts reporting"),
            ],
            by_category,
        ),
        (
            _("By year") if stats.yearly else _("By month"),
            [
                _("Year") if stats.yearly else _("Month"),
                *[c.label for c in shown],
                _("Activities"),
                _("Participant-visits"),
            ],
            over_time,
        ),
    ]


# --- charts ---------------------------------------------------------------------------------------


def _n(value: int) -> str:
    return f"{value:,}"


def _text_width(text: str, size: int) -> int:
    """Roughly how wide ``text`` is drawn: a CJK character is a square, a Latin one about half of it."""
    return round(sum(size if ord(ch) >= 0x2E80 else size * 0.58 for ch in text))


def _nice_ceiling(value: int) -> tuple[int, int]:
    """An axis maximum at or above ``value`` and its tick step: 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return 1, 1
    raw = value / 4
    magnitude = 10 ** max(len(str(int(raw))) - 1, 0)
    for factor in (1, 2, 5, 10):
        step = factor * magnitude
        if step >= raw:
            break
    step = max(int(step), 1)
    return -(-value // step) * step, step


def _svg(*, uid: str, width: int, height: int, title: str, description: str, body: list[str]) -> SafeString:
    return mark_safe(  # noqa: S308  (every piece of text in ``body`` went through escape())
        f'<svg xmlns="http://www.w3.org/2000/svg" class="hz-chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="{uid}-title {uid}-desc" '
        f'style="max-width:100%;height:auto;font-family:inherit">'
        f'<title id="{uid}-title">{escape(title)}</title><desc id="{uid}-desc">{escape(description)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def _activities_and_visits(activities: int, visits: int) -> str:
    return ngettext(
        "%(n)s activity, %(visits)s participant-visits", "%(n)s activities, %(visits)s participant-visits", activities
    ) % {"n": _n(activities), "visits": _n(visits)}


def category_chart(stats: PalaceStatistics, *, uid: str = "hz-by-category") -> SafeString:
    """Horizontal bars, one per category: activities, with the participant-visits written beside."""
    rows = stats.categories
    details = [_activities_and_visits(c.activities, c.participants) for c in rows]
    label_width = max((_text_width(c.label, 14) for c in rows), default=40) + 20
    bar_area, row_height, top = 360, 34, 8
    width = label_width + bar_area + 8 + max((_text_width(d, 13) for d in details), default=0) + 8
    height = top + row_height * len(rows) + 8
    peak = max((c.activities for c in rows), default=0) or 1
    body, faint = [], ' opacity="0.35"'
    for i, c in enumerate(rows):
        y = top + i * row_height
        length = round(bar_area * c.activities / peak) if c.activities else 0
        detail = details[i]
        body.append(
            f"<g><title>{escape(c.label)}: {escape(detail)}</title>"
            f'<text x="{label_width - 10}" y="{y + 21}" text-anchor="end" font-size="14" fill="#212121">'
            f"{escape(c.label)}</text>"
            f'<rect x="{label_width}" y="{y + 6}" width="{max(length, 1)}" height="22" rx="3" '
            f'fill="{c.colour}"{"" if c.activities else faint}/>'
            f'<text x="{label_width + length + 8}" y="{y + 21}" font-size="13" fill="#424242">'
            f"{escape(detail)}</text></g>"
        )
    description = _("Activities by category, %(start)s to %(end)s: %(list)s.") % {
        "start": f"{stats.start:%Y-%m-%d}",
        "end": f"{stats.end:%Y-%m-%d}",
        "list": "; ".join(f"{c.label} {_activities_and_visits(c.activities, c.participants)}" for c in rows),
    }
    return _svg(
        uid=uid, width=width, height=height, title=_("Activities by category"), description=description, body=body
    )


def trend_chart(stats: PalaceStatistics, *, uid: str = "hz-trend") -> SafeString:
    """Stacked bars, one per month (or year), a segment per category; the total above each bar."""
    shown = stats.categories_with_data or stats.categories[:1]
    months = stats.trend
    left, right, top, legend_height, bottom = 56, 16, 12, 30, 40
    plot_height = 240
    slot = max(14, min(64, 760 // max(len(months), 1)))
    width = left + slot * len(months) + right
    width = max(width, 480)
    height = top + legend_height + plot_height + bottom
    axis_max, step = _nice_ceiling(max((m.activities for m in months), default=0))
    base = top + legend_height + plot_height

    def y_of(value: int) -> float:
        return base - plot_height * value / axis_max

    body = []
    # legend
    x = left
    for c in shown:
        body.append(
            f'<rect x="{x}" y="{top}" width="12" height="12" rx="2" fill="{c.colour}"/>'
            f'<text x="{x + 17}" y="{top + 11}" font-size="13" fill="#212121">{escape(c.label)}</text>'
        )
        x += 17 + _text_width(c.label, 13) + 16
    # grid and y axis
    for tick in range(0, axis_max + 1, step):
        y = round(y_of(tick), 1)
        body.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y}" y2="{y}" stroke="#e0e0e0"/>'
            f'<text x="{left - 8}" y="{y + 4}" text-anchor="end" font-size="12" fill="#616161">'
            f"{_n(tick)}</text>"
        )
    body.append(
        f'<text x="14" y="{base - plot_height / 2}" font-size="12" fill="#616161" text-anchor="middle" '
        f'transform="rotate(-90 14 {base - plot_height / 2})">{escape(_("Activities"))}</text>'
    )
    # bars
    bar = max(6, round(slot * 0.62))
    label_every = 1 if slot >= 44 else (2 if slot >= 22 else 6)
    for i, m in enumerate(months):
        x0 = left + i * slot + (slot - bar) / 2
        running = 0
        segments = []
        for c in shown:
            n = m.by_category.get(c.category, 0)
            if not n:
                continue
            y_top, y_bottom = y_of(running + n), y_of(running)
            running += n
            segments.append(
                f'<rect x="{x0:.1f}" y="{y_top:.1f}" width="{bar}" height="{y_bottom - y_top:.1f}" fill="{c.colour}">'
                f"<title>{escape(m.label)} {escape(c.label)}: "
                f"{escape(ngettext('%(n)s activity', '%(n)s activities', n) % {'n': _n(n)})}</title></rect>"
            )
        summary = f"{m.label}: {_activities_and_visits(m.activities, m.participants)}"
        body.append(f"<g><title>{escape(summary)}</title>{''.join(segments)}")
        if m.activities:
            body.append(
                f'<text x="{x0 + bar / 2:.1f}" y="{y_of(m.activities) - 5:.1f}" text-anchor="middle" '
                f'font-size="12" fill="#212121">{_n(m.activities)}</text>'
            )
        body.append("</g>")
        if i % label_every == 0:
            body.append(
                f'<text x="{x0 + bar / 2:.1f}" y="{base + 17}" text-anchor="middle" font-size="12" '
                f'fill="#424242">{escape(m.label)}</text>'
            )
    body.append(f'<line x1="{left}" x2="{width - right}" y1="{base}" y2="{base}" stroke="#9e9e9e"/>')
    if stats.yearly:
        title, what = (
            _("Activities per year"),
            _("Activities per year, %(start)s to %(end)s, stacked by category: %(list)s."),
        )
    else:
        title, what = (
            _("Activities per month"),
            _("Activities per month, %(start)s to %(end)s, stacked by category: %(list)s."),
        )
    description = what % {
        "start": f"{stats.start:%Y-%m-%d}",
        "end": f"{stats.end:%Y-%m-%d}",
        "list": "; ".join(f"{m.label} {_n(m.activities)}" for m in months),
    }
    return _svg(uid=uid, width=width, height=height, title=title, description=description, body=body)


def preset_periods(today: date) -> list[tuple[str, date, date]]:
    """Quick choices offered beside the date fields."""
    year_start = today.replace(month=1, day=1)
    last_year = year_start.replace(year=year_start.year - 1)
    start_12, _end = default_period(today)
    return [
        (_("Last 12 months"), start_12, today),
        (_("This year"), year_start, today),
        (_("Last year"), last_year, year_start - timedelta(days=1)),
    ]
