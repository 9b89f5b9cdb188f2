"""Real-time evaluation's contributions to other apps' pages: the contract page's score section, home panels.

Contracts cannot import evaluations, so the contract page asks ``core.registry`` for its
sections and this adds the current month's score, its composition and the term's trend.
The home panels are cheap: a few aggregate queries each.
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract
from contracts.permissions import can_view_contract
from core.models import Role
from core.permissions import palace_ids
from core.registry import HomePanel, PageSection, register_home_panels, register_page_section
from core.workdays import WorkCalendar
from evaluations.rectification.models import RectificationOrder
from evaluations.standing import selectors as selectors
from evaluations.standing.views import score_context
from procurement.permissions import provider_of


def contract_score_section(request, contract: Contract) -> PageSection | None:
    """The score section of the contract page, once the contract has come into force."""
    if contract.state == Contract.State.DRAFT or not can_view_contract(request.user, contract):
        return None
    return PageSection(
        title=_("Real-time score"),
        template="evaluations/dashboards/section_score.html",
        context=score_context(request.user, contract, in_section=True),
        order=20,
    )


register_page_section("contracts.contract_detail", contract_score_section)


@register_home_panels
def evaluation_panels(user) -> list[HomePanel]:
    if not user.is_authenticated:
        return []
    today = timezone.localdate()
    own = provider_of(user)
    if own is not None:
        return _provider_panels(own, today)
    panels = []
    admin_palaces = None if user.is_superuser else palace_ids(user, Role.ADMIN)
    if admin_palaces is None or admin_palaces:
        horizon = selectors.deadline_horizon(today)
        panels.append(
            HomePanel(
                _("Standing of contracts"),
                "evaluations/dashboards/panel_admin.html",
                {
                    "counts": selectors.standing_counts(admin_palaces, today),
                    "orders": selectors.open_order_counts(admin_palaces, today, horizon),
                    "reviews": selectors.pending_reviews(admin_palaces),
                    "horizon": horizon,
                },
                order=8,
            )
        )
    if palace_ids(user, Role.EVALUATOR):
        panels.append(
            HomePanel(
                _("My inspections"),
                "evaluations/dashboards/panel_evaluator.html",
                selectors.evaluator_work(user, today),
                order=7,
            )
        )
    return panels


def _provider_panels(provider, today) -> list[HomePanel]:
    orders = list(
        RectificationOrder.objects.filter(contract__provider=provider, state__in=RectificationOrder.OPEN_STATES)
        .select_related("contract__project")
        .order_by("deadline", "pk")[:6]
    )
    if not orders:
        return []
    calendar = WorkCalendar()
    for o in orders:
        o.overdue = o.deadline < today
        o.working_days_left = calendar.working_days_between(today, o.deadline) if not o.overdue else 0
    return [
        HomePanel(
            _("Rectification orders"),
            "evaluations/dashboards/panel_provider.html",
            {"orders": orders, "today": today},
            order=4,
        )
    ]
