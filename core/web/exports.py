"""Tables for staff pages and their CSV / Excel download, shared by every analytics topic.

A table is a list of dicts plus a column spec; the page renders the same ``Table`` it exports, so a
download always holds exactly the figures on screen. Usage from a view::

    table = Table(key="sales", title=_("Sales"), columns=[Column("month", _("Month")), ...], rows=[...])
    return table_response(table=table, fmt="xlsx", filename="sales-2026")
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.http import HttpResponse

FORMATS = ("csv", "xlsx")
# First characters that make a spreadsheet treat a cell as a formula (OWASP "CSV injection").
FORMULA_TRIGGERS = frozenset("=+-@\t\r\n")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    numeric: bool = False  # right-aligned on screen, a number cell in Excel


@dataclass
class Table:
    key: str  # unique on a page; also the export's URL segment
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    chart: dict[str, Any] | None = None  # optional Chart.js payload drawn above the table
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def chart_id(self) -> str:
        return f"chart-{self.key}"

    @property
    def numeric_positions(self) -> list[int]:
        return [i for i, c in enumerate(self.columns) if c.numeric]

    def cells(self) -> list[list[Any]]:
        """Rows as lists in column order (for templates, which cannot index dicts by variable)."""
        return [[row.get(c.key) for c in self.columns] for row in self.rows]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in FORMULA_TRIGGERS:
        # A spreadsheet runs a text cell starting with = + - @ as a formula (CSV injection), and Excel and
        # LibreOffice skip a leading tab, CR or LF before looking, so those are neutralised too.
        return "'" + value
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def table_csv(*, table: Table) -> bytes:
    """UTF-8 with a byte-order mark: Excel on Chinese Windows opens it without mojibake."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([str(c.label) for c in table.columns])
    for row in table.rows:
        writer.writerow([_text(row.get(c.key)) for c in table.columns])
    return buffer.getvalue().encode("utf-8-sig")


def _cell(value: Any) -> Any:
    # Decimals go to Excel as numbers (it stores floats; the CSV keeps the exact text).
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # openpyxl refuses aware datetimes; values are Asia/Shanghai
    return value


def table_xlsx(*, table: Table) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(table.title)[:31] or "Sheet1"  # Excel's limit on sheet names
    sheet.append([str(c.label) for c in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append([_cell(row.get(c.key)) if c.numeric else _text(row.get(c.key)) for c in table.columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


EXPORTERS: dict[str, tuple[Callable[..., bytes], str]] = {
    "csv": (table_csv, "text/csv; charset=utf-8"),
    "xlsx": (table_xlsx, XLSX_TYPE),
}


def table_response(*, table: Table, fmt: str, filename: str) -> HttpResponse:
    """The table as a download; ``fmt`` is "csv" or "xlsx" (callers validate it, e.g. in the URL)."""
    if fmt not in EXPORTERS:
        raise ValueError(f"unknown export format {fmt!r}")
    render, content_type = EXPORTERS[fmt]
    response = HttpResponse(render(table=table), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def rows_response(*, fmt: str, filename: str, headers: list[str], rows: Iterable[Iterable[Any]]) -> HttpResponse:
    """A plain table (header names and rows as lists) as a download, through the same writers; columns
    whose values are all numbers are numeric cells in Excel."""
    materialised = [list(row) for row in rows]
    columns = [
        Column(
            key=str(i),
            label=header,
            numeric=all(isinstance(row[i], int | float | Decimal) or row[i] is None for row in materialised),
        )
        for i, header in enumerate(headers)
    ]
    table = Table(
        key=filename,
        title=filename,
        columns=columns,
        rows=[{str(i): v for i, v in enumerate(row)} for row in materialised],
    )
    return table_response(table=table, fmt=fmt, filename=filename)
