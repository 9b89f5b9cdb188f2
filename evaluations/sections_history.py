"""The provider's track record on procurement's pages (core.registry), each linking to its history page.

* ``procurement.provider_detail``: the palace's staff looking at a provider;
* ``procurement.organisation``: the provider's own organisation page;
* ``procurement.panel_seat``: the evaluator's seat on a recruitment panel, once they declared no
  conflict: every applicant's terms, final ratings, failed orders, red lines and exclusions in
  force, so a provider's history travels with it to every recruitment it applies to (DOMAIN.md §5).

It also says who may download a document about a final evaluation (its assessment report, listed on
the history): whoever may see the evaluation (``can_view_final``); the palace's administrators and
auditors may download any of its documents anyway (core.documents).

Imported once from ``EvaluationsConfig.ready``; importing registers.
"""

from django.utils.translation import gettext_lazy as _

from core.registry import PageSection, register_page_section, register_subject_policy
from procurement.models import PanelMember, Provider
from procurement.services.recruitment import valid_applications

from .models import FinalEvaluation
from .permissions import can_view_final, can_view_provider_history
from .selectors_history import track_records

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
