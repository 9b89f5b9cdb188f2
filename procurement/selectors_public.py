"""Reads for the public notice board and the provider's own applications.

Sealing is kept here: nothing in this module returns another provider's
application, and the public reads never count applications. Names and totals
appear only once a result is publicised (公示).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Palace

from .models import Application, ApplicationDocument, KpiTarget, Provider, Recruitment

BEIJING = ZoneInfo("Asia/Shanghai")
# An award stays on the notice board this long after its publicity ended.
RECENT_AWARD_DAYS = 90
NOTICES_PER_PAGE = 10

HIDDEN_STATES = (Recruitment.State.DRAFT, Recruitment.State.CANCELLED)
RESULT_STATES = (Recruitment.State.PUBLICITY, Recruitment.State.AWARDED)


def beijing_time(value: datetime | None) -> str:
    """``2026-12-08 17:00（北京时间）``: deadlines are stated in Beijing time whoever reads them."""
    if value is None:
        return ""
    return str(_("%(time)s (Beijing time)") % {"time": value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")})


def public_recruitments() -> QuerySet[Recruitment]:
    """Every recruitment the public may open: all but drafts and cancelled ones."""
    return Recruitment.objects.exclude(state__in=HIDDEN_STATES).select_related(
        "palace", "project", "awarded_application__provider"
    )


def accepting_applications(recruitment: Recruitment, now: datetime | None = None) -> bool:
    """Open and before its deadline. The service decides for real when a form is posted."""
    now = now or timezone.now()
    return (
        recruitment.state == Recruitment.State.PUBLISHED
        and recruitment.deadline is not None
        and now < recruitment.deadline
    )


def notice_board(*, palace: Palace | None = None, kind: str = "", now: datetime | None = None) -> QuerySet[Recruitment]:
    """The notices list: open recruitments, results in publicity and recent awards, newest first.

    ``kind`` narrows it to ``open`` or ``results``.
    """
    now = now or timezone.now()
    open_q = Q(state=Recruitment.State.PUBLISHED, deadline__gt=now)
    results_q = Q(state=Recruitment.State.PUBLICITY) | Q(
        state=Recruitment.State.AWARDED,
        publicity_ends_at__gte=now - timedelta(days=RECENT_AWARD_DAYS),
    )
    listed = {"open": open_q, "results": results_q}.get(kind, open_q | results_q)
    qs = public_recruitments().filter(listed)
    if palace is not None:
        qs = qs.filter(palace=palace)
    return qs.order_by("-opens_at", "-pk")


def notice_palaces(now: datetime | None = None) -> QuerySet[Palace]:
    """Palaces with something on the notice board, for its palace filter."""
    return Palace.objects.filter(pk__in=notice_board(now=now).values("palace_id")).order_by("code")


def notice_detail(pk: int) -> Recruitment:
    """One public notice with its criteria, documents and the project's KPI targets.

    Raises ``Recruitment.DoesNotExist`` for drafts and cancelled recruitments.
    """
    return (
        public_recruitments()
        .prefetch_related(
            "criteria",
            "required_documents",
            Prefetch("project__kpi_targets", queryset=KpiTarget.objects.order_by("id")),
        )
        .get(pk=pk)
    )


def public_ranking(recruitment: Recruitment) -> list[Application]:
    """The ranking with totals, public once the result is in publicity; empty before."""
    if recruitment.state not in RESULT_STATES:
        return []
    return list(
        recruitment.applications.filter(is_valid=True, rank__isnull=False).select_related("provider").order_by("rank")
    )


# --- the provider's own -----------------------------------------------------------------------


def own_application(provider: Provider, recruitment: Recruitment) -> Application | None:
    return Application.objects.filter(provider=provider, recruitment=recruitment).first()


def applications_of(provider: Provider) -> QuerySet[Application]:
    """Every application of ``provider``, newest first; never anyone else's."""
    return (
        Application.objects.filter(provider=provider)
        .select_related("recruitment__palace", "recruitment__project")
        .order_by("-submitted_at")
    )


def application_with_documents(pk: int) -> Application:
    return (
        Application.objects.select_related("recruitment__palace", "recruitment__project", "provider")
        .prefetch_related(
            Prefetch(
                "documents",
                queryset=ApplicationDocument.objects.select_related("file", "required").order_by("required_id", "id"),
            ),
            "objections__attachments",
        )
        .get(pk=pk)
    )


def current_documents(application: Application) -> list[ApplicationDocument]:
    """The documents of the version that counts (earlier versions' replaced files stay as history)."""
    return [d for d in application.documents.all() if d.version == application.version]


@dataclass(frozen=True)
class OpenRecruitment:
    recruitment: Recruitment
    application: Application | None


def open_recruitments_for(provider: Provider, now: datetime | None = None) -> list[OpenRecruitment]:
    """Recruitments accepting applications now, each with this provider's own application, if any."""
    now = now or timezone.now()
    recruitments = list(
        public_recruitments().filter(state=Recruitment.State.PUBLISHED, deadline__gt=now).order_by("deadline", "pk")
    )
    own = {a.recruitment_id: a for a in Application.objects.filter(provider=provider, recruitment__in=recruitments)}
    return [OpenRecruitment(r, own.get(r.pk)) for r in recruitments]
