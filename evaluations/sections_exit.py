"""The exit's section on the contract page (core.registry): a terminated contract says why, and links
to the exit page with its exclusion, withheld payment, re-tender and handover.

Imported once at start-up (evaluations/apps.py).
"""

from django.utils.translation import gettext_lazy as _

from contracts.models import Contract
from core.registry import PageSection, register_page_section

from .models import Exit
from .permissions import can_view_exit


def contract_exit_section(request, contract: Contract) -> PageSection | None:
    """Only for a terminated contract that exited; for whoever may read the contract."""
    if contract.state != Contract.State.TERMINATED:
        return None
    exit_ = (Exit.objects.filter(contract=contract)
             .select_related("exclusion", "withheld_milestone", "retender", "final_evaluation", "termination_review")
             .prefetch_related("handover_items").first())
    if exit_ is None or not can_view_exit(request.user, exit_):
        return None
    items = list(exit_.handover_items.all())
    confirmations = sum((i.provider_confirmed_at is not None) + (i.palace_confirmed_at is not None) for i in items)
    return PageSection(title=_("Exit (退出合作)"), template="evaluations/exit/section_contract.html", order=5,
                       context={"exit": exit_, "confirmations": confirmations,
                                "confirmations_needed": 2 * len(items)})


register_page_section("contracts.contract_detail", contract_exit_section)
