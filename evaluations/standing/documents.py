"""The monthly real-time summary (实时评价月度小结) of every closed month of a contract, and the
labels and figures the other evaluation documents print the same way.

Issued documents are always Chinese and immutable, so their wording is written here in
Chinese rather than looked up in the catalogue (as procurement/documents.py does).
"""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.safestring import mark_safe

from contracts.models import ServiceReport
from core.documents import document_issue
from core.models import IssuedDocument
from evaluations.realtime import scoring
from evaluations.realtime.models import Inspection, PeriodScore, RedLine
from evaluations.realtime.months import month_end, month_of, months_between, weights_for
from evaluations.rectification.models import RectificationOrder

# --- the monthly real-time summary (实时评价月度小结) ----------------------------------------------

SUMMARY_TEMPLATE = "evaluations/pdf/monthly_summary.html"
SUMMARY_TITLE = "实时评价月度小结"
INDICATOR_LABELS = {
    scoring.INSPECTIONS: "现场检查",
    scoring.REPORTS: "服务报告审核",
    scoring.SATISFACTION: "职工满意度",
    scoring.KPI: "绩效指标进度",
}
STANDING_LABELS = {"green": "良好", "amber": "需关注", "red": "不合格", "none": "无评分"}
INSPECTION_KIND_LABELS = {Inspection.Kind.SCHEDULED: "例行检查", Inspection.Kind.SPOT: "突击检查"}
RED_LINE_LABELS = {
    RedLine.Category.SAFETY: "安全事故",
    RedLine.Category.CHARGING: "向职工收取免费服务费用",
    RedLine.Category.FALSIFIED: "弄虚作假（记录或签到）",
    RedLine.Category.ABSENT: "无故未提供服务",
    RedLine.Category.OTHER: "其他严重违规",
}
ORDER_STATE_LABELS = {
    RectificationOrder.State.OPEN: "待整改",
    RectificationOrder.State.RESPONDED: "待复查",
    RectificationOrder.State.PASSED: "整改合格",
    RectificationOrder.State.FAILED: "整改不合格",
}
ORDER_TRIGGER_SHORT = {
    RectificationOrder.Trigger.SCORE: "月度得分低于 60 分",
    RectificationOrder.Trigger.RED_LINE: "红线事件",
}


def month_label(month: date) -> str:
    return f"{month.year}年{month.month}月"


def _pts(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _composition(period: PeriodScore, result: scoring.PeriodResult, weights: dict[str, Decimal]) -> list[dict]:
    """Each indicator: its value, its weight as set and as applied, and its share of the score."""
    values = period.inputs()
    rows = []
    for name in scoring.INDICATORS:
        value = getattr(values, name)
        applied = result.weights.get(name)
        rows.append(
            {
                "label": INDICATOR_LABELS[name],
                "value": _pts(value),
                "weight": f"{weights[name]:.0f}",
                "applied": _pts(applied) if applied is not None else "—",
                "share": _pts(scoring.q(value * applied / 100)) if applied is not None and value is not None else "—",
            }
        )
    return rows


def _shared_out_notes(period: PeriodScore, result: scoring.PeriodResult, weights: dict[str, Decimal]) -> list[str]:
    """The plain sentences on weights shared out: satisfaction with too few ratings, indicators with no input."""
    notes = []
    if result.shared_out.get(scoring.SATISFACTION) == scoring.TOO_FEW_RATINGS:
        notes.append(
            f"本月仅收到 {period.ratings_count} 条职工评价，不足 {scoring.SATISFACTION_MIN_RATINGS} 条，"
            f"职工满意度不计分，其权重 {weights[scoring.SATISFACTION]:.0f}% 已按比例分摊给其他有数据的指标。"
        )
    empty = [n for n in scoring.INDICATORS if result.shared_out.get(n) == scoring.NO_INPUT and weights[n] > 0]
    if empty and result.weights:
        names = "、".join(INDICATOR_LABELS[n] for n in empty)
        shares = "、".join(f"{weights[n]:.0f}%" for n in empty)
        notes.append(f"{names}本月无数据，其权重（{shares}）已按比例分摊给其他有数据的指标。")
    return notes


def trend_svg(points: list[tuple[date, Decimal | None, str]], current: date) -> str:
    """The term's monthly scores so far as a small line chart, hand-built SVG (numbers and month labels only).

    ``points``: (month, score or None, standing) for each month of the term up to ``current``.
    """
    width, height = 600, 210
    # Room on the right for the current month's value, which is the last point.
    left, right, top, bottom = 40, 30, 14, 34
    plot_w, plot_h = width - left - right, height - top - bottom

    def y(score) -> float:
        return top + plot_h * (1 - float(score) / 100)

    step = plot_w / max(len(points) - 1, 1)

    def x(i: int) -> float:
        return left + (plot_w / 2 if len(points) == 1 else i * step)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="160mm" '
        f'height="{160 * height / width:.1f}mm" font-family="Noto Sans CJK SC, sans-serif" font-size="11">'
    ]
    for level in (0, 20, 40, 60, 80, 100):
        colour, dash = {60: ("#c00000", ' stroke-dasharray="6 4"'), 80: ("#2e7d32", ' stroke-dasharray="6 4"')}.get(
            level, ("#d0d0d0", "")
        )
        parts.append(
            f'<line x1="{left}" y1="{y(level):.1f}" x2="{width - right}" y2="{y(level):.1f}" '
            f'stroke="{colour}" stroke-width="{1.2 if level in (60, 80) else 0.6}"{dash}/>'
        )
        parts.append(f'<text x="{left - 6}" y="{y(level) + 4:.1f}" text-anchor="end" fill="#555">{level}</text>')
    label_every = 1 if len(points) <= 12 else 2
    for i, (month, _score, _standing) in enumerate(points):
        if i % label_every == 0 or month == current:
            text = f"{month.month}月" if month.month != 1 or i == 0 else f"{month.year % 100:02d}年1月"
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - bottom + 16}" text-anchor="middle" '
                f'fill="{"#000" if month == current else "#555"}">{text}</text>'
            )
    # The line, broken where a month has no score.
    run: list[str] = []
    for i, (_month, score, _standing) in enumerate(points):
        if score is None:
            if len(run) > 1:
                parts.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="#1565c0" stroke-width="2"/>')
            run = []
            continue
        run.append(f"{x(i):.1f},{y(score):.1f}")
    if len(run) > 1:
        parts.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="#1565c0" stroke-width="2"/>')
    colours = {"green": "#2e7d32", "amber": "#f9a825", "red": "#c00000"}
    previous = None
    for i, (month, score, standing) in enumerate(points):
        if score is None:
            continue
        r = 5.5 if month == current else 3.5
        parts.append(
            f'<circle cx="{x(i):.1f}" cy="{y(score):.1f}" r="{r}" fill="{colours.get(standing, "#1565c0")}" '
            f'stroke="#fff" stroke-width="1"/>'
        )
        if month == current:
            # The value goes where the line is not: below the point when the line comes down to it.
            below = previous is not None and previous > score and score > 15
            label_y = y(score) + 19 if below else y(score) - 9
            parts.append(
                f'<text x="{x(i):.1f}" y="{label_y:.1f}" text-anchor="middle" font-size="12" '
                f'fill="#000">{score:.2f}</text>'
            )
        previous = score
    parts.append(f'<text x="{left + 4}" y="{y(60) - 4:.1f}" fill="#c00000" font-size="10">合格线 60</text>')
    parts.append("</svg>")
    return "".join(parts)


def _trend(period: PeriodScore) -> list[tuple[date, Decimal | None, str]]:
    contract = period.contract
    first = month_of(contract.starts_on) if contract.starts_on else period.month
    scores = {p.month: p for p in contract.period_scores.filter(month__gte=first, month__lte=period.month)}
    return [
        (m, scores[m].score if m in scores else None, scores[m].standing if m in scores else "none")
        for m in months_between(first, period.month)
    ]


def _summary_context(period: PeriodScore) -> dict:
    contract = period.contract
    month, end = period.month, month_end(period.month)
    weights = weights_for(contract.palace_id)
    result = scoring.period_score(period.inputs(), weights)
    inspections = list(
        Inspection.objects.filter(
            contract=contract, state=Inspection.State.SUBMITTED, order__isnull=True, inspected_on__range=(month, end)
        )
        .select_related("inspector", "checklist")
        .order_by("inspected_on", "pk")
    )
    reports = list(
        ServiceReport.objects.filter(
            contract=contract, score__isnull=False, period_start__lte=end, period_end__gte=month
        ).order_by("sequence")
    )
    red_lines = list(
        RedLine.objects.filter(contract=contract, occurred_on__range=(month, end)).order_by("occurred_on", "pk")
    )
    orders = list(period.orders.order_by("issued_at", "pk"))
    average = scoring.mean(Decimal(period.ratings_total), period.ratings_count)
    standing = STANDING_LABELS.get(period.standing, period.standing)
    trend = _trend(period)
    composition = _composition(period, result, weights)
    return {
        "period": period,
        "contract": contract,
        "provider": contract.provider,
        "month_label": month_label(month),
        "month_start": month,
        "month_end": end,
        "score": _pts(period.score),
        "standing": standing,
        "standing_key": period.standing,
        "composition": composition,
        "shared_notes": _shared_out_notes(period, result, weights),
        # Each share is rounded to the cent; their sum may then miss the score by a cent or two.
        "rounding_note": period.score is not None
        and sum((Decimal(r["share"]) for r in composition if r["share"] != "—"), Decimal(0)) != period.score,
        "red_line_note": "发生红线事件，无论得分均为不合格" if period.red_lines else "",
        "inspections": [
            {
                "date": i.inspected_on,
                "kind": INSPECTION_KIND_LABELS.get(i.kind, i.kind),
                "checklist": i.checklist.name,
                "inspector": str(i.inspector),
                "score": _pts(i.score),
            }
            for i in inspections
        ],
        "reports": [
            {"sequence": r.sequence, "start": r.period_start, "end": r.period_end, "score": _pts(r.score)}
            for r in reports
        ],
        "ratings_count": period.ratings_count,
        "ratings_average": _pts(average),
        "ratings_stars": f"{average / 25 + 1:.1f}" if average is not None else "—",
        "ratings_counted": period.ratings_count >= scoring.SATISFACTION_MIN_RATINGS,
        "ratings_min": scoring.SATISFACTION_MIN_RATINGS,
        "red_lines": [
            {
                "date": r.occurred_on,
                "category": RED_LINE_LABELS.get(r.category, r.category),
                "description": r.description,
            }
            for r in red_lines
        ],
        "orders": [
            {
                "number": o.number,
                "trigger": ORDER_TRIGGER_SHORT[o.trigger],
                "deadline": o.deadline,
                "state": ORDER_STATE_LABELS[o.state],
            }
            for o in orders
        ],
        "trend_svg": mark_safe(trend_svg(trend, month)),  # noqa: S308  (numbers and month labels only)
        "trend_months": len(trend),
    }


@transaction.atomic
def issue_monthly_summary(*, period: PeriodScore) -> IssuedDocument:
    """Issue the month's summary: its score and standing, how the score is made up, the month's inputs,
    red lines and orders, and the term's trend so far."""
    period = PeriodScore.objects.select_related("contract__palace", "contract__provider", "contract__project").get(
        pk=period.pk
    )
    contract = period.contract
    return document_issue(
        actor=None,
        kind=IssuedDocument.Kind.MONTHLY_SUMMARY,
        subject=period,
        palace=contract.palace,
        title=f"{SUMMARY_TITLE}（{contract.number} · {month_label(period.month)}）",
        template=SUMMARY_TEMPLATE,
        context=_summary_context(period),
    )


# --- the assessment report (终期评估报告) -------------------------------------------------------------


# --- the exit notice (退出合作通知书) --------------------------------------------------------------
