"""The streamed table exports (core.exports): formula-safe, chunked, in the reader's language and time."""

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import django_tables2 as tables
import openpyxl
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.html import format_html

from core.exports import csv_response, iter_table_values, table_export_response, xlsx_response
from core.models import Palace
from tests.factories import PalaceFactory

HOSTILE = '=HYPERLINK("http://evil.example","点我")'


class PalaceTable(tables.Table):
    name = tables.Column()
    level = tables.Column()
    made = tables.DateTimeColumn(accessor="pk", verbose_name="made", empty_values=())

    class Meta:
        model = Palace
        fields = ["name", "level"]
        order_by = ["code"]

    def value_made(self, record):
        return datetime(2026, 4, 8, 7, 0, tzinfo=ZoneInfo("UTC")).isoformat()


def _read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))


def test_a_hostile_name_is_text_in_csv_and_xlsx_and_csv_opens_as_utf8(db):
    PalaceFactory(code="a-evil", name=HOSTILE)
    PalaceFactory(code="b-plus", name="+86 537 7212345")
    table = PalaceTable(Palace.objects.all())
    body = table_export_response(table, "csv", "palaces.csv").getvalue()  # a stream: read once
    assert body.startswith("\ufeff".encode())  # Excel reads the Chinese as Chinese
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[1][0] == "'" + HOSTILE and rows[2][0] == "'+86 537 7212345"

    sheet = openpyxl.load_workbook(io.BytesIO(table_export_response(table, "xlsx", "p.xlsx").getvalue())).active
    cells = [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))]
    assert cells[0] == "'" + HOSTILE  # a string, not a formula
    assert sheet.cell(row=2, column=1).data_type == "s"


def test_rows_are_read_in_chunks_not_all_at_once(db):
    for i in range(25):
        PalaceFactory(code=f"p{i:02d}", name=f"第{i}工人文化宫")
    table = PalaceTable(Palace.objects.all())
    with CaptureQueriesContext(connection) as queries:
        rows = list(iter_table_values(table, chunk_size=10))
    assert len(rows) == 26 and rows[1][0] == "第0工人文化宫" and rows[-1][0] == "第24工人文化宫"  # sorted, all
    # SQLite's cursor fetches in chunks inside one SELECT; what matters is no query per row.
    assert len(queries) <= 3


def test_a_streamed_export_keeps_the_language_and_time_zone_of_its_request(db):
    PalaceFactory(code="x", name="汶上县工人文化宫", level=Palace.Level.COUNTY)
    with translation.override("en"):
        response = table_export_response(PalaceTable(Palace.objects.all()), "csv", "p.csv")
    with translation.override("zh-hans"):  # the body is read later, under another language
        rows = _read_csv(response)
    with translation.override("en"):
        english = [str(Palace._meta.get_field("name").verbose_name).capitalize(), str(Palace.Level.COUNTY.label)]
    assert [rows[0][0], rows[1][1]] == english and rows[1][1] != str(Palace.Level.COUNTY.label)
    assert rows[1][2] == "2026-04-08 15:00:00"  # the palace's wall clock, not UTC ISO


def test_csv_and_xlsx_writers_take_any_iterable(db):
    rows = iter([["名称", "金额"], ["汶上县", 120000]])
    assert _read_csv(csv_response(rows, "x.csv")) == [["名称", "金额"], ["汶上县", "120000"]]
    book = openpyxl.load_workbook(io.BytesIO(xlsx_response([["a"], [1.5]], "x.xlsx").getvalue()))
    assert book.active.cell(row=2, column=1).value == 1.5


def test_importing_the_exports_patches_nothing_in_django_tables2():
    import django_tables2.utils

    import core.exports  # noqa: F401  (imported by every page already; said here for the reader)

    signature = django_tables2.utils.signature
    # The library's own function, defined in its own module: no wrapper of ours around it.
    assert signature.__module__ == "django_tables2.utils"
    assert signature.__code__.co_filename == django_tables2.utils.__file__
    assert not hasattr(signature, "__wrapped__") and not hasattr(signature, "hezuo_cached")


def test_a_column_without_a_value_method_exports_its_plain_value_never_the_page_html(db):
    class Decorated(tables.Table):
        name = tables.Column()
        level = tables.Column()
        code = tables.Column(exclude_from_export=True)

        class Meta:
            model = Palace
            fields = ["name", "level", "code"]

        def render_name(self, value):
            return format_html('<a href="#">{}</a>', value)

    PalaceFactory(code="x", name="汶上县工人文化宫", level=Palace.Level.COUNTY)
    with translation.override("zh-hans"):
        rows = list(iter_table_values(Decorated(Palace.objects.all())))
        assert rows[1] == ["汶上县工人文化宫", str(Palace.Level.COUNTY.label)]  # a choice reads as its label
    assert len(rows[0]) == 2  # the link-only column is left out
