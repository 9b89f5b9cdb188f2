"""Filters of the final evaluations table. The view offers the palace filter only to staff of more than one palace."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import Palace
from evaluations.final.models import FinalEvaluation, FinalRating


class FinalEvaluationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search", help_text=_("Contract number or provider"))
    state = django_filters.ChoiceFilter(label=_("State"), choices=FinalEvaluation.State.choices, empty_label=_("All"))
    rating = django_filters.ChoiceFilter(
        label=_("Rating"),
        choices=FinalRating.choices,
        empty_label=_("All"),
        method="by_rating",
        help_text=_("The final rating, or the proposed one until it is final"),
    )
    palace = django_filters.ModelChoiceFilter(
        label=_("Palace"), queryset=Palace.objects.none(), field_name="contract__palace", empty_label=_("All")
    )

    class Meta:
        model = FinalEvaluation
        fields = ["q", "state", "rating", "palace"]

    def __init__(self, *args, palaces=None, **kwargs):
        """``palaces``: the palace filter's choices; ``None`` leaves the filter out."""
        super().__init__(*args, **kwargs)
        if palaces is None:
            del self.filters["palace"]
        else:
            self.filters["palace"].queryset = palaces

    def search(self, queryset, name, value):
        return queryset.filter(Q(contract__number__icontains=value) | Q(contract__provider__name__icontains=value))

    def by_rating(self, queryset, name, value):
        return queryset.filter(Q(rating=value) | Q(rating="", proposed_rating=value))
