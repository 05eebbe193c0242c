"""Late-payment fees: daily from the day after the due date, per category, across a year boundary."""

import datetime as dt
from decimal import Decimal as D

import pytest

from billing.models import Bill, LedgerEntry
from billing.services.late_fees import post_late_fees
from billing.services.ledger import balance
from billing.services.payments import record_counter_payment
from customers.models import Account
from tests.billing.test_bills import AS_OF, assign, bill_for, read
from tests.factories import make_account, make_meter

pytestmark = pytest.mark.django_db


def fees(account) -> list[tuple[dt.date, D]]:
    return list(
        LedgerEntry.objects.filter(account=account, kind="late_fee")
        .order_by("occurred_on")
        .values_list("occurred_on", "amount")
    )


@pytest.fixture
def commercial_bill():
    account = make_account(category=Account.Category.COMMERCIAL, contracted_kva=D("200"), voltage_level="380V")
    meter = make_meter(account=account, meter_no="C9", multiplier=D("10"))
    assign(account, "EX-COM-TOU")
    read(meter, "2026-11-01", "0", sharp="0", peak="0", flat="0", valley="0")
    read(meter, "2026-12-01", "100", sharp="0", peak="100", flat="0", valley="0")
    bill = bill_for(account)  # peak 100 × 10 = 1,000 kWh × 1.00 = 1,000.00, due 16 Dec 2026
    assert (bill.amount, bill.due_date) == (D("1000.00"), dt.date(2026, 12, 16))
    return bill


def test_no_fee_on_or_before_the_due_date(commercial_bill):
    assert post_late_fees(day=dt.date(2026, 12, 16)) == 0
    assert fees(commercial_bill.account) == []


def test_commercial_fee_rises_when_the_arrears_become_last_years(commercial_bill):
    for day in (dt.date(2026, 12, 17), dt.date(2026, 12, 31), dt.date(2027, 1, 1)):
        post_late_fees(day=day)
    # 2026: current year's arrears, 1,000.00 × 0.2 % = 2.00 a day; from 1 Jan 2027 earlier year's: × 0.3 % = 3.00
    assert fees(commercial_bill.account) == [
        (dt.date(2026, 12, 17), D("2.00")),
        (dt.date(2026, 12, 31), D("2.00")),
        (dt.date(2027, 1, 1), D("3.00")),
    ]


def test_running_a_day_twice_posts_once_and_fees_follow_the_outstanding_amount(commercial_bill):
    assert post_late_fees(day=dt.date(2026, 12, 17)) == 1
    assert post_late_fees(day=dt.date(2026, 12, 17)) == 0
    record_counter_payment(
        user=None, account=commercial_bill.account, amount=D("400.00"), channel="counter", reference="x", as_of=AS_OF
    )
    post_late_fees(day=dt.date(2026, 12, 18))
    # 600.00 left unpaid × 0.2 % = 1.20
    assert fees(commercial_bill.account)[-1] == (dt.date(2026, 12, 18), D("1.20"))
    assert Bill.objects.get(pk=commercial_bill.pk).status == "partially_paid"
    # balance = 1,000.00 + 2.00 + 1.20 − 400.00 = 603.20
    assert balance(account=commercial_bill.account) == D("603.20")


def test_residential_fee_is_point_one_percent_in_any_year(residential):
    account, meter = residential
    assign(account, "ZJ-RES-FLAT")
    read(meter, "2026-11-01", "1000.00")
    read(meter, "2026-12-01", "1300.00")
    bill_for(account)  # 161.40
    post_late_fees(day=dt.date(2026, 12, 17))
    post_late_fees(day=dt.date(2027, 1, 2))
    # 161.40 × 0.1 % = 0.1614 → 0.16 on both days
    assert fees(account) == [(dt.date(2026, 12, 17), D("0.16")), (dt.date(2027, 1, 2), D("0.16"))]


def test_paid_and_held_bills_accrue_nothing(commercial_bill):
    record_counter_payment(
        user=None, account=commercial_bill.account, amount=D("1000.00"), channel="counter", reference="x", as_of=AS_OF
    )
    assert post_late_fees(day=dt.date(2026, 12, 20)) == 0
