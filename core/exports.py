"""CSV/XLSX exports that a spreadsheet cannot mistake for formulas, streamed row by row.

A table's export walks its filtered, sorted queryset in chunks (``QuerySet.iterator``, a
server-side cursor on PostgreSQL), so ten thousand rows never sit in memory at once: CSV goes
out as a streaming response, XLSX is written by openpyxl's write-only workbook to a temporary
file and sent from there. Every text cell that begins like a formula is neutralised.
"""

import csv
import datetime
import re
import tempfile
import types
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.encoding import force_str
from django.utils.http import content_disposition_header
from django_tables2 import utils
from django_tables2.columns import DateTimeColumn
from django_tables2.data import TableData
from django_tables2.export import TableExport
from django_tables2.rows import BoundRows
from openpyxl import Workbook
from tablib import Dataset

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _cache_table_signatures() -> None:
    """django-tables2 asks ``inspect.signature`` which arguments a render/value method takes,
    once per cell: two thirds of an export's time. The answer depends only on the function, so
    remember it per function (plain functions and bound methods; anything else is asked afresh)."""
    if getattr(utils.signature, "hezuo_cached", False):
        return
    original, known = utils.signature, {}

    def signature(fn):
        if isinstance(fn, types.MethodType):
            key = (fn.__func__, True)
        elif isinstance(fn, types.FunctionType):
            key = (fn, False)
        else:
            return original(fn)
        if key not in known:
            known[key] = original(fn)
        return known[key]

    signature.hezuo_cached = True
    utils.signature = signature


_cache_table_signatures()
CHUNK = 1000
AWARE_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:\d{2}$")
CSV_BOM = "\ufeff"  # so that Excel opens UTF-8 Chinese as Chinese, not mojibake
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def sanitize_cell(value):
    """Prefix a text cell that a spreadsheet would run as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class SafeTableExport(TableExport):
    """django-tables2's in-memory export, neutralised (small, fixed tables such as statistics)."""

    def table_to_dataset(self, table, exclude_columns, dataset_kwargs=None):
        dataset: Dataset = super().table_to_dataset(table, exclude_columns, dataset_kwargs)
        safe = Dataset(title=dataset.title)
        safe.headers = [sanitize_cell(h) for h in dataset.headers or []]
        for row in dataset:
            safe.append([sanitize_cell(c) for c in row])
        return safe


def _chunks(source: Iterable, size: int) -> Iterator[list]:
    batch = []
    for item in source:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def iter_table_values(table, exclude_columns: Iterable[str] = (), chunk_size: int = CHUNK) -> Iterator[list]:
    """What ``Table.as_values`` gives (headers first, then each row's export values), neutralised,
    with the table's queryset read ``chunk_size`` rows at a time instead of all at once."""
    exclude_columns = set(exclude_columns or ())
    columns = [c for c in table.columns.iterall()
               if not (c.column.exclude_from_export or c.name in exclude_columns)]
    yield [sanitize_cell(force_str(c.header, strings_only=True)) for c in columns]
    data = getattr(table.data, "data", None)
    source = data.iterator(chunk_size=chunk_size) if isinstance(data, QuerySet) else iter(table.data)
    for batch in _chunks(source, chunk_size):
        chunk = TableData.from_data(data=batch)
        chunk.set_table(table)
        for row in BoundRows(data=chunk, table=table, pinned_data={"top": None, "bottom": None}):
            yield [_cell(row.get_cell_value(c.name), c.column) for c in columns]


def _cell(value, column=None):
    value = force_str(value, strings_only=True)
    if isinstance(value, str) and (isinstance(column, DateTimeColumn) or AWARE_ISO.match(value)):
        # django-tables2 exports a datetime as its UTC isoformat; read it back to convert it.
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
