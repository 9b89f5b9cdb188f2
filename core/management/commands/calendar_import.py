"""Enter the official working-day arrangement (from the State Council notice) as CalendarDay rows.

    manage.py calendar_import 2027.csv

The CSV has a header row and the columns ``date,is_workday,note``:

    date,is_workday,note
    2027-01-01,0,元旦
    2027-02-07,1,春节调休上班

``date`` is YYYY-MM-DD (YYYY/M/D, as Excel writes it, is accepted too);
``is_workday`` is 1/0, true/false or 是/否; ``note`` is optional. List the
holidays and the make-up working days; every other day follows the usual rules.

Every row is checked first and every bad row is reported with its row number
(the header is row 1, as in a spreadsheet); nothing is saved unless the whole
file is valid. Importing the same file again changes nothing but the audit
trail, which gets one event per import.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core import audit
from core.models import CalendarDay

TRUE_VALUES = frozenset({"1", "true", "是"})
FALSE_VALUES = frozenset({"0", "false", "否"})
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d")
NOTE_MAX = CalendarDay._meta.get_field("note").max_length
REQUIRED_COLUMNS = ("date", "is_workday")


@dataclass(frozen=True)
class CalendarRow:
    row: int
    date: date
    is_workday: bool
    note: str


def read_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on a Chinese Windows saves "CSV" in the ANSI code page (GBK).
        try:
            return raw.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path}: the file is neither UTF-8 nor GBK text.") from exc


def parse_date(value: str) -> date:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"“{value}” is not a date (use YYYY-MM-DD)")


def parse_is_workday(value: str) -> bool:
    folded = value.strip().lower()
    if folded in TRUE_VALUES:
        return True
    if folded in FALSE_VALUES:
        return False
    raise ValueError(f"is_workday “{value}” must be 1/0, true/false or 是/否")


def parse_rows(text: str) -> tuple[list[CalendarRow], list[str]]:
    """Every valid row, and one message per bad row (``row N: ...``)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        return [], ["the file is empty"]
    columns = [name.strip().lower() for name in header]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        return [], [f"row 1: the header lacks the column(s) {', '.join(missing)} (expected date,is_workday,note)"]
    index = {name: columns.index(name) for name in ("date", "is_workday", "note") if name in columns}

    rows: list[CalendarRow] = []
    errors: list[str] = []
    seen: dict[date, int] = {}
    for number, record in enumerate(reader, start=2):
        if not any(cell.strip() for cell in record):
            continue

        def cell(name: str, record: list[str] = record) -> str:
            i = index.get(name)
            return record[i].strip() if i is not None and i < len(record) else ""

        problems = []
        day = None
        try:
            day = parse_date(cell("date"))
        except ValueError as exc:
            problems.append(str(exc))
        try:
            working = parse_is_workday(cell("is_workday"))
        except ValueError as exc:
            problems.append(str(exc))
        note = cell("note")
        if len(note) > NOTE_MAX:
            problems.append(f"the note is {len(note)} characters; the limit is {NOTE_MAX}")
        if day is not None and day in seen:
            problems.append(f"{day} is already given in row {seen[day]}")
        if problems:
            errors.append(f"row {number}: " + "; ".join(problems))
            continue
        seen[day] = number
        rows.append(CalendarRow(number, day, working, note))
    if not rows and not errors:
        errors.append("the file has no data rows")
    return rows, errors


class Command(BaseCommand):
    help = "Import the official holiday and make-up working-day arrangement from a CSV file."

    def add_arguments(self, parser):
        parser.add_argument("csv", type=Path, help="CSV with the columns date,is_workday,note")

    def handle(self, *args, **options):
        path: Path = options["csv"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        rows, errors = parse_rows(read_text(path))
        if errors:
            raise CommandError(f"{path}: {len(errors)} bad row(s); nothing was saved.\n" + "\n".join(errors))
        rows.sort(key=lambda r: r.date)
        created = 0
        with transaction.atomic():
            for row in rows:
                day, was_created = CalendarDay.objects.update_or_create(
                    date=row.date,
                    defaults={"is_workday": row.is_workday, "note": row.note},
                )
                created += was_created
            # One event for the whole import, attached to the last day saved.
            audit.record(
                actor=None,
                action="calendar.imported",
                obj=day,
                after={
                    "rows": len(rows),
                    "from": rows[0].date,
                    "to": rows[-1].date,
                    "created": created,
                    "updated": len(rows) - created,
                    "file": path.name,
                },
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {len(rows)} calendar day(s) from {rows[0].date} to {rows[-1].date} "
                f"({created} new, {len(rows) - created} updated)."
            )
        )
