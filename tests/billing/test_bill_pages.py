"""The business hall's bill pages (zh-hans, which groups no thousands: ¥1398.80): /bills/ (list, balance, tier bar), /bills/<id>/ (lines, reads, PDF),
paying online through the sandbox gateway and the return page, /bills/payments/, and the cost calculator
/bills/quote/ — with who may see what.

The bills come from a real billing run: ZJ-RES-FLAT, reads 0 → 2,600 (October 2026) → 2,900 (November).
October: 2,600 kWh all tier 1 → 2,600 × 0.538 = 1,398.80, due 16 Nov 2026 (period end 1 Nov + 15 days).
November: 300 kWh with 2,600 earlier: energy 300 × 0.538 = 161.40, tier 2 (2,900 − 2,760 = 140 kWh)
× 0.05 = 7.00 → 168.40, due 16 Dec 2026.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.urls import reverse

from billing.models import Bill, Payment, RegisterRead, SandboxTransaction, Tariff, TariffAssignment
from billing.services.billing_run import run_billing, start_billing_run
from billing.services.payments import record_counter_payment, sandbox_finish_checkout
from billing.views import hall as views
from customers.models import Account
from security import roles
from tests.factories import SHANGHAI, bind, make_account, make_meter, make_portal_user, make_staff

pytestmark = pytest.mark.django_db

AS_OF = dt.datetime(2026, 12, 2, 9, tzinfo=SHANGHAI)
OCT = (dt.date(2026, 10, 1), dt.date(2026, 11, 1))
NOV = (dt.date(2026, 11, 1), dt.date(2026, 12, 1))


def read(meter, day: str, total: str) -> None:
    RegisterRead.objects.create(
        meter=meter, read_at=dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), tzinfo=SHANGHAI), total=D(total)
    )


def run(account: Account, period) -> Bill:
    billing_run = start_billing_run(period_start=period[0], period_end=period[1], as_of=AS_OF, account_ids=[account.pk])
    run_billing(run_id=billing_run.pk)
    return Bill.objects.get(account=account, period_start=period[0], revision=1)


def on_day(monkeypatch, day: dt.date) -> None:
    """Pin the hall's "today" (overdue and the tier year depend on it)."""
    monkeypatch.setattr(views, "hall_today", lambda: day)


@pytest.fixture
def customer():
    return make_portal_user()


@pytest.fixture
def home(customer):
    """The customer's residential account on ZJ-RES-FLAT with the October and November 2026 bills."""
    account = make_account(number="3301020001", category=Account.Category.RESIDENTIAL)
    bind(user=customer, account=account)
    meter = make_meter(account=account, meter_no="R1")
    TariffAssignment.objects.create(
        account=account, tariff=Tariff.objects.get(code="ZJ-RES-FLAT"), valid_from=dt.date(2024, 1, 1)
    )
    read(meter, "2026-10-01", "0.00")
    read(meter, "2026-11-01", "2600.00")
    read(meter, "2026-12-01", "2900.00")
    october, november = run(account, OCT), run(account, NOV)
    assert (october.amount, october.due_date, october.status) == (D("1398.80"), dt.date(2026, 11, 16), "issued")
    assert (november.amount, november.due_date, november.status) == (D("168.40"), dt.date(2026, 12, 16), "issued")
    return account


@pytest.fixture
def stranger_bill():
    """Somebody else's account and bill."""
    other = make_account(number="3301029999")
    bind(user=make_portal_user(), account=other)
    meter = make_meter(account=other, meter_no="S1")
    TariffAssignment.objects.create(
        account=other, tariff=Tariff.objects.get(code="ZJ-RES-FLAT"), valid_from=dt.date(2024, 1, 1)
    )
    read(meter, "2026-11-01", "100.00")
    read(meter, "2026-12-01", "250.00")
    return run(other, NOV)


def get(client, user, url: str, **params):
    client.force_login(user, backend="security.backends.PhoneOrUsernameBackend")
    return client.get(url, params)


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def bill_row(html: str, bill: Bill) -> str:
    match = re.search(rf'<li class="card bill-item[^"]*" data-bill="{bill.pk}".*?</li>', html, re.S)
    assert match, f"no row for bill {bill.pk}"
    return match.group(0)


def field(html: str, name: str) -> str:
    match = re.search(rf'data-field="{name}">([^<]*)<', html)
    assert match, f"no data-field {name}"
    return match.group(1).strip()


# --- /bills/ -------------------------------------------------------------------------------------------


def test_list_shows_amounts_states_and_the_balance_after_a_partial_payment(client, customer, home, monkeypatch):
    on_day(monkeypatch, dt.date(2026, 12, 1))
    record_counter_payment(
        user=None, account=home, amount=D("500.00"), channel=Payment.Channel.COUNTER, reference="T1", as_of=AS_OF
    )
    october, november = Bill.objects.get(period_start=OCT[0]), Bill.objects.get(period_start=NOV[0])
    assert october.status == "partially_paid"  # payments go to the oldest bill first
    html = html_of(get(client, customer, "/bills/"))

    row = bill_row(html, october)
    # Due 16 Nov, today 1 Dec, 1,398.80 − 500.00 = 898.80 still owed → overdue.
    assert 'data-state="overdue"' in row
    assert (field(row, "amount"), field(row, "outstanding")) == ("¥1398.80", "¥898.80")
    assert "2600.00</span> kWh" in row
    row = bill_row(html, november)
    assert 'data-state="due"' in row and field(row, "outstanding") == "¥168.40"
    # Balance: 1,398.80 + 168.40 − 500.00 = 1,067.20, with the pay-now button.
    assert 'data-testid="amount-due">¥1067.20<' in html
    assert 'data-action="pay-balance"' in html
    assert html.index(f'data-bill="{november.pk}"') < html.index(f'data-bill="{october.pk}"')  # newest first


def test_partly_paid_before_the_due_date_paid_held_and_void(client, customer, home, monkeypatch):
    on_day(monkeypatch, dt.date(2026, 11, 10))
    record_counter_payment(
        user=None, account=home, amount=D("1500.00"), channel=Payment.Channel.BANK, reference="B1", as_of=AS_OF
    )
    # 1,500.00 pays October (1,398.80) and 101.20 of November: 168.40 − 101.20 = 67.20 left.
    october, november = Bill.objects.get(period_start=OCT[0]), Bill.objects.get(period_start=NOV[0])
    html = html_of(get(client, customer, "/bills/"))
    assert 'data-state="paid"' in bill_row(html, october) and field(bill_row(html, october), "outstanding") == "¥0.00"
    assert 'data-state="partly_paid"' in bill_row(html, november)
    assert field(bill_row(html, november), "outstanding") == "¥67.20"
    assert "Pay this bill" in bill_row(html, november) or "缴纳本期" in bill_row(html, november)

    Bill.objects.filter(pk=november.pk).update(status=Bill.Status.HELD)
    Bill.objects.filter(pk=october.pk).update(status=Bill.Status.VOID)
    html = html_of(get(client, customer, "/bills/"))
    assert 'data-state="under_review"' in bill_row(html, november)
    assert "is-void" in bill_row(html, october) and 'data-state="void"' in bill_row(html, october)
    assert 'name="bill"' not in bill_row(html, november)  # nothing to pay on a bill under review


def test_balance_in_credit_and_settled(client, customer, home, monkeypatch):
    on_day(monkeypatch, dt.date(2026, 12, 1))
    record_counter_payment(
        user=None, account=home, amount=D("1600.00"), channel=Payment.Channel.COUNTER, reference="C", as_of=AS_OF
    )
    html = html_of(get(client, customer, "/bills/"))
    # 1,398.80 + 168.40 − 1,600.00 = −32.80: in credit, nothing to pay.
    assert 'data-testid="credit">¥32.80<' in html
    assert 'data-action="pay-balance"' not in html


def test_tier_bar_counts_this_years_live_bills(client, customer, home, monkeypatch):
    on_day(monkeypatch, dt.date(2026, 12, 1))
    html = html_of(get(client, customer, "/bills/"))
    # 2,600 + 300 = 2,900 kWh billed in 2026: tier 2 (2,761–4,800), 4,800 − 2,900 = 1,900 kWh left.
    # Scale 4,800 × 1.25 = 6,000: used 2,900 / 6,000 = 48.3 %, marks at 46.0 % and 80.0 %.
    assert 'data-testid="tier-used">2900<' in html
    assert 'data-tier="2"' in html and "1900" in re.search(r'data-testid="tier-note">(.*?)</p>', html, re.S).group(1)
    assert 'data-percent="48.3"' in html
    assert "left: 46.0%" in html and "left: 80.0%" in html

    Bill.objects.filter(period_start=OCT[0]).update(status=Bill.Status.VOID)  # a void bill does not count
    html = html_of(get(client, customer, "/bills/"))
    assert 'data-testid="tier-used">300<' in html and 'data-tier="1"' in html

    on_day(monkeypatch, dt.date(2027, 1, 5))  # a new tier year starts from zero
    assert 'data-testid="tier-used">0<' in html_of(get(client, customer, "/bills/"))


def test_no_tier_bar_on_a_commercial_tariff(client, customer, monkeypatch):
    on_day(monkeypatch, dt.date(2026, 12, 1))
    shop = make_account(category=Account.Category.COMMERCIAL)
    bind(user=customer, account=shop)
    TariffAssignment.objects.create(
        account=shop, tariff=Tariff.objects.get(code="EX-COM-TOU"), valid_from=dt.date(2024, 1, 1)
    )
    html = html_of(get(client, customer, "/bills/"))
    assert "tier-bar" not in html and 'data-empty="no-bills"' in html and "¥0.00" in html


# --- /bills/<id>/ and the PDF --------------------------------------------------------------------------


def test_detail_shows_lines_reads_and_payments(client, customer, home, monkeypatch):
    on_day(monkeypatch, dt.date(2026, 12, 1))
    november = Bill.objects.get(period_start=NOV[0])
    html = html_of(get(client, customer, f"/bills/{november.pk}/"))
    lines = re.search(r'data-table="lines">.*?</table>', html, re.S).group(0)
    assert re.search(r"300 kWh</td><td class=\"num\">0.538</td><td class=\"num\">161.40<", lines)
    assert re.search(r"140 kWh</td><td class=\"num\">0.05</td><td class=\"num\">7.00<", lines)
    assert "¥168.40" in lines
    reads = re.search(r'data-table="reads">.*?</table>', html, re.S).group(0)
    assert "R1" in reads and "2600.00" in reads and "2900.00" in reads and "×1" in reads and ">300<" in reads
    assert field(html, "outstanding") == "¥168.40" and 'data-action="pay-bill"' in html
    assert f'href="/bills/{november.pk}/pdf"' in html

    record_counter_payment(
        user=None, account=home, amount=D("1500.00"), channel=Payment.Channel.COUNTER, reference="X", as_of=AS_OF
    )
    html = html_of(get(client, customer, f"/bills/{november.pk}/"))
    allocations = re.search(r'data-list="allocations">.*?</ul>', html, re.S).group(0)
    assert "¥101.20" in allocations and field(html, "outstanding") == "¥67.20"


def test_rates_read_without_trailing_zeros():
    assert [views.rate_text(D(v)) for v in ("0.53800", "30.00000", "0.05000", "1.20000", "0.12345")] == [
        "0.538",
        "30.00",
        "0.05",
        "1.20",
        "0.12345",
    ]


def test_pdf_download(client, customer, home):
    november = Bill.objects.get(period_start=NOV[0])
    response = get(client, customer, f"/bills/{november.pk}/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="bill-3301020001-2026-11-r1.pdf"'
    assert response.content.startswith(b"%PDF")


def test_another_customers_bill_and_payment_are_not_found(client, customer, home, stranger_bill):
    for url in (f"/bills/{stranger_bill.pk}/", f"/bills/{stranger_bill.pk}/pdf", "/bills/999999/"):
        assert get(client, customer, url).status_code == 404, url
    response = client.post("/bills/pay", {"bill": stranger_bill.pk})
    assert response.status_code == 404 and not Payment.objects.exists()

    theirs = record_counter_payment(
        user=None, account=stranger_bill.account, amount=D("10.00"), channel="counter", reference="", as_of=AS_OF
    )
    assert get(client, customer, "/bills/payments/return", order_no=theirs.order_no).status_code == 404
    assert get(client, customer, "/bills/payments/return").status_code == 404
    assert theirs.order_no not in html_of(get(client, customer, "/bills/payments/"))
    assert stranger_bill.account.number not in html_of(get(client, customer, "/bills/"))


def test_staff_get_the_customers_only_page_and_visitors_the_login(client):
    client.force_login(make_staff(role=roles.CUSTOMER_SERVICE_AGENT))
    for url in ("/bills/", "/bills/payments/", "/bills/quote/", "/bills/1/"):
        response = client.get(url)
        assert response.status_code == 403 and "customers/not_customer.html" in [t.name for t in response.templates]
    client.logout()
    response = client.get("/bills/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("hall:login"))


def test_no_account_bound(client):
    html = html_of(get(client, make_portal_user(), "/bills/"))
    assert reverse("hall:bind") in html


# --- paying --------------------------------------------------------------------------------------------


def test_pay_the_balance_goes_to_the_sandbox_checkout_with_the_right_amount(client, customer, home):
    client.force_login(customer, backend="security.backends.PhoneOrUsernameBackend")
    response = client.post("/bills/pay")
    payment = Payment.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/payments/sandbox/checkout/{payment.order_no}"
    txn = SandboxTransaction.objects.get(order_no=payment.order_no)
    # The whole balance: 1,398.80 + 168.40 = 1,567.20.
    assert (payment.amount, txn.amount, payment.status, payment.created_by) == (
        D("1567.20"),
        D("1567.20"),
        "pending",
        customer,
    )
    assert txn.return_url == "/bills/payments/return"
    assert client.get("/bills/pay").status_code == 405


def test_pay_one_bill_uses_its_outstanding_amount(client, customer, home):
    client.force_login(customer, backend="security.backends.PhoneOrUsernameBackend")
    november = Bill.objects.get(period_start=NOV[0])
    client.post("/bills/pay", {"bill": november.pk, "amount": "0.01"})  # an amount from the browser is ignored
    assert SandboxTransaction.objects.get().amount == D("168.40")


def test_nothing_to_pay(client, customer, home):
    record_counter_payment(user=None, account=home, amount=D("1567.20"), channel="counter", reference="", as_of=AS_OF)
    client.force_login(customer, backend="security.backends.PhoneOrUsernameBackend")
    response = client.post("/bills/pay")
    assert response.status_code == 302 and response["Location"] == "/bills/" and not SandboxTransaction.objects.exists()


def test_return_page_before_and_after_the_notification(client, customer, home, django_capture_on_commit_callbacks):
    client.force_login(customer, backend="security.backends.PhoneOrUsernameBackend")
    november = Bill.objects.get(period_start=NOV[0])
    client.post("/bills/pay", {"bill": november.pk})
    payment = Payment.objects.get()

    # The customer is back before the gateway's notification: honest "waiting", refreshing itself.
    html = html_of(client.get("/bills/payments/return", {"order_no": payment.order_no}))
    assert (
        'data-payment-status="pending"' in html and 'http-equiv="refresh"' in html and 'data-action="refresh"' in html
    )

    with django_capture_on_commit_callbacks(execute=True):
        sandbox_finish_checkout(user=customer, order_no=payment.order_no, succeed=True)
    html = html_of(client.get("/bills/payments/return", {"order_no": payment.order_no}))
    assert 'data-payment-status="succeeded"' in html and 'http-equiv="refresh"' not in html
    # 168.40 went to the oldest bill (October): 1,567.20 − 168.40 = 1,398.80 still due.
    assert "¥168.40" in html and field(html, "balance").endswith("¥1398.80")


def test_return_page_for_a_failed_payment(client, customer, home, django_capture_on_commit_callbacks):
    client.force_login(customer, backend="security.backends.PhoneOrUsernameBackend")
    client.post("/bills/pay")
    payment = Payment.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        sandbox_finish_checkout(user=customer, order_no=payment.order_no, succeed=False)
    html = html_of(client.get("/bills/payments/return", {"order_no": payment.order_no}))
    assert 'data-payment-status="failed"' in html and 'http-equiv="refresh"' not in html


def test_payment_history(client, customer, home):
    paid = record_counter_payment(
        user=None, account=home, amount=D("1500.00"), channel=Payment.Channel.COUNTER, reference="", as_of=AS_OF
    )
    client.force_login(customer, backend="security.backends.PhoneOrUsernameBackend")
    client.post("/bills/pay")
    pending = Payment.objects.get(status="pending")
    html = html_of(client.get("/bills/payments/"))
    row = re.search(rf'data-order="{paid.order_no}".*?</li>', html, re.S).group(0)
    assert 'data-status="succeeded"' in row and field(row, "amount") == "¥1500.00"
    assert "¥1398.80" in row and "¥101.20" in row  # its allocations to October and November
    row = re.search(rf'data-order="{pending.order_no}".*?</li>', html, re.S).group(0)
    assert field(row, "amount") == "¥67.20" and f"order_no={pending.order_no}" in row
    assert html.index(pending.order_no) < html.index(paid.order_no)  # newest first


def test_payment_history_shows_when_the_money_settled_the_channel_and_the_bills_paid(client, customer, home):
    """Two bank payments recorded today (created_at) for money that settled on 3 and 20 December: the
    page shows the settlement times, newest settlement first, not the day the records were made."""
    early = record_counter_payment(
        user=None,
        account=home,
        amount=D("1398.80"),
        channel=Payment.Channel.BANK,
        reference="",
        as_of=dt.datetime(2026, 12, 20, 16, 45, tzinfo=SHANGHAI),
    )
    late = record_counter_payment(
        user=None,
        account=home,
        amount=D("168.40"),
        channel=Payment.Channel.COUNTER,
        reference="",
        as_of=dt.datetime(2026, 12, 3, 10, 5, tzinfo=SHANGHAI),
    )
    html = html_of(get(client, customer, "/bills/payments/"))
    october, november = Bill.objects.filter(account=home).order_by("period_start")
    bank_row = re.search(rf'data-order="{early.order_no}".*?</li>', html, re.S).group(0)
    assert field(bank_row, "settled-at") == "2026-12-20 16:45"
    assert field(bank_row, "channel") == "银行代扣"
    assert f'data-bill="{october.pk}"' in bank_row and "¥1398.80" in bank_row  # it paid October in full
    counter_row = re.search(rf'data-order="{late.order_no}".*?</li>', html, re.S).group(0)
    assert field(counter_row, "settled-at") == "2026-12-03 10:05"
    assert field(counter_row, "channel") == "营业厅柜台"
    assert f'data-bill="{november.pk}"' in counter_row and "¥168.40" in counter_row
    created = f"{early.created_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"
    assert created not in html  # the records' creation time is not what the customer reads
    assert html.index(early.order_no) < html.index(late.order_no)  # settled 20 Dec before settled 3 Dec


# --- the cost calculator -------------------------------------------------------------------------------


def quote_total(html: str) -> str:
    match = re.search(r'data-testid="quote-total">([^<]*)<', html)
    assert match, "no quote total"
    return match.group(1)


def test_quote_300_kwh_on_the_flat_tariff(client, customer, home):
    html = html_of(
        get(
            client,
            customer,
            "/bills/quote/",
            tariff="ZJ-RES-FLAT",
            month="2026-12",
            kwh_total="300",
            annual_kwh_before="0",
        )
    )
    # 300 × 0.538 = 161.40, all in tier 1.
    assert quote_total(html) == "¥161.40"
    assert re.search(r"300 kWh</td><td class=\"num\">0.538</td><td class=\"num\">161.40<", html)


def test_quote_tier_crossing_and_the_default_annual_kwh(client, customer, home):
    html = html_of(
        get(
            client,
            customer,
            "/bills/quote/",
            tariff="ZJ-RES-FLAT",
            month="2026-12",
            kwh_total="300",
            annual_kwh_before="2600",
        )
    )
    # 2,600 earlier: 160 kWh in tier 1, 140 in tier 2: 300 × 0.538 = 161.40 + 140 × 0.05 = 7.00 → 168.40.
    assert quote_total(html) == "¥168.40"
    # Left empty: the kWh billed earlier in 2026 (2,600 + 300 = 2,900, above tier 1):
    # 300 × 0.538 = 161.40 + 300 × 0.05 = 15.00 → 176.40.
    html = html_of(get(client, customer, "/bills/quote/", tariff="ZJ-RES-FLAT", month="2026-12", kwh_total="300"))
    assert quote_total(html) == "¥176.40"
    # The blank form is pre-filled with this year's billed kWh.
    assert 'value="2900.00"' in html_of(get(client, customer, "/bills/quote/"))


def test_quote_on_the_tou_tariff_of_the_same_category(client, customer, home):
    html = html_of(get(client, customer, "/bills/quote/", tariff="ZJ-RES-TOU"))
    assert 'name="kwh_peak"' in html and 'name="kwh_valley"' in html and 'name="kwh_total"' not in html
    html = html_of(
        get(
            client,
            customer,
            "/bills/quote/",
            tariff="ZJ-RES-TOU",
            month="2026-12",
            kwh_peak="200",
            kwh_valley="100",
            annual_kwh_before="0",
        )
    )
    # peak 200 × 0.568 = 113.60; valley 100 × 0.288 = 28.80 → 142.40.
    assert quote_total(html) == "¥142.40"
    # Another category's tariff is not offered: the account's own tariff is used instead.
    html = html_of(get(client, customer, "/bills/quote/", tariff="EX-IND-2P"))
    assert 'name="kwh_total"' in html and 'value="ZJ-RES-FLAT"' in html


def test_quote_errors_are_shown_on_the_field(client, customer, home):
    html = html_of(get(client, customer, "/bills/quote/", tariff="ZJ-RES-FLAT", month="2026-12", kwh_total="-5"))
    assert 'data-errors="kwh_total"' in html and "quote-total" not in html
    html = html_of(get(client, customer, "/bills/quote/", tariff="ZJ-RES-FLAT", month="2026-13", kwh_total="5"))
    assert 'data-errors="month"' in html
    # The seeded tariffs start in 2024: the quote service's QuoteError(field="period_start") → the month field.
    html = html_of(get(client, customer, "/bills/quote/", tariff="ZJ-RES-FLAT", month="2023-05", kwh_total="5"))
    assert 'data-errors="month"' in html and "quote-total" not in html


def test_quote_for_a_two_part_industrial_tariff_asks_for_the_power_factor(client, customer, monkeypatch):
    on_day(monkeypatch, dt.date(2026, 12, 1))
    factory = make_account(category=Account.Category.INDUSTRIAL, contracted_kva=D("400"))
    bind(user=customer, account=factory)
    TariffAssignment.objects.create(
        account=factory, tariff=Tariff.objects.get(code="EX-IND-2P"), valid_from=dt.date(2024, 1, 1)
    )
    html = html_of(get(client, customer, "/bills/quote/"))
    assert 'name="kwh_sharp"' in html and 'name="power_factor"' in html and 'value="400.00"' in html
    assert 'name="annual_kwh_before"' not in html
    params = {"tariff": "EX-IND-2P", "month": "2026-11", "kwh_sharp": "0", "kwh_peak": "1000", "kwh_flat": "0"}
    html = html_of(
        get(client, customer, "/bills/quote/", **params, kwh_valley="0", contracted_kva="400", power_factor="0.90")
    )
    # capacity 400 kVA × 30 = 12,000.00; peak 1,000 × 0.85 = 850.00; power factor 0.90 → 0 % → 12,850.00.
    assert quote_total(html) == "¥12850.00"
