"""The desk's filters for procurement: search, date range and palace come from ``DeskFilterSet``;
each adds its status filter (named ``status``)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from core.desk import DeskFilterSet

from .models import Application, Exclusion, Recruitment, Score, ScoreCorrection
from .tables_desk import EXCLUSION_STATUS

NOT_CORRECTED = "none"


class RecruitmentDeskFilter(DeskFilterSet):
    search_fields = ("number", "title", "project__name")
    date_field = "opens_at__date"
    date_from_label = _("Published from")
    date_to_label = _("Published until")

    status = django_filters.ChoiceFilter(
        label=_("State"), field_name="state", choices=Recruitment.State.choices, empty_label=_("All")
    )

    class Meta:
        model = Recruitment
        fields = ()


class ApplicationDeskFilter(DeskFilterSet):
    search_fields = ("provider__name", "provider__credit_code", "recruitment__number", "recruitment__title")
    date_field = "submitted_at__date"
    date_from_label = _("Submitted from")
    date_to_label = _("Submitted until")

    status = django_filters.ChoiceFilter(
        label=_("State"), field_name="state", choices=Application.State.choices, empty_label=_("All")
    )

    class Meta:
        model = Application
        fields = ()


class ScoreDeskFilter(DeskFilterSet):
    """Status: the state of the score's latest correction, or no correction at all."""

    search_fields = (
        "application__provider__name",
        "application__provider__credit_code",
        "member__recruitment__number",
        "member__evaluator__full_name",
        "criterion__name",
    )
    date_field = "member__submitted_at__date"
    date_from_label = _("Submitted from")
    date_to_label = _("Submitted until")

    status = django_filters.ChoiceFilter(
        label=_("Correction"),
        method="by_correction",
        empty_label=_("All"),
        choices=[(NOT_CORRECTED, _("Not corrected")), *ScoreCorrection.State.choices],
    )

    class Meta:
        model = Score
        fields = ()

    def by_correction(self, queryset, name, value):
        if value == NOT_CORRECTED:
            return queryset.filter(last_correction_state__isnull=True)
        return queryset.filter(last_correction_state=value)


class ExclusionDeskFilter(DeskFilterSet):
    search_fields = ("provider__name", "provider__credit_code", "reason")
    date_field = "starts_on"
    date_from_label = _("Starting from")
    date_to_label = _("Starting until")

    status = django_filters.ChoiceFilter(
        label=_("Status"), field_name="status", choices=list(EXCLUSION_STATUS.items()), empty_label=_("All")
    )

    class Meta:
        model = Exclusion
        fields = ()
