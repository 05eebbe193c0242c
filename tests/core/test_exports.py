"""The one table writer: CSV with a BOM, Excel with numeric cells, and no formulas smuggled in text."""

from __future__ import annotations

import csv as csv_module
import io
from decimal import Decimal

from openpyxl import load_workbook

from core.web.exports import rows_response


def test_text_that_looks_like_a_formula_is_neutralised_but_numbers_stay_numbers():
    rows = [['=HYPERLINK("http://x")', Decimal("-1.50"), "-打头的备注"], ["3300000001", Decimal("2"), "普通"]]
    csv_text = rows_response(fmt="csv", filename="t", headers=["户号", "kWh", "备注"], rows=rows).content
    lines = csv_text.decode("utf-8-sig").splitlines()
    assert csv_text.startswith(b"\xef\xbb\xbf")
    assert lines[0] == "户号,kWh,备注"
    assert lines[1] == '"\'=HYPERLINK(""http://x"")",-1.50,\'-打头的备注'
    book = load_workbook(
        io.BytesIO(rows_response(fmt="xlsx", filename="t", headers=["a", "b", "c"], rows=rows).content)
    )
    sheet = book.active
    assert sheet["A2"].value == '\'=HYPERLINK("http://x")' and sheet["B2"].value == -1.5 and sheet["B3"].value == 2
    assert sheet["A3"].value == "3300000001"  # account numbers stay text (leading digits kept)


def test_every_formula_trigger_is_neutralised_including_leading_tab_cr_and_lf():
    # Excel and LibreOffice skip a leading tab, CR or LF before deciding a cell is a formula (finding 12).
    hostile = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1", "\n=1+1", "\tcmd"]
    table_rows = [[value] for value in hostile]
    csv_text = rows_response(fmt="csv", filename="t", headers=["x"], rows=table_rows).content.decode("utf-8-sig")

    cells = [row[0] for row in csv_module.reader(io.StringIO(csv_text))][1:]
    assert cells == ["'" + value for value in hostile]
    book = load_workbook(io.BytesIO(rows_response(fmt="xlsx", filename="t", headers=["x"], rows=table_rows).content))
    assert all(book.active.cell(row=i + 2, column=1).value.startswith("'") for i in range(len(hostile)))
