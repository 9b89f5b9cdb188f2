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
from evaluations.exit.history import track_records
from evaluations.exit.models import Exit
from evaluations.exit.permissions import can_view_exit, can_view_provider_history
from procurement.models import PanelMember, Provider
from procurement.services.recruitment import valid_applications


def contract_exit_section(request, contract: Contract) -> PageSection | None:
    """Only for a terminated contract that exited; for whoever may read the contract."""
    if contract.state != Contract.State.TERMINATED:
        return None
    exit_ = (
        Exit.objects.filter(contract=contract)
        .select_related("exclusion", "withheld_milestone", "retender", "final_evaluation", "termination_review")
        .prefetch_related("handover_items")
        .first()
    )
    if exit_ is None or not can_view_exit(request.user, exit_):
        return None
    items = list(exit_.handover_items.all())
    confirmations = sum((i.provider_confirmed_at is not None) + (i.palace_confirmed_at is not None) for i in items)
    return PageSection(
        title=_("Exit (退出合作)"),
        template="evaluations/exit/section_contract.html",
        order=5,
        context={
            "exit": exit_,
            "confirmations": confirmations,
            "confirmations_needed": 2 * len(items),
            "notice": documents_for_subject(exit_).filter(kind=IssuedDocument.Kind.EXIT_NOTICE).first(),
        },
    )


register_page_section("contracts.contract_detail", contract_exit_section)
register_subject_policy(Exit, can_view_exit)


TEMPLATE = "evaluations/history/section_track_record.html"


def provider_track_record_section(request, provider: Provider) -> PageSection | None:
    if not can_view_provider_history(request.user, provider):
        return None
    record = track_records([provider])[provider.pk]
    return PageSection(title=_("Track record"), template=TEMPLATE, order=30, context={"records": [record]})


def panel_applicants_section(request, member: PanelMember) -> PageSection | None:
    """For the evaluator in the seat, from their declaration of no conflict on."""
    if member.evaluator_id != request.user.pk or member.state not in (
        PanelMember.State.DECLARED,
        PanelMember.State.SUBMITTED,
        PanelMember.State.JUSTIFYING,
    ):
        return None
    providers = [a.provider for a in valid_applications(member.recruitment)]
    if not providers:
        return None
    records = track_records(providers)
    return PageSection(
        title=_("Applicants' track records"),
        template=TEMPLATE,
        order=30,
        context={"records": [records[p.pk] for p in providers], "panel": True},
    )


register_page_section("procurement.provider_detail", provider_track_record_section)
register_page_section("procurement.organisation", provider_track_record_section)
register_page_section("procurement.panel_seat", panel_applicants_section)
