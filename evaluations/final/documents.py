"""The final assessment report (终期评估报告), issued once the rating is final.

Issued documents are always Chinese and immutable, so their wording is written here in Chinese.
"""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from contracts.selectors import kpi_progress
from core.documents import DOCUMENT_TZ, document_issue, documents_for_subject
from core.errors import DomainError, NotPermitted
from core.models import AuditEvent, IssuedDocument, Role, User
from core.permissions import has_role
from evaluations.final import scoring
from evaluations.final.models import (
    REVIEW_MAXIMA,
    Appeal,
    FinalEvaluation,
    FinalPanelScore,
    FinalPanelSeat,
    FinalRating,
    ReviewCriterion,
)
from evaluations.final.scoring import panel_means
from evaluations.final.selectors import FinalBreakdown, final_breakdown
from evaluations.realtime.charts import trend_chart
from evaluations.realtime.models import Rating
from evaluations.rectification.models import RectificationOrder
from evaluations.standing.documents import (
    ORDER_STATE_LABELS,
    ORDER_TRIGGER_SHORT,
    RED_LINE_LABELS,
    _pts,
    month_label,
)
from evaluations.standing.selectors import trend_points
from procurement.documents import CATEGORY_LABELS
from procurement.models import KpiMetric

REPORT_TEMPLATE = "evaluations/pdf/assessment_report.html"


REPORT_TITLE = "终期评估报告"


ERR_REPORT_NOT_FINAL = _("The assessment report is issued only once the final rating is final.")


RATING_LABELS = {
    FinalRating.EXCELLENT: "优秀",
    FinalRating.GOOD: "良好",
    FinalRating.PASS: "合格",
    FinalRating.POOR: "差",
}


COMPONENT_LABELS = {
    scoring.PERIOD_SCORES: "月度实时评价平均分",
    scoring.KPI: "绩效指标完成率",
    scoring.SATISFACTION: "期末职工满意度",
    scoring.PANEL: "终期评审小组评分",
}


REVIEW_LABELS = {
    ReviewCriterion.RESULTS: "服务成效（对照合作协议）",
    ReviewCriterion.REPUTATION: "职工口碑与参与度",
    ReviewCriterion.MANAGEMENT: "管理、安全与合规",
}


KPI_METRIC_LABELS = {
    KpiMetric.SESSIONS: "服务场次",
    KpiMetric.PARTICIPANT_VISITS: "服务人次",
    KpiMetric.SATISFACTION: "职工满意度",
    KpiMetric.OTHER: "其他指标",
}


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
    return [
        {
            "label": COMPONENT_LABELS[row.key],
            "value": _pts(row.value),
            "weight": f"{row.set_weight}",
            "applied": "—" if row.shared_out else _pts(row.weight),
            "points": row.points_text,
            "shared_out": row.shared_out,
        }
        for row in breakdown.components
    ]


def _panel(evaluation: FinalEvaluation) -> dict:
    """The panel review: each criterion's maximum and the panel's points, and who sat on it."""
    seats = list(evaluation.panel.select_related("evaluator").order_by("pk"))
    scored = [s for s in seats if s.state == FinalPanelSeat.State.SUBMITTED]
    scores = list(FinalPanelScore.objects.filter(seat__in=scored))
    means = panel_means(scores) if scores else {}
    return {
        "criteria": [
            {"label": REVIEW_LABELS[c], "max": f"{REVIEW_MAXIMA[c]:.0f}", "points": _pts(means.get(c))}
            for c in ReviewCriterion.values
        ],
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
            rows.append(
                {
                    "name": name,
                    "target": full,
                    "delivered": f"{row.delivered.normalize():f} {target.unit}",
                    "completion": f"{scoring.q(share):.2f}%",
                    "over": row.delivered > row.full_target,
                }
            )
        else:
            rows.append(
                {
                    "name": name,
                    "target": full,
                    "delivered": "—",
                    "completion": "不计入",
                    "note": "以职工评价计，见期末职工满意度"
                    if target.metric == KpiMetric.SATISFACTION
                    else "不由服务活动计量",
                }
            )
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
        rows.append(
            {
                "number": o.number,
                "reason": f"{month_label(o.period.month)}{ORDER_TRIGGER_SHORT[o.trigger]}",
                "issued": timezone.localtime(o.issued_at, DOCUMENT_TZ).date(),
                "deadline": o.deadline,
                "outcome": outcome,
                "failed": o.state == RectificationOrder.State.FAILED,
            }
        )
    return rows


def _opener(evaluation: FinalEvaluation) -> str:
    """Who opened the evaluation: the scheduler (30 days before the end), or an administrator."""
    event = (
        AuditEvent.objects.filter(
            object_type=FinalEvaluation._meta.label, object_id=str(evaluation.pk), action="final_evaluation.opened"
        )
        .select_related("actor")
        .first()
    )
    if event is None or event.actor is None:
        return "系统（合作期满前 30 日自动启动）"
    return _person(event.actor)


def _trail(evaluation: FinalEvaluation, appeal: Appeal | None, panel: dict) -> list[dict]:
    """Who did what, and when, from the opening to the final rating."""
    members = "、".join(panel["members"]) or "—"
    rows = [
        {"step": "启动终期评价", "who": _opener(evaluation), "when": _when(evaluation.opened_at)},
        {"step": "评审小组评分，拟定评价等级", "who": f"评审小组：{members}", "when": _when(evaluation.proposed_at)},
    ]
    if appeal is not None:
        rows.append({"step": "服务机构提出申诉", "who": _person(appeal.lodged_by), "when": _when(appeal.lodged_at)})
        if appeal.decided_at:
            rows.append({"step": "申诉处理", "who": _person(appeal.decided_by), "when": _when(appeal.decided_at)})
    elif evaluation.appeal_deadline:
        rows.append({"step": "申诉期届满，未提出申诉", "who": "—", "when": f"{evaluation.appeal_deadline:%Y-%m-%d}"})
    rows.append({"step": "审定签发", "who": _person(evaluation.signed_off_by), "when": _when(evaluation.signed_off_at)})
    if evaluation.confirmed_at:
        rows.append(
            {
                "step": "复核确认（评价为差，由另一名管理员确认）",
                "who": _person(evaluation.confirmed_by),
                "when": _when(evaluation.confirmed_at),
            }
        )
    rows.append(
        {
            "step": "评价结果确定",
            "who": _person(evaluation.confirmed_by or evaluation.signed_off_by),
            "when": _when(evaluation.finalised_at),
        }
    )
    return rows


def _appeal(evaluation: FinalEvaluation, appeal: Appeal | None) -> dict | None:
    if appeal is None:
        return None
    grounds = " ".join(appeal.grounds.split())
    if len(grounds) > GROUNDS_SUMMARY_CHARS:
        grounds = grounds[:GROUNDS_SUMMARY_CHARS].rstrip() + "……（全文存档备查）"
    return {
        "lodged": _when(appeal.lodged_at),
        "lodged_by": _person(appeal.lodged_by),
        "grounds": grounds,
        "evidence": appeal.evidence.count(),
        "decision": {Appeal.Decision.UPHELD: "维持原评价", Appeal.Decision.ADJUSTED: "调整得分"}.get(
            appeal.decision, "未处理"
        ),
        "reason": appeal.reason,
        "decided": _when(appeal.decided_at),
        "decided_by": _person(appeal.decided_by),
        "before": _rated(evaluation.proposed_total, evaluation.proposed_rating),
        "after": _rated(evaluation.total, evaluation.rating),
    }


def _exit_facts(contract) -> dict | None:
    # The exit package sits above this one (it acts on a final rating), so its record is reached
    # through the contract's reverse relation rather than by importing its model.
    try:
        exit_ = contract.exit
    except ObjectDoesNotExist:
        return None
    milestone = exit_.withheld_milestone
    return {
        "date": timezone.localtime(exit_.created_at, DOCUMENT_TZ).date(),
        "until": exit_.exclusion.ends_on,
        "palace": exit_.exclusion.palace.name,
        "withheld": f"第 {milestone.position} 期，{_money(milestone.amount)} 元" if milestone else "",
    }


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
        "evaluation": evaluation,
        "contract": contract,
        "provider": contract.provider,
        "category": CATEGORY_LABELS.get(contract.project.category, contract.project.category),
        "amount": _money(contract.amount),
        "rating": RATING_LABELS[evaluation.rating],
        "rating_key": evaluation.rating,
        "total": _pts(breakdown.total),
        "outcome": OUTCOME_TEXT[evaluation.rating],
        "components": components,
        "shared_out": [c["label"] for c in components if c["shared_out"]],
        "subtotal": breakdown.subtotal_text,
        "deduction": _pts(breakdown.deduction),
        "proposed_total": _pts(breakdown.proposed_total),
        "adjusted": breakdown.adjusted,
        "capped": breakdown.capped,
        "uncapped": RATING_LABELS[scoring.final_rating(breakdown.total)],
        "failed_orders": breakdown.failed_orders,
        "deduction_each": f"{scoring.FAILED_ORDER_DEDUCTION:.0f}",
        "red_line_count": breakdown.red_lines,
        "panel": panel,
        "trend_svg": chart,
        "months_scored": len(scored),
        "months": len(points),
        "period_mean": _pts(evaluation.period_scores_value),
        "lowest": {"month": month_label(lowest.month), "score": _pts(lowest.score)} if lowest else None,
        "ratings_count": ratings.count(),
        "kpi": _kpi_rows(contract),
        "orders": orders,
        "red_lines": [
            {
                "date": r.occurred_on,
                "category": RED_LINE_LABELS.get(r.category, r.category),
                "description": r.description,
            }
            for r in red_lines
        ],
        "appeal": _appeal(evaluation, appeal),
        "appeal_deadline": evaluation.appeal_deadline,
        "trail": _trail(evaluation, appeal, panel),
        "exit": _exit_facts(contract),
    }


@transaction.atomic
def issue_assessment_report(*, evaluation: FinalEvaluation, actor: User | None = None) -> IssuedDocument:
    """Issue the assessment report (终期评估报告) of a final evaluation, once.

    Called on commit of the sign-off (or the confirmation of a 差) that made the rating final.
    Preconditions: the evaluation is final; ``actor``, if given, administers the palace (None
    when a job issues it). Idempotent: the evaluation row is locked, and if a report was
    issued already that one is returned, so a retried or doubled call never issues two.
    """
    evaluation = (
        FinalEvaluation.objects.select_for_update(of=("self",))
        .select_related("contract__palace", "contract__provider", "contract__project", "signed_off_by", "confirmed_by")
        .get(pk=evaluation.pk)
    )
    contract = evaluation.contract
    if actor is not None and not (actor.is_superuser or has_role(actor, contract.palace_id, Role.ADMIN)):
        raise NotPermitted
    if evaluation.state != FinalEvaluation.State.FINAL:
        raise DomainError(ERR_REPORT_NOT_FINAL)
    issued = documents_for_subject(evaluation).filter(kind=IssuedDocument.Kind.ASSESSMENT_REPORT).first()
    if issued is not None:
        return issued
    return document_issue(
        actor=actor,
        kind=IssuedDocument.Kind.ASSESSMENT_REPORT,
        subject=evaluation,
        palace=contract.palace,
        title=f"{REPORT_TITLE}（{contract.number} {contract.provider.name}）",
        template=REPORT_TEMPLATE,
        context=_report_context(evaluation),
    )
