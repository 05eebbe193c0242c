"""Customers hear of a bill issued, a payment received or failed and a prepaid balance fallen low exactly
once, after the transaction that caused it commits (issue 17): inbox + SMS by preference, in Chinese,
amounts as ¥ with two decimals, linking to the hall page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import transaction

from billing.models import Bill, PrepaidAccount, RegisterRead, SandboxTransaction
from billing.services.bill_review import release_bill, void_and_rebill
from billing.services.billing_run import run_billing, start_billing_run
from billing.services.gateways import get_gateway
from billing.services.payments import (
    handle_gateway_callback,
    reconcile_payment,
    record_counter_payment,
    start_online_payment,
)
from customers.services.preferences import all_preference_keys, set_notification_preferences
from customers.sms import LocmemSmsBackend
from security import roles
from services.actions.billing_notices import send_low_balance_alerts
from services.models import Notification
from services.tasks import notify_bills_issued_task, notify_payment_task
from tests.billing.test_bills import AS_OF, NOV, assign, at, bill_for, read
from tests.factories import SHANGHAI, bind, make_portal_user, make_staff

pytestmark = pytest.mark.django_db
OCT = (dt.date(2026, 10, 1), dt.date(2026, 11, 1))


@pytest.fixture
def household(residential):
    """The residential account on the flat tariff, 300 kWh in November (¥161.40), one bound user."""
    account, meter = residential
    assign(account, "ZJ-RES-FLAT")
    read(meter, "2026-10-01", "800.00")
    read(meter, "2026-11-01", "1000.00")
    read(meter, "2026-12-01", "1300.00")
    user = make_portal_user()
    bind(user=user, account=account)
    return account, meter, user


def notices(user, prefix: str) -> list[Notification]:
    return list(Notification.objects.filter(user=user, event_key__startswith=prefix).order_by("pk"))


def sms_bodies() -> list[str]:
    return [message.body for message in LocmemSmsBackend.outbox]


def test_a_billing_run_tells_the_customer_of_the_new_bill_once(household, django_capture_on_commit_callbacks):
    account, _meter, user = household
    with django_capture_on_commit_callbacks(execute=True):
        bill = bill_for(account)
    [notice] = notices(user, "bill:")
    assert notice.event_key == f"bill:{bill.pk}:issued"
    assert notice.kind == "bill"
    assert notice.title == "2026年11月电费账单已出"
    assert notice.body == f"户号 {account.number}：2026年11月电费 ¥161.40，请于 2026年12月16日 前缴纳。"
    assert notice.link == f"/bills/{bill.pk}/"
    assert sms_bodies() == [f"【供电营业厅】{notice.title}：{notice.body}"]

    # The task delivered twice (a worker lost after sending) and the period run again: still one of each.
    with django_capture_on_commit_callbacks(execute=True):
        notify_bills_issued_task.apply(kwargs={"bill_ids": [bill.pk]})
        run = start_billing_run(period_start=NOV[0], period_end=NOV[1], as_of=AS_OF, account_ids=[account.pk])
        run_billing(run_id=run.pk)
    assert len(notices(user, "bill:")) == 1
    assert len(sms_bodies()) == 1


def test_a_rolled_back_billing_run_tells_nobody(household, django_capture_on_commit_callbacks):
    account, _meter, user = household
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            bill_for(account)
            raise RuntimeError("the run's transaction is rolled back")
    assert callbacks == []
    assert not Bill.objects.filter(account=account).exists()
    assert not Notification.objects.filter(user=user).exists()
    assert sms_bodies() == []


def test_the_customers_channel_choice_is_kept(household, django_capture_on_commit_callbacks):
    account, _meter, user = household
    set_notification_preferences(user=user, enabled=[key for key in all_preference_keys() if key != ("bill", "sms")])
    with django_capture_on_commit_callbacks(execute=True):
        bill_for(account)
    [notice] = notices(user, "bill:")
    assert set(notice.deliveries.values_list("channel", flat=True)) == {"inbox", "email"}
    assert sms_bodies() == []


def test_a_held_bill_is_announced_when_released_not_before(residential, django_capture_on_commit_callbacks):
    account, meter = residential
    assign(account, "ZJ-RES-FLAT")
    read(meter, "2026-11-01", "1000.00")
    read(meter, "2026-12-01", "1000.00")  # zero usage: held
    user = make_portal_user()
    bind(user=user, account=account)
    with django_capture_on_commit_callbacks(execute=True):
        bill = bill_for(account)
    assert bill.status == "held"
    assert notices(user, "bill:") == []
    released_at = dt.datetime(2026, 12, 20, 10, tzinfo=SHANGHAI)
    with django_capture_on_commit_callbacks(execute=True):
        release_bill(actor=make_staff(role=roles.BILLING_CLERK), bill=bill, as_of=released_at)
    [notice] = notices(user, "bill:")
    # A zero bill asks for nothing (rather than "pay ¥0.00 by …" or "paid from your credit").
    assert notice.body == f"户号 {account.number}：2026年11月电费 ¥0.00，无需缴费。"


def test_a_corrected_bill_is_announced_as_the_new_bill(household, django_capture_on_commit_callbacks):
    account, meter, user = household
    with django_capture_on_commit_callbacks(execute=True):
        bill = bill_for(account)
    RegisterRead.objects.filter(meter=meter, read_at=at("2026-12-01")).update(total=D("1200.00"))  # misread
    with django_capture_on_commit_callbacks(execute=True):
        new = void_and_rebill(actor=make_staff(role=roles.BILLING_CLERK), bill=bill, as_of=AS_OF, reason="misread")
    keys = [n.event_key for n in notices(user, "bill:")]
    assert keys == [f"bill:{bill.pk}:issued", f"bill:{new.pk}:issued"]
    assert "¥107.60" in notices(user, "bill:")[-1].body  # 200 kWh × 0.538


def _online_payment(account, *, outcome: str):
    payment, _url = start_online_payment(user=None, account=account, amount=D("161.40"), return_url="/", as_of=AS_OF)
    SandboxTransaction.objects.filter(order_no=payment.order_no).update(status=outcome)
    return payment


def _callback(payment) -> None:
    params = get_gateway().signed_notification(transaction=SandboxTransaction.objects.get(order_no=payment.order_no))
    assert handle_gateway_callback(params=params, as_of=AS_OF + dt.timedelta(minutes=2)).accepted


def test_a_payment_repeatedly_notified_by_the_gateway_is_acknowledged_once(
    household, django_capture_on_commit_callbacks
):
    account, _meter, user = household
    bill = bill_for(account)
    payment = _online_payment(account, outcome="paid")
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):  # the gateway repeats its notification
            _callback(payment)
        notify_payment_task.apply(kwargs={"payment_id": payment.pk})  # and the task is delivered again
    [notice] = notices(user, "payment:")
    assert notice.event_key == f"payment:{payment.pk}:succeeded"
    assert notice.title == "缴费成功"
    assert notice.body == (
        f"户号 {account.number}：已收到您通过线上（网上营业厅）缴纳的 ¥161.40，已用于缴纳2026年11月电费。目前无待缴电费。"
    )
    assert notice.link == "/bills/payments/"
    assert Bill.objects.get(pk=bill.pk).status == "paid"
    assert len(sms_bodies()) == 1


def test_a_failed_payment_is_told_once_and_nothing_is_owed_for_it(household, django_capture_on_commit_callbacks):
    account, _meter, user = household
    bill_for(account)
    payment = _online_payment(account, outcome="failed")
    with django_capture_on_commit_callbacks(execute=True):
        _callback(payment)
        _callback(payment)
        reconcile_payment(payment=payment, as_of=AS_OF + dt.timedelta(hours=1))  # decided: nothing more
    [notice] = notices(user, "payment:")
    assert notice.event_key == f"payment:{payment.pk}:failed"
    assert notice.title == "缴费未成功"
    assert notice.body == (
        f"户号 {account.number}：您的 ¥161.40 缴费（订单号 {payment.order_no}）未成功，未扣款。您可在网上营业厅重新缴费。"
    )
    assert notice.link == "/bills/"


def test_a_prepaid_balance_falling_low_is_told_once_per_fall(household, django_capture_on_commit_callbacks):
    account, _meter, user = household
    PrepaidAccount.objects.create(account=account, low_balance_threshold=D("50.00"))

    def top_up(amount: str) -> None:
        record_counter_payment(
            user=None, account=account, amount=D(amount), channel="counter", reference="top-up", as_of=AS_OF
        )

    with django_capture_on_commit_callbacks(execute=True):
        top_up("150.00")
    assert notices(user, "payment:")[0].body == (
        f"户号 {account.number}：已收到您通过营业厅柜台缴纳的 ¥150.00。账户余额 ¥150.00。"
    )
    with django_capture_on_commit_callbacks(execute=True):
        bill_for(account, period=OCT)  # 200 kWh × 0.538 = 107.60 from the credit: 42.40 left, below 50.00
    assert notices(user, "bill:")[0].body == f"户号 {account.number}：2026年10月电费 ¥107.60，已由账户余额全额抵扣。"
    [low] = notices(user, "prepaid:")
    assert low.title == "预付费余额不足"
    assert low.body == (f"户号 {account.number}：账户余额 ¥42.40，低于您设置的提醒金额 ¥50.00，请及时充值以免停电。")
    assert low.link == "/bills/"

    # Still low on the following mornings: no second alert.
    for days in (1, 2):
        assert send_low_balance_alerts(as_of=AS_OF + dt.timedelta(days=days)) == 0

    with django_capture_on_commit_callbacks(execute=True):
        top_up("150.00")  # 192.40: above the level again, so the next fall is news
    assert notices(user, "prepaid:")[-1].event_key == f"prepaid:{account.pk}:low:1"
    with django_capture_on_commit_callbacks(execute=True):
        bill_for(account)  # November, 161.40: 31.00 left
    assert [n.event_key for n in notices(user, "prepaid:")] == [
        f"prepaid:{account.pk}:low:1",
        f"prepaid:{account.pk}:low:2",
    ]
    assert "¥31.00" in notices(user, "prepaid:")[1].body
    assert send_low_balance_alerts(as_of=AS_OF + dt.timedelta(days=3)) == 0
