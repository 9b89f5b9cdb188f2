"""Filters of the rectification orders table. The view offers the palace and provider filters only where
they tell rows apart (staff of more than one palace; staff rather than a provider)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import Palace
from evaluations.rectification.models import RectificationOrder
from procurement.models import Provider


class OrderFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"), method="search", help_text=_("Order number, contract number or provider")
    )
    state = django_filters.ChoiceFilter(
        label=_("State"), choices=RectificationOrder.State.choices, empty_label=_("All")
    )
    trigger = django_filters.ChoiceFilter(
        label=_("Reason"), choices=RectificationOrder.Trigger.choices, empty_label=_("All")
    )
    provider = django_filters.ModelChoiceFilter(
        label=_("Provider"), queryset=Provider.objects.none(), field_name="contract__provider", empty_label=_("All")
    )
    palace = django_filters.ModelChoiceFilter(
        label=_("Palace"), queryset=Palace.objects.none(), field_name="contract__palace", empty_label=_("All")
    )

    class Meta:
        model = RectificationOrder
        fields = ["q", "state", "trigger", "provider", "palace"]

    def __init__(self, *args, palaces=None, providers=None, **kwargs):
        """``palaces``, ``providers``: the choices of those filters; ``None`` leaves the filter out."""
        super().__init__(*args, **kwargs)
        for name, choices in (("palace", palaces), ("provider", providers)):
            if choices is None:
                del self.filters[name]
            else:
                self.filters[name].queryset = choices

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(number__icontains=value)
            | Q(contract__number__icontains=value)
            | Q(contract__provider__name__icontains=value)
        )
