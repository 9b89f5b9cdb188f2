"""Rectification's contributions to other apps: the contract page's section, and who may download
the rectification notices and monthly summaries.

Imported once at start-up (evaluations/apps.py).
"""

from django.utils.translation import gettext_lazy as _

from contracts.models import Contract
from contracts.permissions import can_view_contract, is_party
from core.permissions import has_role
from core.registry import PageSection, register_page_section, register_subject_policy
from evaluations.realtime.models import PeriodScore
from evaluations.rectification import selectors as selectors
from evaluations.rectification.models import RectificationOrder
from evaluations.rectification.permissions import can_view_order
from evaluations.rectification.tables import reason_text


def contract_rectification_section(request, contract: Contract) -> PageSection | None:
    """The contract's rectification orders, its termination reviews and its monthly summaries (PDF)."""
    user = request.user
    staff = user.is_superuser or has_role(user, contract.palace_id)
    if not (staff or is_party(user, contract)) or contract.state == Contract.State.DRAFT:
        return None
    orders = selectors.contract_orders(contract)
    for order in orders:
        order.reason = reason_text(order)
    # A review follows a failed order: no failed order, no query for reviews.
    failed = any(o.state == RectificationOrder.State.FAILED for o in orders)
    reviews = [r for r in selectors.contract_reviews(contract) if staff or r.decision] if failed else []
    summaries = selectors.monthly_summaries(contract)
    if not (orders or reviews or summaries):
        return None
    return PageSection(
        title=_("Rectification and monthly summaries"),
        template="evaluations/rectification/section_contract.html",
        order=45,
        context={"contract": contract, "orders": orders, "reviews": reviews, "summaries": summaries},
    )


def can_view_period(user, period: PeriodScore) -> bool:
    return can_view_contract(user, period.contract)


def _can_view_order(user, order: RectificationOrder) -> bool:
    return can_view_order(user, order)


register_page_section("contracts.contract_detail", contract_rectification_section)
register_subject_policy(RectificationOrder, _can_view_order)
register_subject_policy(PeriodScore, can_view_period)
