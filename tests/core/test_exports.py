"""The one table writer: CSV with a BOM, Excel with numeric cells, and no formulas smuggled in text."""

from __future__ import annotations

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
