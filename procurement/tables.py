import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import Provider, ServiceProject


class ProviderTable(tables.Table):
    name = tables.LinkColumn("procurement:provider_detail", args=[tables.A("pk")])
    categories = tables.Column(_("Categories"), empty_values=(), orderable=False)
    credit_code = tables.Column(attrs={"td": {"class": "hz-nowrap hz-mono"}})
    contact_phone = tables.Column(attrs={"td": {"class": "hz-nowrap"}})
    status = tables.Column(attrs={"td": {"class": "hz-nowrap"}})
    created_at = tables.DateTimeColumn(attrs={"td": {"class": "hz-nowrap"}})

    class Meta:
        model = Provider
        fields = ["name", "credit_code", "palace", "contact_name", "contact_phone", "status", "created_at"]
        sequence = [
            "name",
            "credit_code",
            "categories",
            "palace",
            "contact_name",
            "contact_phone",
            "status",
            "created_at",
        ]
        order_by = ["name"]

    def render_status(self, record):
        return format_html('<span class="hz-chip hz-chip--{}">{}</span>', record.status, record.get_status_display())

    def value_categories(self, record):
        return "、".join(str(c.get_category_display()) for c in record.categories.all())

    def render_categories(self, record):
        return self.value_categories(record)


class ServiceProjectTable(tables.Table):
    name = tables.LinkColumn("procurement:project_detail", args=[tables.A("pk")])
    kpi_count = tables.Column(_("KPI targets"))

    class Meta:
        model = ServiceProject
        fields = ["name", "palace", "category", "budget", "term_months", "kpi_count", "is_active"]
        order_by = ["palace", "name"]
