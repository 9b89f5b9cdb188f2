import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Recruitment, ServiceProject


class RecruitmentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    state = django_filters.ChoiceFilter(label=_("State"), choices=Recruitment.State.choices)
    project = django_filters.ModelChoiceFilter(label=_("Service project"), queryset=ServiceProject.objects.none())

    class Meta:
        model = Recruitment
        fields = ["q", "state", "project"]

    def __init__(self, *args, projects=None, **kwargs):
        super().__init__(*args, **kwargs)
        if projects is not None:
            self.filters["project"].queryset = projects

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(number__icontains=value) | Q(title__icontains=value) | Q(project__name__icontains=value)
        )
