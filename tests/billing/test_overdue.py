"""Overdue, one rule for every surface (billing.selectors.overdue): the customer's badge, the staff bill
list, the API, late fees, arrears notices and the dashboard's arrears agree for any day asked about.

The bills (tests/billing/test_bill_pages.py ``home``): October 1,398.80 due 16 Nov, November 168.40 due
16 Dec. October is paid in full on 20 Nov (after its due date); 100.00 of November is paid on 10 Dec,
so 168.40 − 100.00 = 68.40 is still open.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D
from unittest import mock

import pytest
from rest_framework.test import APIClient

from analytics.selectors.dashboard import DashboardFilters, arrears_by_category
from billing.models import Bill, LedgerEntry, Payment
from billing.selectors.overdue import overdue_bills
from billing.services.late_fees import post_late_fees
from billing.services.payments import record_counter_payment
from security import roles
from tests.billing.test_bill_pages import customer, home, on_day  # noqa: F401 - fixtures
from tests.factories import SHANGHAI, make_staff

pytestmark = pytest.mark.django_db


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=SHANGHAI)


@pytest.fixture
def bills(home):  # noqa: F811
    october, november = Bill.objects.filter(account=home).order_by("period_start")
    for amount, day in (("1398.80", "2026-11-20"), ("100.00", "2026-12-10")):
        record_counter_payment(
            user=None, account=home, amount=D(amount), channel=Payment.Channel.COUNTER, reference="", as_of=at(day)
        )
    return october, november


def overdue_on(day: str) -> list[Bill]:
    return list(overdue_bills(on=dt.date.fromisoformat(day)).order_by("period_start"))


def test_the_rule_due_date_passed_and_money_open_at_the_end_of_the_day(bills):
    october, november = bills
    assert overdue_on("2026-11-16") == []  # the due date itself is not late
    assert overdue_on("2026-11-17") == [october]  # open then: its payment settled on 20 Nov
    assert overdue_on("2026-11-20") == []  # paid during the day
    assert overdue_on("2026-12-16") == []
    [late] = overdue_on("2026-12-17")
    assert late == november and late.open_amount == D("68.40")  # 168.40 − 100.00


def test_every_surface_agrees_on_17_december(client, customer, bills, monkeypatch):  # noqa: F811
    october, november = bills
    day = dt.date(2026, 12, 17)
    # the customer's badge
    on_day(monkeypatch, day)
    client.force_login(customer, backend="security.backends.PhoneOrUsernameBackend")
    html = client.get("/bills/").content.decode()
    states = dict(re.findall(r'data-bill="(\d+)".*?data-state="(\w+)"', html, re.S))
    assert states == {str(october.pk): "paid", str(november.pk): "overdue"}
    # the API and the staff bill list ("today" from the clock)
    staff = make_staff(role=roles.BILLING_CLERK)
    with mock.patch("core.clock.now", return_value=at("2026-12-17", 9)):
        api = APIClient()
        api.force_authenticate(staff)
        rows = {r["id"]: r["overdue"] for r in api.get("/api/v1/bills").json()["results"]}
        assert rows == {october.pk: False, november.pk: True}
        client.force_login(staff)
        listed = client.get("/admin/billing/bill/", {"overdue": "yes"}).content.decode()
        assert f"/admin/billing/bill/{november.pk}/change/" in listed
        assert f"/admin/billing/bill/{october.pk}/change/" not in listed
    # the dashboard's arrears on that day: the 68.40 open on November, aged 1 day
    filters = DashboardFilters(month_from=dt.date(2026, 10, 1), month_to=dt.date(2026, 11, 1), as_of=day)
    [row] = arrears_by_category(filters=filters)
    assert (row["total"], row["0_30"], row["bills"]) == (D("68.40"), D("68.40"), 1)


def test_late_fees_follow_the_same_rule_as_of_the_fee_day(bills):
    october, november = bills
    assert post_late_fees(day=dt.date(2026, 11, 17)) == 1  # October was open that day: 1,398.80 × 0.1 %
    assert post_late_fees(day=dt.date(2026, 12, 17)) == 1  # November's open 68.40 × 0.1 %
    fees = {e.bill_id: e.amount for e in LedgerEntry.objects.filter(kind="late_fee")}
    assert fees == {october.pk: D("1.40"), november.pk: D("0.07")}  # 1.3988 → 1.40; 0.0684 → 0.07
    assert post_late_fees(day=dt.date(2026, 12, 16)) == 0  # nothing overdue on the due date
