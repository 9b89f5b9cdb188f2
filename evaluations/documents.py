"""The PDFs of evaluation: the rectification notice (整改通知书) of every order, the monthly real-time
summary (实时评价月度小结) of every closed month of a contract, the final assessment report (终期评估报告)
and the exit notice (退出合作通知书).

Issued documents are always Chinese and immutable, so their wording is written here in
Chinese rather than looked up in the catalogue (as procurement/documents.py does).
"""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from contracts.models import Milestone, ServiceReport
from contracts.selectors import kpi_progress
from core.documents import DOCUMENT_TZ, document_issue, documents_for_subject
from core.errors import DomainError, NotPermitted
from core.models import AuditEvent, IssuedDocument, Role, User
from core.permissions import has_role
from procurement.documents import CATEGORY_LABELS
from procurement.models import KpiMetric

from . import scoring
from .charts import trend_chart
from .models import (
    REVIEW_MAXIMA,
    Appeal,
    Exit,
    FinalEvaluation,
    FinalPanelScore,
    FinalPanelSeat,
    FinalRating,
    HandoverItem,
    Inspection,
    PeriodScore,
    Rating,
    RectificationOrder,
    RedLine,
    ReviewCriterion,
)
from .selectors_dashboards import trend_points
from .selectors_final import FinalBreakdown, final_breakdown
from .services.period import month_end, month_of, months_between, weights_for

NOTICE_TEMPLATE = "evaluations/pdf/rectification_notice.html"
NOTICE_TITLE = "限期整改通知书"
TRIGGER_LABELS = {
    RectificationOrder.Trigger.SCORE: "月度实时评价得分低于 60 分",
    RectificationOrder.Trigger.RED_LINE: "发生红线事件",
}


def _notice_context(order: RectificationOrder) -> dict:
    contract = order.contract
    return {
        "order": order,
        "contract": contract,
        "provider": contract.provider,
        "trigger": TRIGGER_LABELS[order.trigger],
        "month": order.period.month,
        "findings": list(order.findings.all()),
        "issued_on": timezone.localtime(order.issued_at, DOCUMENT_TZ),
    }


@transaction.atomic
def issue_rectification_notice(*, order: RectificationOrder) -> IssuedDocument:
    """Issue the notice of an order: its findings, its deadline and what happens if it is missed."""
    order = RectificationOrder.objects.select_related(
        "contract__palace", "contract__provider", "contract__project", "period", "red_line").get(pk=order.pk)
    return document_issue(
        actor=None, kind=IssuedDocument.Kind.RECTIFICATION_NOTICE, subject=order, palace=order.contract.palace,
        title=f"{NOTICE_TITLE}（{order.number}）", template=NOTICE_TEMPLATE, context=_notice_context(order))


# --- the monthly real-time summary (实时评价月度小结) ----------------------------------------------

SUMMARY_TEMPLATE = "evaluations/pdf/monthly_summary.html"
SUMMARY_TITLE = "实时评价月度小结"
INDICATOR_LABELS = {
    scoring.INSPECTIONS: "现场检查", scoring.REPORTS: "服务报告审核",
    scoring.SATISFACTION: "职工满意度", scoring.KPI: "绩效指标进度",
}
STANDING_LABELS = {"green": "良好", "amber": "需关注", "red": "不合格", "none": "无评分"}
INSPECTION_KIND_LABELS = {Inspection.Kind.SCHEDULED: "例行检查", Inspection.Kind.SPOT: "突击检查"}
RED_LINE_LABELS = {
    RedLine.Category.SAFETY: "安全事故", RedLine.Category.CHARGING: "向职工收取免费服务费用",
    RedLine.Category.FALSIFIED: "弄虚作假（记录或签到）", RedLine.Category.ABSENT: "无故未提供服务",
    RedLine.Category.OTHER: "其他严重违规",
}
ORDER_STATE_LABELS = {
    RectificationOrder.State.OPEN: "待整改", RectificationOrder.State.RESPONDED: "待复查",
    RectificationOrder.State.PASSED: "整改合格", RectificationOrder.State.FAILED: "整改不合格",
}
ORDER_TRIGGER_SHORT = {RectificationOrder.Trigger.SCORE: "月度得分低于 60 分",
                       RectificationOrder.Trigger.RED_LINE: "红线事件"}


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
        rows.append({
            "label": INDICATOR_LABELS[name], "value": _pts(value), "weight": f"{weights[name]:.0f}",
            "applied": _pts(applied) if applied is not None else "—",
            "share": _pts(scoring.q(value * applied / 100)) if applied is not None and value is not None else "—",
        })
    return rows


def _shared_out_notes(period: PeriodScore, result: scoring.PeriodResult, weights: dict[str, Decimal]) -> list[str]:
    """The plain sentences on weights shared out: satisfaction with too few ratings, indicators with no input."""
    notes = []
    if result.shared_out.get(scoring.SATISFACTION) == scoring.TOO_FEW_RATINGS:
        notes.append(f"本月仅收到 {period.ratings_count} 条职工评价，不足 {scoring.SATISFACTION_MIN_RATINGS} 条，"
                     f"职工满意度不计分，其权重 {weights[scoring.SATISFACTION]:.0f}% 已按比例分摊给其他有数据的指标。")
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

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="160mm" '
             f'height="{160 * height / width:.1f}mm" font-family="Noto Sans CJK SC, sans-serif" font-size="11">']
    for level in (0, 20, 40, 60, 80, 100):
        colour, dash = {60: ("#c00000", ' stroke-dasharray="6 4"'), 80: ("#2e7d32", ' stroke-dasharray="6 4"')}.get(
            level, ("#d0d0d0", ""))
        parts.append(f'<line x1="{left}" y1="{y(level):.1f}" x2="{width - right}" y2="{y(level):.1f}" '
                     f'stroke="{colour}" stroke-width="{1.2 if level in (60, 80) else 0.6}"{dash}/>')
        parts.append(f'<text x="{left - 6}" y="{y(level) + 4:.1f}" text-anchor="end" fill="#555">{level}</text>')
    label_every = 1 if len(points) <= 12 else 2
    for i, (month, _score, _standing) in enumerate(points):
        if i % label_every == 0 or month == current:
            text = f"{month.month}月" if month.month != 1 or i == 0 else f"{month.year % 100:02d}年1月"
            parts.append(f'<text x="{x(i):.1f}" y="{height - bottom + 16}" text-anchor="middle" '
                         f'fill="{"#000" if month == current else "#555"}">{text}</text>')
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
        parts.append(f'<circle cx="{x(i):.1f}" cy="{y(score):.1f}" r="{r}" fill="{colours.get(standing, "#1565c0")}" '
                     f'stroke="#fff" stroke-width="1"/>')
        if month == current:
            # The value goes where the line is not: below the point when the line comes down to it.
            below = previous is not None and previous > score and score > 15
            label_y = y(score) + 19 if below else y(score) - 9
            parts.append(f'<text x="{x(i):.1f}" y="{label_y:.1f}" text-anchor="middle" font-size="12" '
                         f'fill="#000">{score:.2f}</text>')
        previous = score
    parts.append(f'<text x="{left + 4}" y="{y(60) - 4:.1f}" fill="#c00000" font-size="10">合格线 60</text>')
    parts.append("</svg>")
    return "".join(parts)


def _trend(period: PeriodScore) -> list[tuple[date, Decimal | None, str]]:
    contract = period.contract
    first = month_of(contract.starts_on) if contract.starts_on else period.month
    scores = {p.month: p for p in contract.period_scores.filter(month__gte=first, month__lte=period.month)}
    return [(m, scores[m].score if m in scores else None, scores[m].standing if m in scores else "none")
            for m in months_between(first, period.month)]


def _summary_context(period: PeriodScore) -> dict:
    contract = period.contract
    month, end = period.month, month_end(period.month)
    weights = weights_for(contract.palace_id)
    result = scoring.period_score(period.inputs(), weights)
    inspections = list(Inspection.objects.filter(
        contract=contract, state=Inspection.State.SUBMITTED, order__isnull=True, inspected_on__range=(month, end))
        .select_related("inspector", "checklist").order_by("inspected_on", "pk"))
    reports = list(ServiceReport.objects.filter(contract=contract, score__isnull=False, period_start__lte=end,
                                                period_end__gte=month).order_by("sequence"))
    red_lines = list(RedLine.objects.filter(contract=contract, occurred_on__range=(month, end))
                     .order_by("occurred_on", "pk"))
    orders = list(period.orders.order_by("issued_at", "pk"))
    average = scoring.mean(Decimal(period.ratings_total), period.ratings_count)
    standing = STANDING_LABELS.get(period.standing, period.standing)
    trend = _trend(period)
    composition = _composition(period, result, weights)
    return {
        "period": period, "contract": contract, "provider": contract.provider, "month_label": month_label(month),
        "month_start": month, "month_end": end,
        "score": _pts(period.score), "standing": standing, "standing_key": period.standing,
        "composition": composition, "shared_notes": _shared_out_notes(period, result, weights),
        # Each share is rounded to the cent; their sum may then miss the score by a cent or two.
        "rounding_note": period.score is not None and sum(
            (Decimal(r["share"]) for r in composition if r["share"] != "—"), Decimal(0)) != period.score,
        "red_line_note": "发生红线事件，无论得分均为不合格" if period.red_lines else "",
        "inspections": [{"date": i.inspected_on, "kind": INSPECTION_KIND_LABELS.get(i.kind, i.kind),
                         "checklist": i.checklist.name, "inspector": str(i.inspector), "score": _pts(i.score)}
                        for i in inspections],
        "reports": [{"sequence": r.sequence, "start": r.period_start, "end": r.period_end, "score": _pts(r.score)}
                    for r in reports],
        "ratings_count": period.ratings_count, "ratings_average": _pts(average),
        "ratings_stars": f"{average / 25 + 1:.1f}" if average is not None else "—",
        "ratings_counted": period.ratings_count >= scoring.SATISFACTION_MIN_RATINGS,
        "ratings_min": scoring.SATISFACTION_MIN_RATINGS,
        "red_lines": [{"date": r.occurred_on, "category": RED_LINE_LABELS.get(r.category, r.category),
                       "description": r.description} for r in red_lines],
        "orders": [{"number": o.number, "trigger": ORDER_TRIGGER_SHORT[o.trigger], "deadline": o.deadline,
                    "state": ORDER_STATE_LABELS[o.state]} for o in orders],
        "trend_svg": mark_safe(trend_svg(trend, month)),  # noqa: S308  (numbers and month labels only)
        "trend_months": len(trend),
    }


@transaction.atomic
def issue_monthly_summary(*, period: PeriodScore) -> IssuedDocument:
    """Issue the month's summary: its score and standing, how the score is made up, the month's inputs,
    red lines and orders, and the term's trend so far."""
    period = PeriodScore.objects.select_related("contract__palace", "contract__provider", "contract__project").get(
        pk=period.pk)
    contract = period.contract
    return document_issue(
        actor=None, kind=IssuedDocument.Kind.MONTHLY_SUMMARY, subject=period, palace=contract.palace,
        title=f"{SUMMARY_TITLE}（{contract.number} · {month_label(period.month)}）", template=SUMMARY_TEMPLATE,
        context=_summary_context(period))


# --- the assessment report (终期评估报告) -------------------------------------------------------------

REPORT_TEMPLATE = "evaluations/pdf/assessment_report.html"
REPORT_TITLE = "终期评估报告"
ERR_REPORT_NOT_FINAL = _("The assessment report is issued only once the final rating is final.")
RATING_LABELS = {FinalRating.EXCELLENT: "优秀", FinalRating.GOOD: "良好", FinalRating.PASS: "合格",
                 FinalRating.POOR: "差"}
COMPONENT_LABELS = {scoring.PERIOD_SCORES: "月度实时评价平均分", scoring.KPI: "绩效指标完成率",
                    scoring.SATISFACTION: "期末职工满意度", scoring.PANEL: "终期评审小组评分"}
REVIEW_LABELS = {ReviewCriterion.RESULTS: "服务成效（对照合作协议）", ReviewCriterion.REPUTATION: "职工口碑与参与度",
                 ReviewCriterion.MANAGEMENT: "管理、安全与合规"}
KPI_METRIC_LABELS = {KpiMetric.SESSIONS: "服务场次", KpiMetric.PARTICIPANT_VISITS: "服务人次",
                     KpiMetric.SATISFACTION: "职工满意度", KpiMetric.OTHER: "其他指标"}
OUTCOME_TEXT = {
    FinalRating.EXCELLENT: "评价等级为优秀。合作期满后，经本单位决定，可不经重新招募与该机构续约一次。",
    FinalRating.GOOD: "评价等级为良好。合作期满后，经本单位决定，可不经重新招募与该机构续约一次。",
    FinalRating.PASS: "评价等级为合格。合作期满后，本服务项目重新公开招募合作机构，该机构可依规参加。",
    FinalRating.POOR: "评价等级为差，退出合作：本单位解除合作协议，双方办理交接，最后一期合作费用不予支付；"
                      "该机构在规定期限内不得参加本单位组织的招募；本服务项目重新公开招募合作机构。",
}
GROUNDS_SUMMARY_CHARS = 150


def _person(user) -> str:
    if user is None:
        return "系统"
    return user.full_name or user.get_username()


def _when(value) -> str:
    return timezone.localtime(value, DOCUMENT_TZ).strftime("%Y-%m-%d %H:%M") if value else "—"


def _rated(total: Decimal | None, rating: str) -> str:
    return f"{_pts(total)} 分（{RATING_LABELS.get(rating, '—')}）"


def _components(breakdown: FinalBreakdown) -> list[dict]:
    """The breakdown's rows (the page's and the notice's), with the document's Chinese labels."""
    return [{"label": COMPONENT_LABELS[row.key], "value": _pts(row.value), "weight": f"{row.set_weight}",
             "applied": "—" if row.shared_out else _pts(row.weight), "points": row.points_text,
             "shared_out": row.shared_out} for row in breakdown.components]


def _panel(evaluation: FinalEvaluation) -> dict:
    """The panel review: each criterion's maximum and the panel's points, and who sat on it."""
    from .services.final_panel import panel_means

    seats = list(evaluation.panel.select_related("evaluator").order_by("pk"))
    scored = [s for s in seats if s.state == FinalPanelSeat.State.SUBMITTED]
    scores = list(FinalPanelScore.objects.filter(seat__in=scored))
    means = panel_means(scores) if scores else {}
    return {
        "criteria": [{"label": REVIEW_LABELS[c], "max": f"{REVIEW_MAXIMA[c]:.0f}", "points": _pts(means.get(c))}
                     for c in ReviewCriterion.values],
        "members": [_person(s.evaluator) for s in scored],
        "recused": sum(1 for s in seats if s.state == FinalPanelSeat.State.RECUSED),
    }


def _kpi_rows(contract) -> list[dict]:
    """Each KPI target against the full term: delivered, and completion capped at 100%."""
    rows = []
    for row in kpi_progress(contract, today=contract.ends_on + timedelta(days=1)):
        target = row.target
        name = target.label or KPI_METRIC_LABELS.get(target.metric, target.metric)
        if target.category:
            name = f"{name}（{CATEGORY_LABELS.get(target.category, target.category)}类）"
        full = f"{row.full_target.normalize():f} {target.unit}"
        if row.measured and row.full_target:
            share = min(Decimal(1), row.delivered / row.full_target) * scoring.HUNDRED
            rows.append({"name": name, "target": full, "delivered": f"{row.delivered.normalize():f} {target.unit}",
                         "completion": f"{scoring.q(share):.2f}%", "over": row.delivered > row.full_target})
        else:
            rows.append({"name": name, "target": full, "delivered": "—", "completion": "不计入",
                         "note": "以职工评价计，见期末职工满意度" if target.metric == KpiMetric.SATISFACTION
                         else "不由服务活动计量"})
    return rows


def _trend_chart(contract, until: date):
    """The term's monthly scores, from its start to ``until`` (the charts' SVG, in Chinese)."""
    periods = list(contract.period_scores.all())
    points = [replace(p, current=False) for p in trend_points(contract, periods, until)]
    return points, trend_chart(points, title="本合作期月度实时评价得分走势", chart_id="assessment-trend")


def _orders(contract) -> list[dict]:
    rows = []
    for o in contract.rectification_orders.select_related("period").order_by("issued_at", "pk"):
        outcome = ORDER_STATE_LABELS[o.state]
        if o.state == RectificationOrder.State.FAILED and o.failed_on_deadline:
            outcome = "逾期未整改，不合格"
        rows.append({"number": o.number, "reason": f"{month_label(o.period.month)}{ORDER_TRIGGER_SHORT[o.trigger]}",
                     "issued": timezone.localtime(o.issued_at, DOCUMENT_TZ).date(), "deadline": o.deadline,
                     "outcome": outcome, "failed": o.state == RectificationOrder.State.FAILED})
    return rows


def _opener(evaluation: FinalEvaluation) -> str:
    """Who opened the evaluation: the scheduler (30 days before the end), or an administrator."""
    event = (AuditEvent.objects.filter(object_type=FinalEvaluation._meta.label, object_id=str(evaluation.pk),
                                       action="final_evaluation.opened").select_related("actor").first())
    if event is None or event.actor is None:
        return "系统（合作期满前 30 日自动启动）"
    return _person(event.actor)


def _trail(evaluation: FinalEvaluation, appeal: Appeal | None, panel: dict) -> list[dict]:
    """Who did what, and when, from the opening to the final rating."""
    members = "、".join(panel["members"]) or "—"
    rows = [{"step": "启动终期评价", "who": _opener(evaluation), "when": _when(evaluation.opened_at)},
            {"step": "评审小组评分，拟定评价等级", "who": f"评审小组：{members}", "when": _when(evaluation.proposed_at)}]
    if appeal is not None:
        rows.append({"step": "服务机构提出申诉", "who": _person(appeal.lodged_by), "when": _when(appeal.lodged_at)})
        if appeal.decided_at:
            rows.append({"step": "申诉处理", "who": _person(appeal.decided_by), "when": _when(appeal.decided_at)})
    elif evaluation.appeal_deadline:
        rows.append({"step": "申诉期届满，未提出申诉", "who": "—", "when": f"{evaluation.appeal_deadline:%Y-%m-%d}"})
    rows.append({"step": "审定签发", "who": _person(evaluation.signed_off_by), "when": _when(evaluation.signed_off_at)})
    if evaluation.confirmed_at:
        rows.append({"step": "复核确认（评价为差，由另一名管理员确认）", "who": _person(evaluation.confirmed_by),
                     "when": _when(evaluation.confirmed_at)})
    rows.append({"step": "评价结果确定", "who": _person(evaluation.confirmed_by or evaluation.signed_off_by),
                 "when": _when(evaluation.finalised_at)})
    return rows


def _appeal(evaluation: FinalEvaluation, appeal: Appeal | None) -> dict | None:
    if appeal is None:
        return None
    grounds = " ".join(appeal.grounds.split())
    if len(grounds) > GROUNDS_SUMMARY_CHARS:
        grounds = grounds[:GROUNDS_SUMMARY_CHARS].rstrip() + "……（全文存档备查）"
    return {
        "lodged": _when(appeal.lodged_at), "lodged_by": _person(appeal.lodged_by), "grounds": grounds,
        "evidence": appeal.evidence.count(),
        "decision": {Appeal.Decision.UPHELD: "维持原评价", Appeal.Decision.ADJUSTED: "调整得分"}.get(
            appeal.decision, "未处理"),
        "reason": appeal.reason, "decided": _when(appeal.decided_at), "decided_by": _person(appeal.decided_by),
        "before": _rated(evaluation.proposed_total, evaluation.proposed_rating),
        "after": _rated(evaluation.total, evaluation.rating),
    }


def _exit_facts(contract) -> dict | None:
    exit_ = Exit.objects.filter(contract=contract).select_related("exclusion__palace", "withheld_milestone").first()
    if exit_ is None:
        return None
    milestone = exit_.withheld_milestone
    return {"date": timezone.localtime(exit_.created_at, DOCUMENT_TZ).date(), "until": exit_.exclusion.ends_on,
            "palace": exit_.exclusion.palace.name,
            "withheld": f"第 {milestone.position} 期，{_money(milestone.amount)} 元" if milestone else ""}


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _report_context(evaluation: FinalEvaluation) -> dict:
    contract = evaluation.contract
    breakdown = final_breakdown(evaluation)
    appeal = breakdown.appeal
    components = _components(breakdown)
    panel = _panel(evaluation)
    until = min(contract.ends_on, timezone.localtime(evaluation.finalised_at or timezone.now(), DOCUMENT_TZ).date())
    with translation.override("zh-hans"):
        points, chart = _trend_chart(contract, until)
    scored = [p for p in points if p.score is not None]
    lowest = min(scored, key=lambda p: (p.score, p.month)) if scored else None
    red_lines = list(contract.red_lines.order_by("occurred_on", "pk"))
    orders = _orders(contract)
    ratings = Rating.objects.filter(contract=contract, activity__date__range=(contract.starts_on, contract.ends_on))
    return {
        "evaluation": evaluation, "contract": contract, "provider": contract.provider,
        "category": CATEGORY_LABELS.get(contract.project.category, contract.project.category),
        "amount": _money(contract.amount),
        "rating": RATING_LABELS[evaluation.rating], "rating_key": evaluation.rating,
        "total": _pts(breakdown.total), "outcome": OUTCOME_TEXT[evaluation.rating],
        "components": components, "shared_out": [c["label"] for c in components if c["shared_out"]],
        "subtotal": breakdown.subtotal_text, "deduction": _pts(breakdown.deduction),
        "proposed_total": _pts(breakdown.proposed_total), "adjusted": breakdown.adjusted,
        "capped": breakdown.capped, "uncapped": RATING_LABELS[scoring.final_rating(breakdown.total)],
        "failed_orders": breakdown.failed_orders, "deduction_each": f"{scoring.FAILED_ORDER_DEDUCTION:.0f}",
        "red_line_count": breakdown.red_lines, "panel": panel,
        "trend_svg": chart, "months_scored": len(scored), "months": len(points),
        "period_mean": _pts(evaluation.period_scores_value),
        "lowest": {"month": month_label(lowest.month), "score": _pts(lowest.score)} if lowest else None,
        "ratings_count": ratings.count(),
        "kpi": _kpi_rows(contract), "orders": orders,
        "red_lines": [{"date": r.occurred_on, "category": RED_LINE_LABELS.get(r.category, r.category),
                       "description": r.description} for r in red_lines],
        "appeal": _appeal(evaluation, appeal), "appeal_deadline": evaluation.appeal_deadline,
        "trail": _trail(evaluation, appeal, panel), "exit": _exit_facts(contract),
    }


@transaction.atomic
def issue_assessment_report(*, evaluation: FinalEvaluation, actor: User | None = None) -> IssuedDocument:
    """Issue the assessment report (终期评估报告) of a final evaluation, once.

    Called on commit of the sign-off (or the confirmation of a 差) that made the rating final.
    Preconditions: the evaluation is final; ``actor``, if given, administers the palace (None
    when a job issues it). Idempotent: the evaluation row is locked, and if a report was
    issued already that one is returned, so a retried or doubled call never issues two.
    """
    evaluation = (FinalEvaluation.objects.select_for_update(of=("self",))
                  .select_related("contract__palace", "contract__provider", "contract__project",
                                  "signed_off_by", "confirmed_by")
                  .get(pk=evaluation.pk))
    contract = evaluation.contract
    if actor is not None and not (actor.is_superuser or has_role(actor, contract.palace_id, Role.ADMIN)):
        raise NotPermitted
    if evaluation.state != FinalEvaluation.State.FINAL:
        raise DomainError(ERR_REPORT_NOT_FINAL)
    issued = documents_for_subject(evaluation).filter(kind=IssuedDocument.Kind.ASSESSMENT_REPORT).first()
    if issued is not None:
        return issued
    return document_issue(
        actor=actor, kind=IssuedDocument.Kind.ASSESSMENT_REPORT, subject=evaluation, palace=contract.palace,
        title=f"{REPORT_TITLE}（{contract.number} {contract.provider.name}）", template=REPORT_TEMPLATE,
        context=_report_context(evaluation))


# --- the exit notice (退出合作通知书) --------------------------------------------------------------

EXIT_TEMPLATE = "evaluations/pdf/exit_notice.html"
EXIT_TITLE = "退出合作通知书"
HANDOVER_LABELS = {  # (the item, what handing it over means)
    HandoverItem.Kind.PARTICIPANTS: ("服务对象名册及服务记录", "移交参与服务的职工名册、签到表及服务台账（纸质及电子版）"),
    HandoverItem.Kind.KEYS: ("钥匙及门禁卡", "交还服务场地的钥匙、门禁卡"),
    HandoverItem.Kind.EQUIPMENT: ("设备及物资", "交还本单位提供的设备、物资，双方当面清点"),
    HandoverItem.Kind.SESSIONS: ("未完成的服务场次", "列明尚未开展的课程、活动及已报名职工，移交课程表"),
}
MILESTONE_CONDITIONS = {Milestone.Condition.ON_SIGNING: "协议签订后", Milestone.Condition.MID_TERM: "合作期中期，且无未完成的整改",
                        Milestone.Condition.FINAL_RATING: "终期评价合格及以上"}


def _milestones(exit_: Exit) -> list[dict]:
    rows = []
    for m in exit_.contract.milestones.order_by("position"):
        if m.released_at:
            state = f"已支付（{timezone.localtime(m.released_at, DOCUMENT_TZ):%Y-%m-%d}）"
        else:
            state = "不予支付" if m.pk == exit_.withheld_milestone_id else "未支付"
        rows.append({"position": m.position, "condition": MILESTONE_CONDITIONS.get(m.condition, m.condition),
                     "percent": f"{m.percent.normalize():f}", "amount": _money(m.amount), "state": state,
                     "withheld": m.pk == exit_.withheld_milestone_id})
    return rows


def _exit_trail(exit_: Exit) -> list[dict]:
    evaluation, review = exit_.final_evaluation, exit_.termination_review
    if evaluation is not None:
        rows = [{"step": "终期评价审定签发（评价为差）", "who": _person(evaluation.signed_off_by),
                 "when": _when(evaluation.signed_off_at)},
                {"step": "复核确认（由另一名管理员确认）", "who": _person(evaluation.confirmed_by),
                 "when": _when(evaluation.confirmed_at)}]
    else:
        rows = [{"step": f"同一合作期内第 {review.failed_orders.count()} 次整改不合格，启动提前终止审查", "who": "系统",
                 "when": _when(review.opened_at)},
                {"step": "决定提前终止合作", "who": _person(review.decided_by), "when": _when(review.decided_at)}]
    rows.append({"step": "解除合作协议，签发本通知", "who": _person(exit_.created_by), "when": _when(exit_.created_at)})
    return rows


def _exit_context(exit_: Exit) -> dict:
    contract = exit_.contract
    evaluation, review = exit_.final_evaluation, exit_.termination_review
    milestone = exit_.withheld_milestone
    failed = []
    if review is not None:
        failed = [o for o in _orders(contract) if o["failed"]]
    return {
        "exit": exit_, "contract": contract, "provider": contract.provider,
        "category": CATEGORY_LABELS.get(contract.project.category, contract.project.category),
        "amount": _money(contract.amount), "effective": timezone.localtime(exit_.created_at, DOCUMENT_TZ).date(),
        "evaluation": evaluation, "total": _pts(evaluation.total) if evaluation is not None else "",
        "finalised": _when(evaluation.finalised_at) if evaluation is not None else "",
        "review": review, "decided": _when(review.decided_at) if review is not None else "",
        "failed_orders": failed,
        "withheld": ({"position": milestone.position, "amount": _money(milestone.amount),
                      "percent": f"{milestone.percent.normalize():f}"} if milestone is not None else None),
        "milestones": _milestones(exit_),
        "exclusion": exit_.exclusion, "excluding_palace": exit_.exclusion.palace.name,
        "retender": exit_.retender,
        "handover": [{"label": HANDOVER_LABELS[i.kind][0], "what": HANDOVER_LABELS[i.kind][1]}
                     for i in exit_.handover_items.order_by("pk")],
        "trail": _exit_trail(exit_),
    }


@transaction.atomic
def issue_exit_notice(*, exit_: Exit, actor: User | None = None) -> IssuedDocument:
    """Issue the exit notice (退出合作通知书) of an exit, once.

    Called on commit of ``exit_open``. It tells the provider why the partnership ends and from
    when, the withheld payment, the exclusion and until when, the handover to do and the
    re-tender. Idempotent like the assessment report: the exit row is locked, and a notice
    already issued is returned, so a retried or doubled call never issues two.
    """
    exit_ = (Exit.objects.select_for_update(of=("self",))
             .select_related("contract__palace", "contract__provider", "contract__project",
                             "final_evaluation__signed_off_by", "final_evaluation__confirmed_by",
                             "termination_review__decided_by", "exclusion__palace", "withheld_milestone",
                             "retender", "created_by")
             .get(pk=exit_.pk))
    contract = exit_.contract
    if actor is not None and not (actor.is_superuser or has_role(actor, contract.palace_id, Role.ADMIN)):
        raise NotPermitted
    issued = documents_for_subject(exit_).filter(kind=IssuedDocument.Kind.EXIT_NOTICE).first()
    if issued is not None:
        return issued
    return document_issue(
        actor=actor, kind=IssuedDocument.Kind.EXIT_NOTICE, subject=exit_, palace=contract.palace,
        title=f"{EXIT_TITLE}（{contract.number} {contract.provider.name}）", template=EXIT_TEMPLATE,
        context=_exit_context(exit_))
