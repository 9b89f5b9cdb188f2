"""Activities for a service report, read from a venue check-in system's CSV or XLSX export.

All or nothing: ``parse_activities`` either returns every activity in the file or
raises ``ImportRejected`` listing every problem it found, each with the row number
the provider's staff see in Excel (header = 1). Nothing here touches the database;
the service that saves the activities calls this first.

The file type is decided by content, never by name: a ZIP that openpyxl can open is
XLSX, an OLE2 compound file is a legacy .xls, and anything else must decode as text
(UTF-8 with or without BOM, UTF-16 with BOM, else GB18030, which is what Chinese
Excel writes as "CSV") without control characters.
"""

import csv
import datetime
import io
import logging
import math
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass

import filetype
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from core.errors import DomainError
from procurement.models import ServiceCategory

logger = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024
# An XLSX is a ZIP; a small one can unpack to gigabytes of XML (and openpyxl keeps the
# shared-strings table in memory), so the unpacked size is capped as well.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_PARTICIPANTS = 100_000
TITLE_MAX_LENGTH = 200
PLACE_MAX_LENGTH = 100
# Exports sometimes put a caption such as "2026年5月签到记录" above the header row.
HEADER_SEARCH_ROWS = 10
# Rows read beyond ``max_rows`` (blank ones included) before giving up: sheets often carry
# formatted empty rows after the data, but not a million of them in an honest export.
BLANK_ROW_ALLOWANCE = 100_000
# What a spreadsheet treats as the start of a formula when the text is exported again.
FORMULA_PREFIXES = ("=", "+", "-", "@")
SHOWN_VALUE_LENGTH = 40

XLSX_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# --- messages (module constants so tests assert on them) --------------------------------------------

ERR_SUMMARY = ngettext_lazy(
    "The file was not imported because of %(count)d problem. Nothing was saved; fix it and upload the file again.",
    "The file was not imported because of %(count)d problems. Nothing was saved; fix them and upload the file again.",
    "count",
)
ERR_EMPTY = _("The file is empty.")
ERR_TOO_LARGE = _("The file is %(size)s; the limit is %(limit)s.")
ERR_LEGACY_XLS = _(
    "This is an old-style Excel file (.xls). Open it in Excel or WPS, save it as .xlsx or CSV, and upload that file."
)
ERR_NOT_SPREADSHEET = _("This file is a %(kind)s, not a CSV or XLSX spreadsheet. Upload the check-in export.")
ERR_BINARY = _(
    "This file is not a CSV or XLSX spreadsheet: line %(line)d contains binary data (such as NUL bytes). "
    "Save the check-in export again as .xlsx or CSV."
)
ERR_ENCODING = _(
    "The text of this CSV file could not be read: it is neither UTF-8 nor GB18030 (GBK). "
    "Save it again as .xlsx or as “CSV UTF-8”."
)
ERR_CSV_QUOTES = _(
    "The CSV file is damaged near line %(line)d: a quotation mark is not closed, or text follows a closing "
    "quotation mark. Fix the quotation marks there, or save the file again from Excel."
)
ERR_CSV_UNREADABLE = _("The CSV file could not be read near line %(line)d. Save it again from Excel as CSV.")
ERR_XLSX_UNREADABLE = _(
    "The Excel file could not be opened; it may be damaged or password-protected. Save it again as .xlsx or CSV."
)
ERR_XLSX_UNPACKED = _("The Excel file unpacks to more than %(limit)s. Save it as CSV, or split it into smaller files.")
ERR_XLSX_NO_SHEET = _("The Excel file has no worksheet.")
ERR_MISSING_COLUMNS = _(
    "The header row has no column for: %(columns)s. Name the columns in the first row; other columns are ignored."
)
ERR_DUPLICATE_COLUMN = _("The columns “%(first)s” and “%(second)s” both mean %(column)s; keep only one of them.")
ERR_NO_ACTIVITIES = _("The file has a header row but no activities.")
ERR_TOO_MANY_ROWS = _("The file has more than %(limit)d activities; split it into files of at most %(limit)d rows.")
ERR_TOO_MANY_BLANK_ROWS = _(
    "The worksheet has more than %(limit)d rows, most of them empty. Delete the empty rows below the "
    "activities and upload it again."
)

ERR_ROW_NOTHING = _("Row %(row)d has no date, title, category, place or participants; fill them in or delete the row.")
ERR_ROW_FORMULA = _(
    "Row %(row)d: %(columns)s contains a formula. Formulas are not accepted; copy the cells and paste them as values."
)
ERR_ROW_CELL_ERROR = _("Row %(row)d: the %(column)s cell shows the spreadsheet error %(value)s.")
ERR_ROW_DATE_MISSING = _("Row %(row)d: the date is missing.")
ERR_ROW_DATE_INVALID = _("Row %(row)d: “%(value)s” is not a date. Write dates like 2026-05-03 or 2026/5/3.")
ERR_ROW_DATE_OUTSIDE = _("Row %(row)d: the date %(date)s is outside the report period %(start)s – %(end)s.")
ERR_ROW_TITLE_MISSING = _("Row %(row)d: the activity title is missing.")
ERR_ROW_TITLE_TOO_LONG = _("Row %(row)d: the title is %(length)d characters long; the limit is %(limit)d.")
ERR_ROW_TITLE_FORMULA = _(
    "Row %(row)d: the title “%(value)s” starts with “%(char)s”, which a spreadsheet would run as a formula. "
    "Remove that character or start the title with a word."
)
ERR_ROW_PLACE_MISSING = _("Row %(row)d: the place is missing.")
ERR_ROW_PLACE_TOO_LONG = _("Row %(row)d: the place is %(length)d characters long; the limit is %(limit)d.")
ERR_ROW_PLACE_FORMULA = _(
    "Row %(row)d: the place “%(value)s” starts with “%(char)s”, which a spreadsheet would run as a formula. "
    "Remove that character or start the place with a word."
)
ERR_ROW_CATEGORY_MISSING = _("Row %(row)d: the category is missing. Use one of: %(accepted)s.")
ERR_ROW_CATEGORY_UNKNOWN = _("Row %(row)d: the category “%(value)s” is not recognised. Use one of: %(accepted)s.")
ERR_ROW_PARTICIPANTS_MISSING = _("Row %(row)d: the number of participants is missing.")
ERR_ROW_PARTICIPANTS_NEGATIVE = _("Row %(row)d: the number of participants cannot be negative (%(value)s).")
ERR_ROW_PARTICIPANTS_INVALID = _("Row %(row)d: the number of participants “%(value)s” is not a whole number.")
ERR_ROW_PARTICIPANTS_ABSURD = _(
    "Row %(row)d: %(value)s participants is more than the %(limit)d allowed for one activity; check the number."
)

# --- columns and categories -----------------------------------------------------------------------


def _key(text: str) -> str:
    """Fold a header or category the way people vary it: width, case, spaces, ``_``/``-``, a BOM."""
    folded = unicodedata.normalize("NFKC", text).replace("\ufeff", "").casefold()
    return re.sub(r"[\s_\-]+", "", folded)


def _header_key(text: str) -> str:
    """A header's key, also without a trailing note in brackets or a required-field star: 人数(人), *日期."""
    return _key(re.sub(r"\([^()]*\)\s*$", "", unicodedata.normalize("NFKC", text).strip()).strip("*:"))


COLUMN_LABELS = {
    "date": pgettext_lazy("activity import column", "Date"),
    "title": pgettext_lazy("activity import column", "Activity"),
    "category": pgettext_lazy("activity import column", "Category"),
    "place": pgettext_lazy("activity import column", "Place"),
    "participants": pgettext_lazy("activity import column", "Participants"),
}
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "date": ("日期", "活动日期", "签到日期", "date", "activity date"),
    "title": ("活动名称", "名称", "活动", "活动主题", "标题", "活动标题", "title", "activity", "activity name"),
    "category": ("类别", "活动类别", "类型", "活动类型", "服务类别", "category", "type"),
    "place": ("场地", "地点", "活动室", "活动地点", "活动场地", "room", "place", "venue", "location"),
    "participants": (
        "人数",
        "签到人数",
        "参与人数",
        "参加人数",
        "人次",
        "签到人次",
        "participants",
        "attendance",
        "headcount",
        "number of participants",
    ),
}
_HEADER_FIELDS = {_header_key(alias): field for field, aliases in HEADER_ALIASES.items() for alias in aliases}

CATEGORY_ALIASES: dict[str, tuple[str, ...]] = {
    ServiceCategory.TRAINING: ("training", "培训", "技能培训", "讲座"),
    ServiceCategory.CULTURE: ("culture", "cultural", "文化", "文艺", "文化活动"),
    ServiceCategory.SPORTS: ("sports", "sport", "体育", "运动", "健身"),
    ServiceCategory.HEALTH: ("health", "健康", "义诊"),
    ServiceCategory.LEGAL_AID: ("legal_aid", "legal aid", "法律", "法律援助", "普法"),
    ServiceCategory.OTHER: ("other", "其他", "其它"),
}
_CATEGORIES = {_key(alias): str(value) for value, aliases in CATEGORY_ALIASES.items() for alias in aliases}


@dataclass(frozen=True)
class ActivityRow:
    row: int  # as Excel numbers it: the header is row 1, the first activity usually row 2
    date: datetime.date
    title: str
    category: str  # a ServiceCategory value
    place: str
    participants: int


class ImportRejected(DomainError):
    """The file as a whole was refused; ``errors`` holds every problem as (row number or None, message)."""

    def __init__(self, errors: Iterable[tuple[int | None, str]]):
        self.errors: list[tuple[int | None, str]] = list(errors)
        super().__init__(ERR_SUMMARY % {"count": len(self.errors)}, field="file")


def _reject(message) -> ImportRejected:
    return ImportRejected([(None, str(message))])


class _Formula:
    """Stands for an XLSX formula cell: its text is never imported, whatever it computes."""


FORMULA = _Formula()


class _Invalid(Exception):
    """A cell that cannot be imported; ``message`` already names the row."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class _CellError:
    text: str  # "#N/A", "#DIV/0!"


# --- reading the upload ---------------------------------------------------------------------------


def _read(upload) -> bytes:
    size = getattr(upload, "size", None)
    if size and size > MAX_BYTES:
        raise _reject(ERR_TOO_LARGE % {"size": filesizeformat(size), "limit": filesizeformat(MAX_BYTES)})
    if hasattr(upload, "chunks"):
        chunks = upload.chunks()
    else:
        if hasattr(upload, "seek"):
            upload.seek(0)
        chunks = iter(lambda: upload.read(64 * 1024), b"")
    data = bytearray()
    for chunk in chunks:
        data += chunk
        # ``size`` is what the client declared; the bytes are what counts.
        if len(data) > MAX_BYTES:
            raise _reject(
                ERR_TOO_LARGE % {"size": filesizeformat(max(size or 0, len(data))), "limit": filesizeformat(MAX_BYTES)}
            )
    if not data:
        raise _reject(ERR_EMPTY)
    return bytes(data)


def _sheet_rows(data: bytes) -> Iterator[tuple[int, tuple]]:
    """(row number, cell values) for every row of the file, the file type decided by content."""
    if data.startswith(XLSX_MAGIC):
        return _xlsx_rows(data)
    if data.startswith(OLE2_MAGIC):
        raise _reject(ERR_LEGACY_XLS)
    return _csv_rows(_decode(data))


def _not_text(data: bytes, message) -> ImportRejected:
    """Name a recognisable binary type (a renamed PNG, PDF…) rather than complain about its encoding."""
    kind = filetype.guess(data[:8192])
    if kind is not None:
        return _reject(ERR_NOT_SPREADSHEET % {"kind": kind.extension.upper()})
    return _reject(message)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _decode(data: bytes) -> str:
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
            text = data.decode("utf-16")
        else:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise _not_text(data, ERR_ENCODING) from None
    text = text.lstrip("\ufeff")  # GB18030 and UTF-16 keep theirs
    control = _CONTROL.search(text)
    if control:
        line = text.count("\n", 0, control.start()) + 1
        raise _not_text(data, ERR_BINARY % {"line": line})
    return text


def _csv_rows(text: str) -> Iterator[tuple[int, tuple]]:
    first_line, _newline, rest = text.partition("\n")
    sep = re.fullmatch(r"sep=(.)\r?", first_line)
    if sep:  # Excel's delimiter hint; Excel hides that line, so the header is still row 1
        text, delimiter = rest, sep.group(1)
    else:
        delimiter = _sniff_delimiter(text)
    return _csv_records(text, delimiter)


def _csv_records(text: str, delimiter: str) -> Iterator[tuple[int, tuple]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    # A row number is a record number (a quoted cell may span lines, as in Excel);
    # a damaged record is reported by the line it starts on.
    number = 0
    while True:
        start_line = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            detail = str(error)
            quotes = "expected after" in detail or "end of data" in detail or "quote" in detail
            raise _reject((ERR_CSV_QUOTES if quotes else ERR_CSV_UNREADABLE) % {"line": start_line}) from None
        number += 1
        yield number, tuple(record)


def _sniff_delimiter(text: str) -> str:
    """The delimiter under which the first rows best look like our header; a comma when in doubt.

    ``csv.Sniffer`` guesses from character frequencies, which Chinese text and quoted
    commas easily mislead. Knowing which headers to expect is the better evidence.
    """
    sample = text[:65536]
    best, best_score = ",", (0, 0)
    for delimiter in (",", ";", "\t"):
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
        score = (0, 0)
        try:
            for index, record in enumerate(reader):
                if index >= HEADER_SEARCH_ROWS:
                    break
                recognised = len({_HEADER_FIELDS.get(_header_key(cell)) for cell in record} - {None})
                score = max(score, (recognised, len(record)))
        except csv.Error:
            pass
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, tuple]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _reject(ERR_XLSX_UNREADABLE) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise _reject(ERR_XLSX_UNPACKED % {"limit": filesizeformat(MAX_UNPACKED_BYTES)})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no default style" and the like
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises anything from KeyError to XML errors on a damaged file
        logger.info("unreadable XLSX upload", exc_info=True)
        raise _reject(ERR_XLSX_UNREADABLE) from None
    if not workbook.worksheets:
        workbook.close()
        raise _reject(ERR_XLSX_NO_SHEET)
    return _xlsx_records(workbook)


def _xlsx_records(workbook) -> Iterator[tuple[int, tuple]]:
    sheet = workbook.worksheets[0]
    # The <dimension> element is written by whatever made the file and may be stale;
    # trusting it would silently drop the rows below it.
    sheet.reset_dimensions()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # Missing rows come back empty, so counting gives Excel's row numbers.
            for number, cells in enumerate(sheet.iter_rows(), start=1):
                yield number, tuple(_xlsx_value(cell) for cell in cells)
    except Exception:
        logger.info("unreadable XLSX upload", exc_info=True)
        raise _reject(ERR_XLSX_UNREADABLE) from None
    finally:
        workbook.close()


def _xlsx_value(cell):
    if cell.data_type == "f":
        return FORMULA
    if cell.data_type == "e":
        return _CellError(str(cell.value))
    return cell.value


# --- reading the rows -----------------------------------------------------------------------------


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _shown(value) -> str:
    """A cell's content as quoted back in a message: trimmed, and cut short."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text if len(text) <= SHOWN_VALUE_LENGTH else text[: SHOWN_VALUE_LENGTH - 1] + "…"


def _map_header(cells: tuple) -> tuple[dict[str, int], list[tuple[str, int, int]]]:
    """Column index per field, and (field, first index, second index) for fields named twice."""
    columns: dict[str, int] = {}
    duplicates = []
    for index, cell in enumerate(cells):
        if not isinstance(cell, str):
            continue
        field = _HEADER_FIELDS.get(_header_key(cell))
        if field is None:
            continue
        if field in columns:
            duplicates.append((field, columns[field], index))
        else:
            columns[field] = index
    return columns, duplicates


def _missing_columns(columns: dict[str, int]) -> str:
    return "; ".join(
        f"{COLUMN_LABELS[field]} ({' / '.join(aliases)})"
        for field, aliases in HEADER_ALIASES.items()
        if field not in columns
    )


def _find_header(rows: Iterator[tuple[int, tuple]]) -> tuple[dict[str, int], tuple]:
    """Consume rows up to and including the header; return its columns and cells."""
    best: dict[str, int] | None = None
    seen = 0
    for _number, cells in rows:
        if all(_is_blank(cell) for cell in cells):
            continue
        columns, duplicates = _map_header(cells)
        if len(columns) == len(HEADER_ALIASES):
            if duplicates:
                field, first, second = duplicates[0]
                raise _reject(
                    ERR_DUPLICATE_COLUMN
                    % {
                        "first": _shown(cells[first]),
                        "second": _shown(cells[second]),
                        "column": COLUMN_LABELS[field],
                    }
                )
            return columns, cells
        if best is None or len(columns) > len(best):
            best = columns
        seen += 1
        if seen >= HEADER_SEARCH_ROWS:
            break
    if best is None:
        raise _reject(ERR_EMPTY)
    raise _reject(ERR_MISSING_COLUMNS % {"columns": _missing_columns(best)})


def parse_activities(
    upload, *, period_start: datetime.date, period_end: datetime.date, max_rows: int = 10000
) -> list[ActivityRow]:
    """Every activity in a CSV or XLSX check-in export, or ``ImportRejected`` listing every problem.

    Blank rows are skipped. Dates must fall within [period_start, period_end].
    More than ``max_rows`` activities, or more than 10 MB, refuses the whole file.
    """
    data = _read(upload)
    period = (period_start, period_end)
    activities: list[ActivityRow] = []
    errors: list[tuple[int, str]] = []
    with closing(_sheet_rows(data)) as rows:
        columns, header = _find_header(rows)
        header_names = {index: _shown(cell) for index, cell in enumerate(header) if not _is_blank(cell)}
        count = 0
        for number, cells in rows:
            if all(_is_blank(cell) for cell in cells):
                if number > max_rows + BLANK_ROW_ALLOWANCE:
                    raise _reject(ERR_TOO_MANY_BLANK_ROWS % {"limit": max_rows + BLANK_ROW_ALLOWANCE})
                continue
            count += 1
            if count > max_rows:
                raise _reject(ERR_TOO_MANY_ROWS % {"limit": max_rows})
            activity, problems = _parse_row(number, cells, columns, header_names, period)
            if problems:
                errors.extend((number, str(problem)) for problem in problems)
            else:
                activities.append(activity)
    if count == 0:
        raise _reject(ERR_NO_ACTIVITIES)
    if errors:
        raise ImportRejected(errors)
    return activities


def _parse_row(
    number: int,
    cells: tuple,
    columns: dict[str, int],
    header_names: dict[int, str],
    period: tuple[datetime.date, datetime.date],
) -> tuple[ActivityRow | None, list[str]]:
    def cell(field):
        index = columns[field]
        return cells[index] if index < len(cells) else None

    values = {field: cell(field) for field in columns}
    if all(_is_blank(value) for value in values.values()):
        return None, [ERR_ROW_NOTHING % {"row": number}]

    problems: list[str] = []
    formula_columns = [
        header_names.get(index) or get_column_letter(index + 1) for index, value in enumerate(cells) if value is FORMULA
    ]
    if formula_columns:
        problems.append(ERR_ROW_FORMULA % {"row": number, "columns": ", ".join(formula_columns)})

    parsed = {}
    for field, reader in _FIELD_READERS.items():
        value = values[field]
        if value is FORMULA:
            continue
        if isinstance(value, _CellError):
            problems.append(ERR_ROW_CELL_ERROR % {"row": number, "column": COLUMN_LABELS[field], "value": value.text})
            continue
        try:
            parsed[field] = reader(value, number, period)
        except _Invalid as invalid:
            problems.append(invalid.message)
    if problems:
        return None, problems
    return ActivityRow(row=number, **parsed), []


def _text_of(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a room number typed into a number cell
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


_DATE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"  # a check-in time, dropped
)


def _read_date(value, number, period):
    if _is_blank(value):
        raise _Invalid(ERR_ROW_DATE_MISSING % {"row": number})
    if isinstance(value, datetime.datetime):
        day = value.date()
    elif isinstance(value, datetime.date):
        day = value
    else:
        match = _DATE.fullmatch(unicodedata.normalize("NFKC", str(value)).strip()) if isinstance(value, str) else None
        if not match:
            raise _Invalid(ERR_ROW_DATE_INVALID % {"row": number, "value": _shown(value)})
        try:
            day = datetime.date(*(int(part) for part in match.groups()))
        except ValueError:  # 2026-02-30
            raise _Invalid(ERR_ROW_DATE_INVALID % {"row": number, "value": _shown(value)}) from None
    start, end = period
    if not start <= day <= end:
        raise _Invalid(
            ERR_ROW_DATE_OUTSIDE
            % {
                "row": number,
                "date": day.isoformat(),
                "start": start.isoformat(),
                "end": end.isoformat(),
            }
        )
    return day


def _read_text(missing, too_long, formula, limit):
    def read(value, number, period):
        text = _text_of(value)
        if not text:
            raise _Invalid(missing % {"row": number})
        if len(text) > limit:
            raise _Invalid(too_long % {"row": number, "length": len(text), "limit": limit})
        # Kept verbatim otherwise: HTML is escaped where it is shown, but a leading
        # formula character would run when staff export the activities to Excel.
        if text.startswith(FORMULA_PREFIXES):
            raise _Invalid(formula % {"row": number, "value": _shown(text), "char": text[0]})
        return text

    return read


def _accepted_categories() -> str:
    return ", ".join(f"{label} ({value})" for value, label in ServiceCategory.choices)


def _read_category(value, number, period):
    if _is_blank(value):
        raise _Invalid(ERR_ROW_CATEGORY_MISSING % {"row": number, "accepted": _accepted_categories()})
    category = _CATEGORIES.get(_key(_text_of(value)))
    if category is None:
        raise _Invalid(
            ERR_ROW_CATEGORY_UNKNOWN
            % {
                "row": number,
                "value": _shown(value),
                "accepted": _accepted_categories(),
            }
        )
    return category


_NUMBER = re.compile(r"([+-]?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?")
_COUNT_UNITS = ("人次", "人", "名")


def _read_participants(value, number, period):
    if _is_blank(value):
        raise _Invalid(ERR_ROW_PARTICIPANTS_MISSING % {"row": number})
    invalid = _Invalid(ERR_ROW_PARTICIPANTS_INVALID % {"row": number, "value": _shown(value)})
    if isinstance(value, bool):  # a TRUE/FALSE cell; bool is an int to Python
        raise invalid
    if isinstance(value, int):
        count, negative, whole = value, value < 0, True
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise invalid
        count, negative, whole = math.trunc(value), value < 0, value.is_integer()
    elif isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        for unit in _COUNT_UNITS:
            text = text.removesuffix(unit).rstrip()
        match = _NUMBER.fullmatch(text)
        if not match:
            raise invalid
        sign, digits, fraction = match.groups()
        count = int(digits.replace(",", ""))
        whole = not (fraction or "").strip("0")
        negative = sign == "-" and (count > 0 or not whole)
    else:
        raise invalid
    if negative:
        raise _Invalid(ERR_ROW_PARTICIPANTS_NEGATIVE % {"row": number, "value": _shown(value)})
    if not whole:
        raise invalid
    if count > MAX_PARTICIPANTS:
        raise _Invalid(
            ERR_ROW_PARTICIPANTS_ABSURD
            % {
                "row": number,
                "value": _shown(value),
                "limit": MAX_PARTICIPANTS,
            }
        )
    return count


_FIELD_READERS = {
    "date": _read_date,
    "title": _read_text(ERR_ROW_TITLE_MISSING, ERR_ROW_TITLE_TOO_LONG, ERR_ROW_TITLE_FORMULA, TITLE_MAX_LENGTH),
    "category": _read_category,
    "place": _read_text(ERR_ROW_PLACE_MISSING, ERR_ROW_PLACE_TOO_LONG, ERR_ROW_PLACE_FORMULA, PLACE_MAX_LENGTH),
    "participants": _read_participants,
}
