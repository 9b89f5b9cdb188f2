"""Reads for providers, service projects and recruitments, scoped to what the user may see."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, F, Prefetch, Q, QuerySet
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from core.models import Palace, Role, User
from core.permissions import AnyUser, palace_ids

from .models import (
    Application,
    ApplicationDocument,
    CompiledScore,
    Declaration,
    KpiTarget,
    Objection,
    PanelMember,
    Provider,
    Recruitment,
    Score,
    ScoreCorrection,
    ServiceProject,
)
from .permissions import provider_of


def providers_for(user: AnyUser) -> QuerySet[Provider]:
    qs = Provider.objects.select_related("palace").prefetch_related("categories")
    if not user.is_authenticated:
        return qs.none()
    if user.is_superuser:
        return qs
    own = provider_of(user)
    if own is not None:
        return qs.filter(pk=own.pk)
    return qs.filter(palace_id__in=palace_ids(user, Role.ADMIN, Role.AUDITOR))


def provider_detail(provider_id: int) -> Provider:
    return (
        Provider.objects.select_related("palace", "reviewed_by")
        .prefetch_related("categories", "documents__file", "users__user")
        .get(pk=provider_id)
    )


def service_projects_for(user: AnyUser) -> QuerySet[ServiceProject]:
    qs = (
        ServiceProject.objects.select_related("palace")
        .prefetch_related(Prefetch("kpi_targets", queryset=KpiTarget.objects.order_by("id")))
        .annotate(kpi_count=Count("kpi_targets", distinct=True))
    )
    if not user.is_authenticated:
        return qs.none()
    if user.is_superuser:
        return qs
    return qs.filter(palace_id__in=palace_ids(user))


def palaces_for(user: AnyUser, *roles: str) -> QuerySet[Palace]:
    """Palaces where ``user`` holds one of ``roles``. The superuser reads every palace but,
    like everyone, acts only where a membership gives it a role."""
    if not roles and user.is_authenticated and user.is_superuser:
        return Palace.objects.all()
    return Palace.objects.filter(pk__in=palace_ids(user, *roles))


# --- recruitments ------------------------------------------------------------------------


def recruitments_for(user: AnyUser) -> QuerySet[Recruitment]:
    """Recruitments of the palaces where ``user`` is staff, with the count of live applications.

    A count is all anybody but the applicant may know of a sealed recruitment.
    """
    qs = Recruitment.objects.select_related("palace", "project").annotate(
        application_count=Count(
            "applications", filter=Q(applications__state=Application.State.SUBMITTED), distinct=True
        )
    )
    if not user.is_authenticated or provider_of(user) is not None:
        return qs.none()
    if user.is_superuser:
        return qs
    return qs.filter(palace_id__in=palace_ids(user))


def recruitment_detail(pk: int) -> Recruitment:
    return (
        Recruitment.objects.select_related(
            "palace", "project", "created_by", "reissue_of", "awarded_application__provider"
        )
        .prefetch_related(
            "criteria",
            "required_documents",
            "reissues",
            Prefetch("project__kpi_targets", queryset=KpiTarget.objects.order_by("id")),
        )
        .get(pk=pk)
    )


def live_application_count(recruitment: Recruitment) -> int:
    return recruitment.applications.filter(state=Application.State.SUBMITTED).count()


def valid_application_count(recruitment: Recruitment) -> int:
    return recruitment.applications.filter(is_valid=True).count()


def applicants_of(recruitment: Recruitment) -> list[Application]:
    """Every application of an unsealed recruitment, valid ones first, ranked once compiled."""
    return list(
        recruitment.applications.select_related("provider")
        .prefetch_related(
            Prefetch(
                "documents", queryset=ApplicationDocument.objects.select_related("file", "required").order_by("id")
            )
        )
        .order_by(F("is_valid").desc(nulls_last=True), F("rank").asc(nulls_last=True), "first_submitted_at")
    )


def valid_applications_with_documents(recruitment: Recruitment) -> list[Application]:
    """What an evaluator scores: the valid applications with their current documents."""
    return list(
        recruitment.applications.filter(is_valid=True)
        .select_related("provider")
        .prefetch_related(
            Prefetch(
                "documents", queryset=ApplicationDocument.objects.select_related("file", "required").order_by("id")
            )
        )
        .order_by("first_submitted_at")
    )


def panel_of(recruitment: Recruitment) -> list[PanelMember]:
    """The panel, with the conflicts each member declared (the applicants are named: staff only)."""
    conflicts = Declaration.objects.exclude(conflict=Declaration.Conflict.NONE).select_related("application__provider")
    return list(
        recruitment.panel.select_related("evaluator", "replaces__evaluator", "replaced_by__evaluator")
        .prefetch_related(Prefetch("declarations", queryset=conflicts, to_attr="conflicts"))
        .order_by("pk")
    )


def panel_seat(pk: int) -> PanelMember:
    return PanelMember.objects.select_related("evaluator", "recruitment__palace").get(pk=pk)


def palace_evaluators(palace_id: int) -> QuerySet[User]:
    return (
        User.objects.filter(memberships__palace_id=palace_id, memberships__role=Role.EVALUATOR)
        .distinct()
        .order_by("full_name", "username")
    )


def compiled_ranking(recruitment: Recruitment) -> list[Application]:
    """The valid applications in rank order, each with its compiled points by criterion."""
    return list(
        recruitment.applications.filter(is_valid=True)
        .select_related("provider")
        .prefetch_related(
            Prefetch("compiled", queryset=CompiledScore.objects.order_by("criterion__position", "criterion_id"))
        )
        .order_by(F("rank").asc(nulls_last=True), "first_submitted_at")
    )


def scores_of(recruitment: Recruitment) -> list[Score]:
    """Every evaluator's scores; callers show them only once compiled (they are sealed before)."""
    return list(
        Score.objects.filter(member__recruitment=recruitment)
        .select_related("member__evaluator", "application__provider", "criterion")
        .order_by("member_id", "application__first_submitted_at", "criterion__position")
    )


def corrections_of(recruitment: Recruitment) -> list[ScoreCorrection]:
    return list(
        ScoreCorrection.objects.filter(score__member__recruitment=recruitment).select_related(
            "score__member__evaluator", "score__application__provider", "score__criterion", "requested_by", "decided_by"
        )
    )


def objections_of(recruitment: Recruitment) -> list[Objection]:
    return list(
        recruitment.objections.select_related("application__provider", "lodged_by", "answered_by").prefetch_related(
            "attachments"
        )
    )


def own_flagged_scores(member: PanelMember) -> list[Score]:
    return list(
        member.scores.filter(is_outlier=True, justification="")
        .select_related("application__provider", "criterion")
        .order_by("application__first_submitted_at", "criterion__position")
    )


def open_seat_task(member: PanelMember):
    """The task waiting in the seat's evaluator's inbox, if any (see procurement/flows.py)."""
    return (
        Task.objects.filter(
            artifact_content_type=ContentType.objects.get_for_model(PanelMember),
            artifact_object_id=member.pk,
            status__in=[STATUS.NEW, STATUS.ASSIGNED],
        )
        .order_by("-pk")
        .first()
    )


def previous_round_sheet(member: PanelMember) -> dict[str, object]:
    """The evaluator's own sheet of the round an upheld objection reopened, as the form's starting values."""
    last = member.recruitment.evaluation_round - 1
    if last < 1:
        return {}
    initial: dict[str, object] = {}
    for s in Score.all_rounds.filter(member=member, superseded_in_round=last):
        initial[f"points_{s.application_id}_{s.criterion_id}"] = s.points
        initial[f"comment_{s.application_id}_{s.criterion_id}"] = s.comment
    return initial
