"""CSV/XLSX exports that a spreadsheet cannot mistake for formulas, streamed row by row.

A table's columns are declared once, on its django-tables2 ``Table``, and serve the page and
the export alike: the page renders them through django-tables2; the export reads each column's
*export value* straight from the rows of the selector's queryset:

* ``value_<name>(record)`` (or ``(value)``, or both) on the table, when it has one: the
  column's plain text, a seal's word included (rows hide sealed values in SQL annotations, so
  the export says exactly what the page may say);
* otherwise the column's accessor on the row: a choice's label, a date or a moment as the
  column's ``format`` writes it on the page (in the palace's time zone; without a format, ISO
  text and a moment to the second), a link's text, a number as a number.

``render_<name>`` is the page's decoration (chips, links, dashes) and never reaches the export;
``exclude_from_export=True`` keeps a column off the export, ``visible=False`` keeps it off the
page only. The headers are the page's (translated verbose names).

Each column's reader is worked out once per export, not per cell: no bound rows, no signature
inspection per cell. The queryset is read in chunks (``QuerySet.iterator``, a server-side
cursor on PostgreSQL), so ten thousand rows never sit in memory at once: CSV goes out as a
streaming response, XLSX is written by openpyxl's write-only workbook to a temporary file and
sent from there. Every text cell that begins like a formula is neutralised.
"""

import csv
import datetime
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import dateformat, timezone, translation
from django.utils.encoding import force_str
from django.utils.http import content_disposition_header
from django_tables2.columns import Column, DateColumn, DateTimeColumn
from django_tables2.columns.linkcolumn import BaseLinkColumn
from django_tables2.utils import signature
from openpyxl import Workbook

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 1000
AWARE_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:\d{2}$")
ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)?$")
DATE_TEMPLATE = re.compile(r'\{\{ value\|date:"(.*)"\|default:default \}\}')
CSV_BOM = "\ufeff"  # so that Excel opens UTF-8 Chinese as Chinese, not mojibake
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# What a ``value_<name>`` method or a column's ``value`` may ask for, as in django-tables2.
CELL_ARGUMENTS = ("value", "record", "column", "bound_column", "table")


def sanitize_cell(value):
    """Prefix a text cell that a spreadsheet would run as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


@dataclass(frozen=True)
class ExportColumn:
    """One exported column: its header as the page shows it, and its cell as a function of a row."""

    name: str
    header: str
    cell: Callable[[Any], Any]


def export_columns(table, exclude_columns: Iterable[str] = ()) -> list[ExportColumn]:
    """The table's exported columns, in the page's order (hidden export-only columns included)."""
    exclude_columns = set(exclude_columns or ())
    model = getattr(table.data, "model", None) or getattr(table._meta, "model", None)
    return [
        ExportColumn(bound.name, force_str(bound.header), _cell_reader(table, bound, model))
        for bound in table.columns.iterall()
        if not (bound.column.exclude_from_export or bound.name in exclude_columns)
    ]


def _cell_reader(table, bound, model) -> Callable[[Any], Any]:
    """A row's export cell for one column: empty where django-tables2 finds the cell empty (the
    column's ``empty_values``; a missing relation), else the column's export value, neutralised,
    in local time."""
    column = bound.column
    read = _accessor_reader(bound.accessor, model)
    value_of = _value_function(table, bound)
    empty_values = column.empty_values
    link_text = isinstance(column, BaseLinkColumn) and column.text is not None
    moment = isinstance(column, DateTimeColumn)

    def cell(record):
        try:
            value = read(record)
        except Exception:  # a missing relation or attribute is an empty cell, as on the page
            if not link_text:
                return None
            return _plain(value_of(record, None), moment)
        if value in empty_values:
            return None
        return _plain(value_of(record, value), moment)

    return cell


def _accessor_reader(accessor, model) -> Callable[[Any], Any]:
    """Read ``accessor`` (``a__b__c``) off a row; a field with choices reads as its label."""
    bits = tuple(accessor.bits)
    field = accessor.get_field(model) if model is not None and bits else None
    if field is not None and getattr(field, "choices", None):
        head, display = bits[:-1], f"get_{bits[-1]}_display"

        def read_choice(record):
            owner = _walk(record, head)
            label = getattr(owner, display, None)
            return label() if label is not None else _walk(owner, bits[-1:])

        return read_choice
    return lambda record: _walk(record, bits)


def _walk(obj, bits):
    for bit in bits:
        obj = obj[bit] if isinstance(obj, dict) else getattr(obj, bit)
        if callable(obj) and not getattr(obj, "do_not_call_in_templates", False):
            if getattr(obj, "alters_data", False):
                raise ValueError(f"{bit} alters data")
            obj = obj()
    return obj


def _value_function(table, bound) -> Callable[[Any, Any], Any]:
    """The column's export value as ``f(record, value)``: the table's ``value_<name>``, else the
    column's own (a date's ISO text, a link's text, the value itself)."""
    method = getattr(table, f"value_{bound.name}", None)
    if method is not None:
        return _caller(method, table, bound)
    column = bound.column
    kind = type(column)
    if kind.value in (DateColumn.value, DateTimeColumn.value):
        return _date_value(column)
    if isinstance(column, BaseLinkColumn) and kind.value is BaseLinkColumn.value:
        return column.text_value
    if kind.value is Column.value and kind.render is Column.render:
        return lambda record, value: value
    return _caller(column.value, table, bound)


def _date_value(column) -> Callable[[Any, Any], Any]:
    """A date or a moment as the page writes it (the column's ``format``, in the palace's time
    zone); a column without a format exports a date as ISO text and a moment to the second.
    No date is an empty cell (django-tables2 would render the page's dash into the export)."""
    page_format = _page_format(column)
    is_date_column = type(column).value is DateColumn.value

    def date_value(record, value):
        if isinstance(value, datetime.datetime):
            if page_format:
                return dateformat.format(timezone.localtime(value) if timezone.is_aware(value) else value, page_format)
            return value  # made local by _plain
        if isinstance(value, datetime.date) and is_date_column:
            return dateformat.format(value, page_format) if page_format else value.isoformat()
        return value

    return date_value


def _page_format(column) -> str:
    """The ``format`` a DateColumn or DateTimeColumn was declared with ("" for the locale's own):
    django-tables2 keeps it only in the template it renders the page's cell with."""
    found = DATE_TEMPLATE.fullmatch(getattr(column, "template_code", "") or "")
    page_format = found.group(1) if found else ""
    return "" if page_format.endswith("_FORMAT") else page_format


def _caller(fn, table, bound) -> Callable[[Any, Any], Any]:
    """Call ``fn`` with the cell arguments it names (asked once, not per cell), as django-tables2
    does: a function that names an argument no cell has gives nothing."""
    names, takes_any = signature(fn)
    if takes_any:
        names = CELL_ARGUMENTS
    elif any(name not in CELL_ARGUMENTS for name in names):
        return lambda record, value: None
    names = tuple(names)
    if names == ("record",):
        return lambda record, value: fn(record=record)
    if names == ("value",):
        return lambda record, value: fn(value=value)
    if set(names) == {"record", "value"}:
        return lambda record, value: fn(record=record, value=value)
    fixed = {"column": bound.column, "bound_column": bound, "table": table}

    def call(record, value):
        given = {"record": record, "value": value, **fixed}
        return fn(**{name: given[name] for name in names})

    return call


def iter_table_values(table, exclude_columns: Iterable[str] = (), chunk_size: int = CHUNK) -> Iterator[list]:
    """The export's rows: the page's headers first, then each row's export values, neutralised,
    with the table's filtered, sorted queryset read ``chunk_size`` rows at a time."""
    columns = export_columns(table, exclude_columns)
    yield [sanitize_cell(c.header) for c in columns]
    data = getattr(table.data, "data", None)
    rows = data.iterator(chunk_size=chunk_size) if isinstance(data, QuerySet) else iter(table.data)
    cells = [c.cell for c in columns]
    for record in rows:
        yield [cell(record) for cell in cells]


def _plain(value, moment: bool = False):
    """A cell as a spreadsheet takes it: text, a number, or a naive local date and time."""
    value = force_str(value, strings_only=True)
    if isinstance(value, str) and (AWARE_ISO.match(value) or (moment and ISO_MOMENT.match(value))):
        # A value method may give a moment as ISO text (UTC): read it back to convert it.
        try:
            value = datetime.datetime.fromisoformat(value)
        except ValueError:
            pass
    if isinstance(value, datetime.datetime):
        # The palace's wall-clock time, to the second, as its staff read it on the page.
        value = timezone.localtime(value).replace(tzinfo=None, microsecond=0) if timezone.is_aware(value) else value
    return sanitize_cell(value)


def _in_request_context(rows: Iterable) -> Iterator:
    """A streamed body is read after the view has returned, when the request's language and time
    zone are no longer active: keep them for the rows, so the export reads like the page."""
    # Read now, while the view runs: a generator's body would only start once the body is read.
    language, zone = translation.get_language(), timezone.get_current_timezone()
    return _rows_in(iter(rows), language, zone)


def _rows_in(iterator: Iterator, language: str, zone) -> Iterator:
    while True:
        with translation.override(language), timezone.override(zone):
            try:
                item = next(iterator)
            except StopIteration:
                return
        yield item


class _Echo:
    def write(self, value):
        return value


def csv_response(rows: Iterable[list], filename: str) -> StreamingHttpResponse:
    """Stream rows as UTF-8 CSV with a byte-order mark."""
    writer = csv.writer(_Echo())

    def lines():
        yield CSV_BOM
        for row in rows:
            yield writer.writerow(["" if v is None else v for v in row])

    response = StreamingHttpResponse(lines(), content_type=CONTENT_TYPES["csv"])
    response["Content-Disposition"] = _disposition(filename)
    return response


def xlsx_response(rows: Iterable[list], filename: str, title: str = "") -> FileResponse:
    """Write rows with openpyxl's write-only workbook (constant memory) to a temporary file, then send it.
    Every cell is written as text or a number, never as a formula."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=(title or "export")[:31])
    for row in rows:
        sheet.append([_xlsx_cell(v) for v in row])
    handle = tempfile.TemporaryFile()
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=CONTENT_TYPES["xlsx"])


def _xlsx_cell(value):
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    # openpyxl stores a string that starts with "=" as a formula; the apostrophe added by
    # sanitize_cell already stops that, and anything else goes in as plain text.
    return str(value)


def _disposition(filename: str) -> str:
    return content_disposition_header(as_attachment=True, filename=filename)


def table_export_response(table, export_format: str, filename: str, exclude_columns=(), title: str = ""):
    rows = _in_request_context(iter_table_values(table, exclude_columns))
    if export_format == "xlsx":
        return xlsx_response(rows, filename, title=title)
    return csv_response(rows, filename)
