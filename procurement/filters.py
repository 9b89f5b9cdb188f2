import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Provider, ServiceCategory, ServiceProject


class ProviderFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Provider.Status.choices, empty_label=_("All"))
    category = django_filters.ChoiceFilter(
        label=_("Category"),
        choices=ServiceCategory.choices,
        field_name="categories__category",
        empty_label=_("All"),
    )

    class Meta:
        model = Provider
        fields = ["q", "status", "category"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(credit_code__icontains=value))


class ServiceProjectFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), field_name="name", lookup_expr="icontains")
    category = django_filters.ChoiceFilter(label=_("Category"), choices=ServiceCategory.choices, empty_label=_("All"))
    is_active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = ServiceProject
        fields = ["q", "palace", "category", "is_active"]

    def __init__(self, *args, palaces=None, **kwargs):
        super().__init__(*args, **kwargs)
        if palaces is not None:
            self.filters["palace"].queryset = palaces
