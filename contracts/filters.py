"""Filters of the staff tables. The view offers the palace filter only to users of more than one palace."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import Palace
from procurement.models import Provider, ServiceProject

from .models import Contract, ServiceReport


class _PalaceScoped(django_filters.FilterSet):
    def __init__(self, *args, palaces=None, providers=None, projects=None, **kwargs):
        """``palaces``: the choices of the palace filter; ``None`` leaves the filter out."""
        super().__init__(*args, **kwargs)
        if palaces is not None:
            self.filters["palace"].queryset = palaces
        else:
            del self.filters["palace"]
        if providers is not None:
            self.filters["provider"].queryset = providers
        if projects is not None and "project" in self.filters:
            self.filters["project"].queryset = projects


class ContractFilter(_PalaceScoped):
    q = django_filters.CharFilter(
        label=_("Search"), method="search", help_text=_("Contract number, provider or service project")
    )
    state = django_filters.ChoiceFilter(label=_("State"), choices=Contract.State.choices, empty_label=_("All"))
    provider = django_filters.ModelChoiceFilter(
        label=_("Provider"), queryset=Provider.objects.none(), empty_label=_("All")
    )
    project = django_filters.ModelChoiceFilter(
        label=_("Service project"), queryset=ServiceProject.objects.none(), empty_label=_("All")
    )
    palace = django_filters.ModelChoiceFilter(label=_("Palace"), queryset=Palace.objects.none(), empty_label=_("All"))

    class Meta:
        model = Contract
        fields = ["q", "state", "provider", "project", "palace"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(number__icontains=value) | Q(provider__name__icontains=value) | Q(project__name__icontains=value)
        )


class OverdueReportFilter(_PalaceScoped):
    q = django_filters.CharFilter(
        label=_("Search"), method="search", help_text=_("Contract number, provider or service project")
    )
    provider = django_filters.ModelChoiceFilter(
        label=_("Provider"), queryset=Provider.objects.none(), field_name="contract__provider", empty_label=_("All")
    )
    palace = django_filters.ModelChoiceFilter(
        label=_("Palace"), queryset=Palace.objects.none(), field_name="contract__palace", empty_label=_("All")
    )

    class Meta:
        model = ServiceReport
        fields = ["q", "provider", "palace"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(contract__number__icontains=value)
            | Q(contract__provider__name__icontains=value)
            | Q(contract__project__name__icontains=value)
        )
