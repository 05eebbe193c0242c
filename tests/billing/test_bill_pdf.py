"""The bill PDF: a one-page A4 document with the account, reads, lines and amount due."""

import re

import pytest
from django.urls import reverse

from billing.services.bill_pdf import render_bill_pdf
from security import roles
from tests.billing.test_bills import assign, bill_for, read
from tests.factories import make_staff
from tests.support.pdf import page_count, page_fonts, pdf_text

pytestmark = pytest.mark.django_db


def test_pdf_has_one_page_and_the_figures(residential):
    account, meter = residential
    assign(account, "ZJ-RES-FLAT")
    read(meter, "2026-11-01", "1000.00")
    read(meter, "2026-12-01", "1300.00")
    bill = bill_for(account)
    pdf = render_bill_pdf(bill=bill)
    assert pdf.startswith(b"%PDF-")
    assert page_count(pdf) == 1
    text = pdf_text(pdf)
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


def test_pdf_embeds_its_cjk_font_as_a_subset(residential):
    """Every font the page uses is embedded (/FontFile2: TrueType): the Chinese reads the same on a
    machine without any Chinese font, and the file stays small (a subset)."""
    account, meter = residential
    assign(account, "ZJ-RES-FLAT")
    read(meter, "2026-11-01", "1000.00")
    read(meter, "2026-12-01", "1300.00")
    pdf = render_bill_pdf(bill=bill_for(account))
    fonts = page_fonts(pdf)
    assert fonts and all(f.embedded_bytes > 0 for f in fonts), fonts
    assert all(re.fullmatch(r"[A-Z]{6}\+NotoSansSC(-\w+)?", f.base_font) for f in fonts), fonts
    assert len(pdf) < 400_000


def test_pdf_labels_the_amount_by_the_bills_state(residential):
    """161.40 owed: 应缴金额 ¥161.40; 100.00 paid: 应缴金额 ¥61.40 (161.40 − 100.00) with 已缴 ¥100.00;
    the rest paid: 已缴清, and no "amount due" any more."""
    from decimal import Decimal as D

    from billing.services.payments import record_counter_payment
    from tests.billing.test_bills import AS_OF

    account, meter = residential
    assign(account, "ZJ-RES-FLAT")
    read(meter, "2026-11-01", "1000.00")
    read(meter, "2026-12-01", "1300.00")
    bill = bill_for(account)
    text = pdf_text(render_bill_pdf(bill=bill))
    assert "应缴金额 Amount due" in text and "¥ 161.40" in text and "已缴清" not in text

    def pay(amount: str) -> str:
        record_counter_payment(
            user=None, account=account, amount=D(amount), channel="counter", reference="", as_of=AS_OF
        )
        bill.refresh_from_db()
        return pdf_text(render_bill_pdf(bill=bill))

    text = pay("100.00")
    assert "应缴金额 Amount due (已缴 ¥ 100.00)" in text and "¥ 61.40" in text
    text = pay("61.40")
    assert "已缴清 Paid in full" in text and "应缴金额" not in text


def test_pdf_names_the_registers_in_chinese(residential):
    """A TOU bill's reads: 高峰 / 低谷 (and the total register 总), never the raw codes "peak" / "valley"."""
    account, meter = residential
    assign(account, "ZJ-RES-TOU")
    read(meter, "2026-11-01", "1000.00", peak="600.00", valley="400.00")
    read(meter, "2026-12-01", "1300.00", peak="780.00", valley="520.00")
    text = pdf_text(render_bill_pdf(bill=bill_for(account)))
    assert "高峰 Peak" in text and "低谷 Valley" in text and "总 Total" in text
    reads_block = text[text.index("抄见示数") : text.index("电费明细")]
    assert not re.search(r"\b(peak|valley|total)\b", reads_block)  # only the capitalised English after the Chinese
