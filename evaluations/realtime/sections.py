"""Inspections' contributions to other apps' pages: the contract page's section, and who may download evidence.

Imported once at start-up (evaluations/apps.py).
"""

from datetime import timedelta

from django.db.models import Avg, Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.models import Activity, Contract, ServiceReport
from contracts.permissions import can_view_report, is_party
from core.models import Role
from core.permissions import has_role
from core.registry import (
    HomePanel,
    PageSection,
    register_file_policy,
    register_home_panels,
    register_page_section,
)
from evaluations.realtime import selectors
from evaluations.realtime.models import Evidence, Inspection, Rating, RatingLink
from evaluations.realtime.permissions import can_assign_inspection, can_record_red_line
from evaluations.realtime.services.ratings import RATING_WINDOW_DAYS, rating_problem
from procurement.permissions import provider_of

# What services/inspections.py stores evidence under (inspections, red lines and rectification responses).
EVIDENCE_PURPOSE = "evaluation_evidence"


def contract_inspections_section(request, contract: Contract) -> PageSection | None:
    """The contract's inspections and red lines, with "Assign an inspection" and "Record a red line" for those allowed.

    The palace's staff see every inspection; the provider only the submitted ones (a spot
    check is unannounced), and every red line, since each one issued it an order.
    """
    user = request.user
    staff = user.is_superuser or has_role(user, contract.palace_id)
    if not (staff or is_party(user, contract)) or contract.state == Contract.State.DRAFT:
        return None
    return PageSection(
        title=_("Inspections and red lines"),
        template="evaluations/inspections/section_contract.html",
        order=40,
        context={
            "contract": contract,
            "staff": staff,
            "inspections": selectors.contract_inspections(contract, user),
            "red_lines": selectors.contract_red_lines(contract),
            "can_assign": can_assign_inspection(user, contract),
            "can_record_red_line": can_record_red_line(user, contract),
        },
    )


def evidence_file_policy(user, stored_file) -> bool | None:
    """Evidence: the palace's staff; the provider for red lines, rectification responses and submitted inspections."""
    if stored_file.purpose != EVIDENCE_PURPOSE:
        return None
    evidence = (
        Evidence.objects.select_related(
            "inspection__contract", "red_line__contract", "finding__order__contract", "appeal__evaluation__contract"
        )
        .filter(file=stored_file)
        .first()
    )
    if evidence is None:
        return None
    if evidence.inspection is not None:
        contract = evidence.inspection.contract
    elif evidence.red_line is not None:
        contract = evidence.red_line.contract
    elif evidence.finding is not None:
        contract = evidence.finding.order.contract
    else:  # the evidence of an appeal against a final rating
        contract = evidence.appeal.evaluation.contract
    if not user.is_authenticated:
        return False
    if evidence.appeal_id is not None and not (user.is_superuser or is_party(user, contract)):
        # An appeal is the administrators' and auditors' to read, not every evaluator's.
        return has_role(user, contract.palace_id, Role.ADMIN, Role.AUDITOR)
    if user.is_superuser or has_role(user, contract.palace_id):
        return True
    if not is_party(user, contract):
        return False
    return evidence.inspection is None or evidence.inspection.state == Inspection.State.SUBMITTED


register_page_section("contracts.contract_detail", contract_inspections_section)
register_file_policy(evidence_file_policy)


RECENT_COMMENTS = 20
PANEL_ACTIVITIES = 6


def report_ratings_section(request, report: ServiceReport) -> PageSection | None:
    """The palace's staff and the provider's users see it; nothing when the report has no activities."""
    if not can_view_report(request.user, report):
        return None
    activities = list(
        report.activities.select_related("contract")
        .annotate(ratings_count=Count("ratings"), ratings_avg=Avg("ratings__stars"))
        .order_by("date", "pk")
    )
    if not activities:
        return None
    now = timezone.now()
    for activity in activities:
        # The service's own predicate, on an unsaved link: no link is created just to show the page.
        activity.rating_closed_why = rating_problem(RatingLink(activity=activity), now)
    comments = list(
        Rating.objects.filter(activity__report=report)
        .exclude(comment="")
        .select_related("activity")
        .order_by("-created_at")[:RECENT_COMMENTS]
    )
    return PageSection(
        title=_("Worker ratings"),
        template="evaluations/rating/report_section.html",
        order=40,
        context={
            "activities": activities,
            "comments": comments,
            "window_days": RATING_WINDOW_DAYS,
            "rated": sum(a.ratings_count for a in activities),
        },
    )


register_page_section("contracts.report_detail", report_ratings_section)


def provider_rating_panels(user) -> list[HomePanel]:
    """A provider's activities of the last 14 days (one query); nothing for staff, who use the report page."""
    if not user.is_authenticated:
        return []
    provider = provider_of(user)
    if provider is None:
        return []
    today = timezone.localdate()
    activities = list(
        Activity.objects.filter(
            contract__provider=provider,
            contract__state__in=Contract.IN_FORCE,
            date__range=(today - timedelta(days=RATING_WINDOW_DAYS), today),
        )
        .annotate(ratings_count=Count("ratings"))
        .order_by("-date", "-pk")[:PANEL_ACTIVITIES]
    )
    if not activities:
        return []
    return [
        HomePanel(
            _("Open for worker ratings"),
            "evaluations/rating/provider_panel.html",
            {"activities": activities, "window_days": RATING_WINDOW_DAYS},
            order=8,
        )
    ]


register_home_panels(provider_rating_panels)
