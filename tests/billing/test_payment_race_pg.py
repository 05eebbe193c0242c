"""Simultaneous duplicate notifications from the gateway post the payment exactly once (row lock), and the
customer hears of it once: the notice is enqueued by the one callback that posted, after its commit."""

import datetime as dt
import threading
from decimal import Decimal as D

import pytest
from django.db import connection

from billing.models import LedgerEntry, Payment, SandboxTransaction
from billing.services.gateways import get_gateway
from billing.services.payments import handle_gateway_callback, start_online_payment
from customers.sms import LocmemSmsBackend
from services.models import Notification
from tests.factories import SHANGHAI, bind, make_account, make_portal_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_eight_simultaneous_notifications_post_once():
    account = make_account()
    customer = make_portal_user()
    bind(user=customer, account=account)
    as_of = dt.datetime(2026, 12, 2, tzinfo=SHANGHAI)
    payment, _ = start_online_payment(user=None, account=account, amount=D("88.80"), return_url="/", as_of=as_of)
    SandboxTransaction.objects.filter(order_no=payment.order_no).update(status="paid")
    params = get_gateway().signed_notification(transaction=SandboxTransaction.objects.get(order_no=payment.order_no))
    barrier = threading.Barrier(8)
    outcomes = []

    def notify():
        try:
            barrier.wait()
            outcomes.append(handle_gateway_callback(params=params, as_of=as_of))
        finally:
            connection.close()

    threads = [threading.Thread(target=notify) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [o.accepted for o in outcomes] == [True] * 8
    assert sum(o.posted for o in outcomes) == 1
    assert LedgerEntry.objects.filter(payment=payment, kind="payment").count() == 1
    assert Payment.objects.get(pk=payment.pk).status == "succeeded"
    assert list(Notification.objects.filter(user=customer).values_list("event_key", flat=True)) == [
        f"payment:{payment.pk}:succeeded"
    ]
    [sms] = LocmemSmsBackend.outbox
    assert "¥88.80" in sms.body
