"""What a table page shows, cell by cell, set against its CSV export: the two cannot drift apart.

The page and the export are drawn from one declaration of each column (``core.exports``); the
page may only dress a cell up: a dash for an empty cell, digits grouped by thousands. A cell the
export neutralises (``=``, ``+``, ``-``, ``@``…) carries the apostrophe there and not on the page.
"""

import csv
import io
import re
from html.parser import HTMLParser

from core.exports import sanitize_cell

GROUPED_NUMBER = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")


class _TableCells(HTMLParser):
    """The header texts and the body's cell texts of the first <table> of a page."""

    def __init__(self):
        super().__init__()
        self.headers: list[str] = []
        self.rows: list[list[str]] = []
        self._section = None
        self._cell: list[str] | None = None
        self._done = False

    def handle_starttag(self, tag, attrs):
        if self._done:
            return
        if tag in ("thead", "tbody"):
            self._section = tag
        elif tag == "tr" and self._section == "tbody":
            self.rows.append([])
        elif tag in ("th", "td") and self._section:
            self._cell = []

    def handle_endtag(self, tag):
        if self._done:
            return
        if tag in ("th", "td") and self._cell is not None:
            text = re.sub(r"\s+", " ", "".join(self._cell)).strip()
            (self.headers if self._section == "thead" else self.rows[-1]).append(text)
            self._cell = None
        elif tag == "table":
            self._done = True

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def page_cells(response) -> tuple[list[str], list[list[str]]]:
    assert response.status_code == 200, response.status_code
    parser = _TableCells()
    parser.feed(response.content.decode())
    return parser.headers, parser.rows


def export_rows(client, url: str, **params) -> list[list[str]]:
    response = client.get(url, {**params, "_export": "csv"})
    assert response.status_code == 200, response.status_code
    return list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))


def as_exported(shown: str) -> str:
    """A page cell as the export has it: no dash for nothing, no thousands grouping, neutralised."""
    if shown == "—":
        return ""
    if GROUPED_NUMBER.match(shown):
        shown = shown.replace(",", "")
    return sanitize_cell(shown)


def assert_export_matches_page(client, url: str, *, not_exported: tuple[str, ...] = (), **params) -> int:
    """Every page column (but ``not_exported``, headers of link-only columns) is an export column
    with the same header, and every cell of it says in the export what the page says. Returns the
    number of rows compared."""
    headers, rows = page_cells(client.get(url, params))
    exported = export_rows(client, url, **params)
    assert rows and all(len(row) == len(headers) for row in rows), "the page's rows should fill its columns"
    assert len(exported) == 1 + len(rows), "the export should have the page's rows (one page of them)"
    shown = [h for h in headers if h not in not_exported]
    assert set(shown) <= set(exported[0]), set(shown) - set(exported[0])
    drift = [
        (header, row_number, page_row[headers.index(header)], export_row[exported[0].index(header)])
        for row_number, (page_row, export_row) in enumerate(zip(rows, exported[1:], strict=True), 1)
        for header in shown
        if as_exported(page_row[headers.index(header)]) != export_row[exported[0].index(header)]
    ]
    assert drift == [], drift
    return len(rows)
