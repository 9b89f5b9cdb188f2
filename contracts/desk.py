"""The contracts app's tables on the audit desk: the service reports (read-only).

The contracts table, with each contract's standing, lives in evaluations/desk.py: the standing
is the evaluations app's, and contracts does not import it.
"""

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.desk import DeskFilterSet, DeskTableView
from core.registry import register_desk_table

from .models import ServiceReport
from .tables_desk import ReportDeskTable


class ReportDeskFilter(DeskFilterSet):
    """The date range finds the reports whose period overlaps it."""

    search_fields = ("contract__number", "contract__provider__name", "contract__project__name")
    date_field = "period_start"
    date_from_label = _("Period from")
    date_to_label = _("Period to")

    status = django_filters.ChoiceFilter(
        label=_("State"), field_name="state", choices=ServiceReport.State.choices, empty_label=_("All")
    )

    class Meta:
        model = ServiceReport
        fields = ["q", "date_from", "date_to", "status"]

    def from_date(self, queryset, name, value):
        return queryset.filter(period_end__gte=value)

    def to_date(self, queryset, name, value):
        return queryset.filter(period_start__lte=value)


@register_desk_table
class ReportDeskView(DeskTableView):
    slug = "reports"
    page_title = _("Service reports")
    description = _(
        "The providers' service reports of every period begun so far: state, when each was submitted "
        "and the review score."
    )
    icon = "description"
    order = 50
    table_class = ReportDeskTable
    filterset_class = ReportDeskFilter
    palace_field = "contract__palace"

    def base_queryset(self):
        # Every period of the term exists from activation on; the periods not yet begun say nothing.
        today = timezone.localdate()
        return ServiceReport.objects.filter(
            Q(period_start__lte=today) | ~Q(state=ServiceReport.State.PENDING)
        ).select_related("contract__provider", "contract__palace")
