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


CALLBACKS = 50  # issue 13: fifty simultaneous callbacks for one bill, one posting


def test_fifty_simultaneous_notifications_post_once():
    account = make_account()
    customer = make_portal_user()
    bind(user=customer, account=account)
    as_of = dt.datetime(2026, 12, 2, tzinfo=SHANGHAI)
    payment, _ = start_online_payment(user=None, account=account, amount=D("88.80"), return_url="/", as_of=as_of)
    SandboxTransaction.objects.filter(order_no=payment.order_no).update(status="paid")
    params = get_gateway().signed_notification(transaction=SandboxTransaction.objects.get(order_no=payment.order_no))
    barrier = threading.Barrier(CALLBACKS)
    outcomes = []

    def notify():
        try:
            barrier.wait()
            outcomes.append(handle_gateway_callback(params=params, as_of=as_of))
        finally:
            connection.close()

    threads = [threading.Thread(target=notify) for _ in range(CALLBACKS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [o.accepted for o in outcomes] == [True] * CALLBACKS
    assert sum(o.posted for o in outcomes) == 1
    assert LedgerEntry.objects.filter(payment=payment, kind="payment").count() == 1
    assert Payment.objects.get(pk=payment.pk).status == "succeeded"
    assert list(Notification.objects.filter(user=customer).values_list("event_key", flat=True)) == [
        f"payment:{payment.pk}:succeeded"
    ]
    [sms] = LocmemSmsBackend.outbox
    assert "¥88.80" in sms.body


REQUESTS = 20  # issue 13: twenty simultaneous requests with one Idempotency-Key, one posting


def test_twenty_simultaneous_requests_with_one_idempotency_key_post_once(residential):
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    from tests.billing.test_bills import assign, bill_for, read
    from tests.support.permissions import grant

    account, meter = residential
    assign(account, "ZJ-RES-FLAT")
    read(meter, "2026-11-01", "1000.00")
    read(meter, "2026-12-01", "1300.00")
    bill_for(account)  # 300 × 0.538 = 161.40 owed
    integrator = grant(
        get_user_model().objects.create_user(username="bank-race", kind="integrator"),
        "billing.add_payment",
        "billing.view_payment",
        "customers.view_account",
    )
    body = {"account_number": account.number, "amount": "10.00", "channel": "bank", "reference": "RACE-1"}
    barrier = threading.Barrier(REQUESTS)
    responses = []

    def post():
        client = APIClient()
        client.force_authenticate(integrator)
        try:
            barrier.wait()
            responses.append(client.post("/api/v1/payments", body, format="json", HTTP_IDEMPOTENCY_KEY="race-1"))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(r.status_code for r in responses)
    # One executes (201); the others replay it (201, identical) or are told it is still in flight (409).
    assert set(statuses) <= {201, 409} and statuses.count(201) >= 1 and len(statuses) == REQUESTS
    created = [r.json() for r in responses if r.status_code == 201]
    assert all(body == created[0] for body in created)
    assert Payment.objects.filter(account=account).count() == 1
    assert LedgerEntry.objects.filter(account=account, kind="payment").count() == 1
