"""Prepaid accounts: top-ups leave credit, bills draw it down, a low-balance alert once per fall below
the customer's level (not every day it stays low)."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from billing.models import PrepaidAccount
from billing.services.payments import record_counter_payment
from billing.services.prepaid import credit, set_low_balance_threshold
from services.actions.billing_notices import send_low_balance_alerts
from services.models import Notification
from tests.billing.test_bills import AS_OF, assign, bill_for, read
from tests.factories import SHANGHAI, bind, make_portal_user

pytestmark = pytest.mark.django_db


def test_top_up_bill_and_low_balance_alert(residential):
    account, meter = residential
    PrepaidAccount.objects.create(account=account, low_balance_threshold=D("50.00"))
    user = make_portal_user()
    bind(user=user, account=account)
    record_counter_payment(
        user=None, account=account, amount=D("200.00"), channel="counter", reference="top-up", as_of=AS_OF
    )
    assert credit(account=account) == D("200.00")
    assign(account, "ZJ-RES-FLAT")
    read(meter, "2026-11-01", "1000.00")
    read(meter, "2026-12-01", "1300.00")
    bill = bill_for(account)  # 300 × 0.538 = 161.40, paid from the credit at once
    # 200.00 − 161.40 = 38.60 left, below the 50.00 threshold
    assert credit(account=account) == D("38.60")
    day = dt.datetime(2026, 12, 3, 9, tzinfo=SHANGHAI)
    assert send_low_balance_alerts(as_of=day) == 1
    assert send_low_balance_alerts(as_of=day + dt.timedelta(hours=5)) == 0
    # Still low the next day and the day after: the customer was told once, not every morning.
    assert send_low_balance_alerts(as_of=day + dt.timedelta(days=1)) == 0
    assert send_low_balance_alerts(as_of=day + dt.timedelta(days=2)) == 0
    assert "¥38.60" in Notification.objects.get(user=user, event_key__startswith="prepaid:").body
    assert (bill.amount, bill.status) == (D("161.40"), "paid")


def test_the_customer_sets_the_threshold(residential):
    account, _ = residential
    PrepaidAccount.objects.create(account=account)
    assert set_low_balance_threshold(account=account, threshold=D("20")).low_balance_threshold == D("20.00")
    with pytest.raises(ValidationError):
        set_low_balance_threshold(account=account, threshold=D("-1"))


def test_accounts_above_their_threshold_are_not_alerted(residential):
    account, _ = residential
    PrepaidAccount.objects.create(account=account, low_balance_threshold=D("50.00"))
    record_counter_payment(
        user=None, account=account, amount=D("80.00"), channel="counter", reference="top-up", as_of=AS_OF
    )
    assert send_low_balance_alerts(as_of=dt.datetime(2026, 12, 3, tzinfo=SHANGHAI)) == 0
