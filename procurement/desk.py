"""Procurement's tables on the auditor's desk: recruitments, applications, panel scores, exclusions.

The seal (``procurement.permissions``) holds here too, row by row, in SQL:

* ``applications_unsealed``: until a recruitment closes, nobody but the applicant sees its
  applications; staff see only a count. The applications table leaves those rows out.
* ``can_see_scores``: individual and compiled scores stay sealed until the panel's scores are
  compiled (``compiled_at``, cleared again when an upheld objection reopens the evaluation).
  The applications table shows points and rank only then, and the scores table lists only
  the scores of compiled recruitments.
"""

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.desk import DeskTableView, desk_palace_ids
from core.registry import register_desk_table

from .filters_desk import (
    ApplicationDeskFilter,
    ExclusionDeskFilter,
    RecruitmentDeskFilter,
    ScoreDeskFilter,
)
from .models import Application, Exclusion, Recruitment, Score, ScoreCorrection
from .tables_desk import (
    EXCLUSION_ACTIVE,
    EXCLUSION_EXPIRED,
    EXCLUSION_UPCOMING,
    ApplicationDeskTable,
    ExclusionDeskTable,
    RecruitmentDeskTable,
    ScoreDeskTable,
)

SEALED_STATES = (Recruitment.State.DRAFT, Recruitment.State.PUBLISHED)


def applications_unsealed_q(prefix: str = "") -> Q:
    """``permissions.applications_unsealed`` as a filter on recruitments (reached through ``prefix``)."""
    return ~Q(**{f"{prefix}state__in": SEALED_STATES})


def scores_unsealed_q(prefix: str = "") -> Q:
    """``permissions.can_see_scores`` for a reader of the palace, as a filter on recruitments."""
    return applications_unsealed_q(prefix) & Q(**{f"{prefix}compiled_at__isnull": False})


class ProcurementDeskView(DeskTableView):
    def get_table_kwargs(self):
        kwargs = super().get_table_kwargs()
        user = self.request.user
        # The provider's page is open to the staff of the palace it registered with.
        kwargs["provider_palaces"] = None if user.is_superuser else desk_palace_ids(user)
        return kwargs


@register_desk_table
class RecruitmentDeskView(ProcurementDeskView):
    slug = "recruitments"
    page_title = _("Recruitments")
    description = _("Every recruitment with its service project, state, dates, number of applications and award.")
    icon = "campaign"
    order = 10
    table_class = RecruitmentDeskTable
    filterset_class = RecruitmentDeskFilter
    palace_field = "palace"

    def base_queryset(self):
        return Recruitment.objects.select_related("palace", "project", "awarded_application__provider").annotate(
            application_count=Count("applications", filter=Q(applications__state=Application.State.SUBMITTED))
        )


@register_desk_table
class ApplicationDeskView(ProcurementDeskView):
    slug = "applications"
    page_title = pgettext_lazy("recruitment", "Applications")
    description = _(
        "Every application once its recruitment has closed, with the compiled points and rank once "
        "the panel's scores are compiled."
    )
    icon = "inbox"
    order = 20
    table_class = ApplicationDeskTable
    filterset_class = ApplicationDeskFilter
    palace_field = "recruitment__palace"

    def base_queryset(self):
        scores_open = scores_unsealed_q("recruitment__")
        return (
            Application.objects.filter(applications_unsealed_q("recruitment__"))
            .select_related("recruitment__palace", "provider")
            .annotate(
                scores_open=ExpressionWrapper(scores_open, output_field=BooleanField()),
                shown_total=Case(When(scores_open, then=F("total")), default=None),
                shown_rank=Case(When(scores_open, then=F("rank")), default=None),
            )
        )


@register_desk_table
class ScoreDeskView(ProcurementDeskView):
    slug = "scores"
    page_title = _("Panel scores")
    description = _(
        "Each evaluator's points per applicant and criterion once compiled, with every correction: "
        "the original and corrected points, the reason and its approval."
    )
    icon = "scoreboard"
    order = 30
    table_class = ScoreDeskTable
    filterset_class = ScoreDeskFilter
    palace_field = "member__recruitment__palace"

    def base_queryset(self):
        latest = ScoreCorrection.objects.filter(score=OuterRef("pk")).order_by("-requested_at", "-pk")
        return (
            Score.objects.filter(scores_unsealed_q("member__recruitment__"))
            .select_related("member__recruitment__palace", "member__evaluator", "application__provider", "criterion")
            .prefetch_related(Prefetch("corrections", queryset=ScoreCorrection.objects.order_by("requested_at", "pk")))
            .annotate(last_correction_state=Subquery(latest.values("state")[:1]))
        )


@register_desk_table
class ExclusionDeskView(ProcurementDeskView):
    slug = "exclusions"
    page_title = _("Exclusions")
    description = _("Providers barred from a palace's recruitments after an exit, with the cause and the period.")
    icon = "block"
    order = 90
    table_class = ExclusionDeskTable
    filterset_class = ExclusionDeskFilter
    palace_field = "palace"

    def base_queryset(self):
        today = timezone.localdate()
        # As procurement.services.applying.active_exclusion: in force from starts_on, up to (not on) ends_on.
        status = Case(
            When(ends_on__lte=today, then=Value(EXCLUSION_EXPIRED)),
            When(starts_on__gt=today, then=Value(EXCLUSION_UPCOMING)),
            default=Value(EXCLUSION_ACTIVE),
            output_field=CharField(),
        )
        return Exclusion.objects.select_related("provider", "palace").annotate(status=status)
