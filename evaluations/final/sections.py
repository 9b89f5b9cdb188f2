"""The final evaluation's section on the contract page (core.registry): where it stands, the rating once
the viewer may see it, and the link to the evaluation's page.

Imported once at start-up (evaluations/apps.py).
"""

from django.utils.translation import gettext_lazy as _

from contracts.models import Contract
from core.registry import PageSection, register_page_section, register_subject_policy
from evaluations.final.history import track_records
from evaluations.final.models import FinalEvaluation
from evaluations.final.permissions import can_view_final, can_view_provider_history
from evaluations.final.selectors import final_standing, shows_points
from evaluations.final.tables import rating_chip
from procurement.models import PanelMember, Provider
from procurement.services import valid_applications


def contract_final_section(request, contract: Contract) -> PageSection | None:
    """For a contract whose final evaluation is open, and a viewer who may read it."""
    evaluation = FinalEvaluation.objects.filter(contract=contract).select_related("appeal").first()
    if evaluation is None or not can_view_final(request.user, evaluation):
        return None
    evaluation.contract = contract
    total, rating = final_standing(evaluation, getattr(evaluation, "appeal", None)) if shows_points(
        request.user, evaluation) else (None, "")
    return PageSection(title=_("Final evaluation"), template="evaluations/final/section_contract.html", order=6,
                       context={"evaluation": evaluation, "total": total, "rating": rating,
                                "rating_chip": rating_chip(rating) if rating else ""})


register_page_section("contracts.contract_detail", contract_final_section)




TEMPLATE = "evaluations/history/section_track_record.html"


def provider_track_record_section(request, provider: Provider) -> PageSection | None:
    if not can_view_provider_history(request.user, provider):
        return None
    record = track_records([provider])[provider.pk]
    return PageSection(title=_("Track record"), template=TEMPLATE, order=30, context={"records": [record]})


def panel_applicants_section(request, member: PanelMember) -> PageSection | None:
    """For the evaluator in the seat, from their declaration of no conflict on."""
    if member.evaluator_id != request.user.pk or member.state not in (
            PanelMember.State.DECLARED, PanelMember.State.SUBMITTED, PanelMember.State.JUSTIFYING):
        return None
    providers = [a.provider for a in valid_applications(member.recruitment)]
    if not providers:
        return None
    records = track_records(providers)
    return PageSection(title=_("Applicants' track records"), template=TEMPLATE, order=30,
                       context={"records": [records[p.pk] for p in providers], "panel": True})


register_page_section("procurement.provider_detail", provider_track_record_section)
register_page_section("procurement.organisation", provider_track_record_section)
register_page_section("procurement.panel_seat", panel_applicants_section)
register_subject_policy(FinalEvaluation, can_view_final)
