"""Reminders before the due date and arrears notices after it: once per bill, only while unpaid."""

import datetime as dt
from decimal import Decimal as D

import pytest

from billing.services.payments import record_counter_payment
from services.actions.billing_notices import send_arrears_notices, send_bill_reminders
from services.models import Notification
from tests.billing.test_bills import AS_OF, assign, bill_for, read
from tests.factories import SHANGHAI, bind, make_portal_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def bill_and_user(residential):
    account, meter = residential
    assign(account, "ZJ-RES-FLAT")
    read(meter, "2026-11-01", "1000.00")
    read(meter, "2026-12-01", "1300.00")
    user = make_portal_user()
    bind(user=user, account=account)
    return bill_for(account), user  # 161.40 due 16 Dec 2026


def test_reminder_three_days_before_the_due_date_once(bill_and_user):
    bill, user = bill_and_user
    assert send_bill_reminders(as_of=dt.datetime(2026, 12, 12, 9, tzinfo=SHANGHAI)) == 0  # 4 days before
    assert send_bill_reminders(as_of=dt.datetime(2026, 12, 13, 9, tzinfo=SHANGHAI)) == 1
    assert send_bill_reminders(as_of=dt.datetime(2026, 12, 13, 18, tzinfo=SHANGHAI)) == 0  # same day, again
    note = Notification.objects.get(user=user)
    assert note.event_key == f"bill:{bill.pk}:reminder"
    assert "¥161.40" in note.body and "12月16日" in note.body


def test_arrears_notice_after_the_due_date_only_if_unpaid(bill_and_user):
    bill, user = bill_and_user
    assert send_arrears_notices(as_of=dt.datetime(2026, 12, 16, 9, tzinfo=SHANGHAI)) == 0  # due today, not late
    record_counter_payment(
        user=None, account=bill.account, amount=D("100.00"), channel="counter", reference="x", as_of=AS_OF
    )
    assert send_arrears_notices(as_of=dt.datetime(2026, 12, 17, 9, tzinfo=SHANGHAI)) == 1
    # 161.40 − 100.00 = 61.40 still owed
    assert "¥61.40" in Notification.objects.get(user=user, event_key__endswith=":overdue").body
    assert send_arrears_notices(as_of=dt.datetime(2026, 12, 18, 9, tzinfo=SHANGHAI)) == 0


def test_paid_bills_get_no_reminder(bill_and_user):
    bill, user = bill_and_user
    record_counter_payment(
        user=None, account=bill.account, amount=D("161.40"), channel="counter", reference="x", as_of=AS_OF
    )
    assert send_bill_reminders(as_of=dt.datetime(2026, 12, 13, 9, tzinfo=SHANGHAI)) == 0
    assert not Notification.objects.filter(user=user).exists()
