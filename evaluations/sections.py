"""Evaluations' sections on other apps' pages and on the home page (core.registry).

* ``contracts.report_detail``: the report's activities with their worker ratings (count
  and average), whether each still takes ratings, and the QR code and poster to print.
* home, for a provider's users: its activities that are open for ratings now, with the
  poster to print (the day of the activity is when it is needed).

Imported once from ``EvaluationsConfig.ready``; importing registers.
"""

from datetime import timedelta

from django.db.models import Avg, Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.models import Activity, Contract, ServiceReport
from contracts.permissions import can_view_report
from core.registry import HomePanel, PageSection, register_home_panels, register_page_section
from procurement.permissions import provider_of

from .models import Rating, RatingLink
from .services.ratings import RATING_WINDOW_DAYS, rating_problem

RECENT_COMMENTS = 20
PANEL_ACTIVITIES = 6


def report_ratings_section(request, report: ServiceReport) -> PageSection | None:
    """The palace's staff and the provider's users see it; nothing when the report has no activities."""
    if not can_view_report(request.user, report):
        return None
    activities = list(report.activities.select_related("contract").annotate(
        ratings_count=Count("ratings"), ratings_avg=Avg("ratings__stars")).order_by("date", "pk"))
    if not activities:
        return None
    now = timezone.now()
    for activity in activities:
        # The service's own predicate, on an unsaved link: no link is created just to show the page.
        activity.rating_closed_why = rating_problem(RatingLink(activity=activity), now)
    comments = list(Rating.objects.filter(activity__report=report).exclude(comment="")
                    .select_related("activity").order_by("-created_at")[:RECENT_COMMENTS])
    return PageSection(title=_("Worker ratings"), template="evaluations/rating/report_section.html", order=40,
                       context={"activities": activities, "comments": comments, "window_days": RATING_WINDOW_DAYS,
                                "rated": sum(a.ratings_count for a in activities)})


register_page_section("contracts.report_detail", report_ratings_section)


def provider_rating_panels(user) -> list[HomePanel]:
    """A provider's activities of the last 14 days (one query); nothing for staff, who use the report page."""
    if not user.is_authenticated:
        return []
    provider = provider_of(user)
    if provider is None:
        return []
    today = timezone.localdate()
    activities = list(Activity.objects.filter(
        contract__provider=provider, contract__state__in=Contract.IN_FORCE,
        date__range=(today - timedelta(days=RATING_WINDOW_DAYS), today),
    ).annotate(ratings_count=Count("ratings")).order_by("-date", "-pk")[:PANEL_ACTIVITIES])
    if not activities:
        return []
    return [HomePanel(_("Open for worker ratings"), "evaluations/rating/provider_panel.html",
                      {"activities": activities, "window_days": RATING_WINDOW_DAYS}, order=8)]


register_home_panels(provider_rating_panels)
