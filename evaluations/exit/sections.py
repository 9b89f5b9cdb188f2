"""The exit's section on the contract page (core.registry): a terminated contract says why, and links
to the exit page with its exclusion, withheld payment, re-tender and handover, and to the exit notice.
Whoever may read the exit may download its notice (the subject policy below).

Imported once at start-up (evaluations/apps.py).
"""

from django.utils.translation import gettext_lazy as _

from contracts.models import Contract
from core.documents import documents_for_subject
from core.models import IssuedDocument
from core.registry import PageSection, register_page_section, register_subject_policy
from evaluations.exit.models import Exit
from evaluations.exit.permissions import can_view_exit


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
                                "confirmations_needed": 2 * len(items),
                                "notice": documents_for_subject(exit_).filter(
                                    kind=IssuedDocument.Kind.EXIT_NOTICE).first()})


register_page_section("contracts.contract_detail", contract_exit_section)
register_subject_policy(Exit, can_view_exit)
