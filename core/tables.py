"""The one list page: a django-tables2 table, django-filter filters, CSV/XLSX export."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.utils import timezone
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin
from django_tables2.export import ExportMixin

from .exports import SafeTableExport, table_export_response


class FilteredTableView(LoginRequiredMixin, ExportMixin, SingleTableMixin, FilterView):
    template_name = "core/table_page.html"
    export_class = SafeTableExport
    export_formats = ("csv", "xlsx")
    table_pagination = {"per_page": 25}
    page_title = ""
    export_name = "export"
    create_url = None
    create_label = None

    def get_export_filename(self, export_format):
        return f"{self.export_name}-{timezone.localdate():%Y%m%d}.{export_format}"

    def create_export(self, export_format):
        """The filtered, sorted rows, streamed (see core.exports), never all in memory at once."""
        table = self.get_table(**self.get_table_kwargs())
        return table_export_response(table, export_format, self.get_export_filename(export_format),
                                     exclude_columns=self.exclude_columns, title=str(self.page_title))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["page_title"] = self.page_title
        ctx["create_url"] = self.create_url
        ctx["create_label"] = self.create_label
        return ctx
