"""The one list page: a django-tables2 table, django-filter filters, CSV/XLSX export.

The page is django-tables2's; the export (``?_export=csv`` or ``xlsx``) reads the same table's
columns straight from the filtered, sorted rows (``core.exports``).
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.utils import timezone
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from .exports import table_export_response


class FilteredTableView(LoginRequiredMixin, SingleTableMixin, FilterView):
    template_name = "core/table_page.html"
    export_formats = ("csv", "xlsx")
    export_trigger_param = "_export"
    exclude_columns: tuple[str, ...] = ()  # columns left off the export, besides ``exclude_from_export``
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
        return table_export_response(
            table,
            export_format,
            self.get_export_filename(export_format),
            exclude_columns=self.exclude_columns,
            title=str(self.page_title),
        )

    def render_to_response(self, context, **response_kwargs):
        export_format = self.request.GET.get(self.export_trigger_param)
        if export_format in self.export_formats:
            return self.create_export(export_format)
        return super().render_to_response(context, **response_kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["page_title"] = self.page_title
        ctx["create_url"] = self.create_url
        ctx["create_label"] = self.create_label
        return ctx
