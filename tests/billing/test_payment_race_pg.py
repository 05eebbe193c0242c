"""Simultaneous duplicate notifications from the gateway post the payment exactly once (row lock)."""

import datetime as dt
import threading
from decimal import Decimal as D

import pytest
from django.db import connection

from billing.models import LedgerEntry, Payment, SandboxTransaction
from billing.services.gateways import get_gateway
from billing.services.payments import handle_gateway_callback, start_online_payment
from tests.factories import SHANGHAI, make_account

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_eight_simultaneous_notifications_post_once():
    account = make_account()
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
