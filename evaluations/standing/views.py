"""The standing of contracts: the administrator's board, the provider's scores, and one contract's score.

Thin views over ``selectors_dashboards``. The board is the palace staff's (administrators,
evaluators and auditors read it alike; nothing on it changes anything); the provider sees
only its own contracts; a contract's score page is for whoever may see the contract.
"""

from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contracts.models import Contract
from contracts.permissions import can_view_contract, is_party
from core.permissions import is_evaluator_anywhere
from core.viewmixins import deny_or_login
from evaluations.realtime.charts import sparkline, standing_word, trend_chart
from evaluations.realtime.permissions import can_assign_inspection, can_record_red_line
from evaluations.standing import selectors as selectors
from evaluations.standing.selectors import inbox_for
from procurement.permissions import provider_of

SORT_LABELS = (
    ("standing", gettext_lazy("standing, worst first")),
    ("-score", gettext_lazy("score, highest first")),
    ("score", gettext_lazy("score, lowest first")),
    ("orders", gettext_lazy("open orders first")),
    ("red_lines", gettext_lazy("red lines first")),
    ("contract", gettext_lazy("contract number")),
    ("provider", gettext_lazy("provider")),
)


def _with_charts(rows):
    for row in rows:
        row.spark = sparkline(row.trend)
        row.standing_word = standing_word(row.standing)
    return rows


def dashboard(request):
    user = request.user
    if not user.is_authenticated or selectors.staff_palace_ids(user) == frozenset():
        return deny_or_login(request)
    board = selectors.board(user, timezone.localdate())
    standing = request.GET.get("standing", "")
    sort = request.GET.get("sort", "standing")
    sort = sort if sort in selectors.SORTS else "standing"
    rows = [r for r in board.rows if not standing or r.standing == standing]
    filters = [
        {"value": s, "word": standing_word(s), "count": board.counts[s], "active": s == standing}
        for s in selectors.STANDINGS
    ]
    ctx = {
        "board": board,
        "rows": _with_charts(selectors.sort_rows(rows, sort)),
        "standing": standing,
        "sort": sort,
        "sorts": [(v, str(label)) for v, label in SORT_LABELS],
        "filters": filters,
        "horizon_days": selectors.DEADLINE_HORIZON_WORKING_DAYS,
        "many_palaces": len({r.contract.palace_id for r in board.rows}) > 1,
        "page_title": _("Standing of contracts"),
    }
    return TemplateResponse(request, "evaluations/dashboards/dashboard.html", ctx)


def provider_scores(request):
    user = request.user
    if not user.is_authenticated:
        return deny_or_login(request)
    provider = provider_of(user)
    if provider is None:
        return deny_or_login(request)
    scores = selectors.provider_scores(provider, timezone.localdate())
    ctx = {"scores": scores, "rows": _with_charts(scores.rows), "provider": provider, "page_title": _("My scores")}
    return TemplateResponse(request, "evaluations/dashboards/provider_scores.html", ctx)


def score_context(user, contract: Contract, today=None, *, in_section: bool = False) -> dict:
    """What the score page and the contract page's section show: the month, its composition, the trend."""
    score = selectors.contract_score(contract, today, with_red_lines=not in_section)
    chart = trend_chart(
        score.trend,
        title=_("Monthly score of %(contract)s, %(project)s")
        % {"contract": contract.number, "project": contract.project.name},
        chart_id=f"trend-{contract.pk}",
    )
    staff = not is_party(user, contract)
    return {
        "score": score,
        "contract": contract,
        "chart": chart,
        "standing_word": standing_word(score.breakdown.standing if score.breakdown else "none"),
        "staff": staff,
        "can_assign": can_assign_inspection(user, contract),
        "can_record_red_line": can_record_red_line(user, contract),
    }


def contract_score(request, pk: int):
    if not request.user.is_authenticated:
        return deny_or_login(request)
    contract = get_object_or_404(Contract.objects.select_related("palace", "provider", "project"), pk=pk)
    if not can_view_contract(request.user, contract):
        return deny_or_login(request)
    ctx = score_context(request.user, contract) | {
        "page_title": _("Score of %(contract)s") % {"contract": contract.number}
    }
    return TemplateResponse(request, "evaluations/dashboards/contract_score.html", ctx)


def inbox(request):
    user = request.user
    if not user.is_authenticated or not is_evaluator_anywhere(user):
        return deny_or_login(request)
    return TemplateResponse(
        request,
        "evaluations/inspections/inbox.html",
        {
            "inbox": inbox_for(user, timezone.localdate()),
            "page_title": _("My inspections"),
        },
    )
