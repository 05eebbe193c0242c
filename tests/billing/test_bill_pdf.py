"""The bill PDF: a one-page A4 document with the account, reads, lines and amount due."""

import base64
import re
import zlib

import pytest
from django.urls import reverse

from billing.services.bill_pdf import render_bill_pdf
from security import roles
from tests.billing.test_bills import assign, bill_for, read
from tests.factories import make_staff

pytestmark = pytest.mark.django_db


def _text_streams(pdf: bytes) -> bytes:
    """Concatenated content streams (where reportlab writes the drawn text), undoing reportlab's
    ASCII85 + Flate encoding."""
    out = b""
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, flags=re.S):
        data = match.group(1).strip()
        if data.endswith(b"~>"):
            data = base64.a85decode(data[:-2].replace(b"\n", b""))
        try:
            out += zlib.decompress(data)
        except zlib.error:
            out += data
    return out


_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"(": b"(", b")": b")", b"\\": b"\\"}


def _unescape(literal: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(literal):
        if literal[i : i + 1] == b"\\":
            octal = re.match(rb"[0-7]{1,3}", literal[i + 1 : i + 4])
            if octal:
                out.append(int(octal.group(), 8))
                i += 1 + len(octal.group())
                continue
            out += _ESCAPES.get(literal[i + 1 : i + 2], b"")
            i += 2
            continue
        out += literal[i : i + 1]
        i += 1
    return bytes(out)


def _drawn_text(streams: bytes) -> str:
    """Every string shown with Tj, decoded as the CID font's UTF-16BE."""
    parts = re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", streams, flags=re.S)
    return "".join(_unescape(part).decode("utf-16-be", errors="replace") for part in parts)


def test_pdf_has_one_page_and_the_figures(residential):
    account, meter = residential
    assign(account, "ZJ-RES-FLAT")
    read(meter, "2026-11-01", "1000.00")
    read(meter, "2026-12-01", "1300.00")
    bill = bill_for(account)
    pdf = render_bill_pdf(bill=bill)
    assert pdf.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type /Page\b", pdf)) == 1
    text = _drawn_text(_text_streams(pdf))
    for figure in (
        account.number,
        "1,000.00",
        "1,300.00",
        "161.40",
        "2026-12-16",
        "ZJ-RES-FLAT",
        "电费通知单",
        "应缴金额",
    ):
        assert figure in text, figure


def test_pdf_in_admin_needs_view_bill(client, residential):
    account, meter = residential
    assign(account, "ZJ-RES-FLAT")
    read(meter, "2026-11-01", "1000.00")
    read(meter, "2026-12-01", "1300.00")
    bill = bill_for(account)
    url = reverse("admin:billing_bill_pdf", args=[bill.pk])
    client.force_login(make_staff(role=roles.BILLING_CLERK))
    response = client.get(url)
    assert response["Content-Type"] == "application/pdf"
    assert f"bill-{account.number}-2026-11-r1.pdf" in response["Content-Disposition"]
    client.force_login(make_staff(role=roles.FIELD_ENGINEER))
    assert client.get(url).status_code == 403
