"""The final evaluation's section on the contract page (core.registry): where it stands, the rating once
the viewer may see it, and the link to the evaluation's page.

Imported once at start-up (evaluations/apps.py).
"""

from django.utils.translation import gettext_lazy as _

from contracts.models import Contract
from core.registry import PageSection, register_page_section, register_subject_policy
from evaluations.final.models import FinalEvaluation
from evaluations.final.permissions import can_view_final
from evaluations.final.selectors import final_standing, shows_points
from evaluations.final.tables import rating_chip


def contract_final_section(request, contract: Contract) -> PageSection | None:
    """For a contract whose final evaluation is open, and a viewer who may read it."""
    evaluation = FinalEvaluation.objects.filter(contract=contract).select_related("appeal").first()
    if evaluation is None or not can_view_final(request.user, evaluation):
        return None
    evaluation.contract = contract
    total, rating = (
        final_standing(evaluation, getattr(evaluation, "appeal", None))
        if shows_points(request.user, evaluation)
        else (None, "")
    )
    return PageSection(
        title=_("Final evaluation"),
        template="evaluations/final/section_contract.html",
        order=6,
        context={
            "evaluation": evaluation,
            "total": total,
            "rating": rating,
            "rating_chip": rating_chip(rating) if rating else "",
        },
    )


register_page_section("contracts.contract_detail", contract_final_section)


register_subject_policy(FinalEvaluation, can_view_final)
