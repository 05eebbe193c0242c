"""The bill PDF: a one-page A4 document with the account, reads, lines and amount due."""

import pytest
from django.urls import reverse

from billing.services.bill_pdf import render_bill_pdf
from security import roles
from tests.billing.test_bills import assign, bill_for, read
from tests.factories import make_staff
from tests.support.pdf import page_count, pdf_text

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
