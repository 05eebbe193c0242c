"""Ledger, online payment through the sandbox gateway, signed callbacks, allocation, idempotency."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from billing.models import Bill, LedgerEntry, Payment, SandboxTransaction
from billing.services.gateways import get_gateway
from billing.services.ledger import balance, post_bill_charge
from billing.services.payments import reconcile_payment, start_online_payment
from core.models import IdempotencyRecord
from tests.billing.test_bills import AS_OF, assign, bill_for, read
from tests.factories import bind, make_portal_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued_bill(residential):
    account, meter = residential
    assign(account, "ZJ-RES-FLAT")
    read(meter, "2026-11-01", "1000.00")
    read(meter, "2026-12-01", "1300.00")
    return bill_for(account)  # 300 × 0.538 = 161.40


def payment_entries(account) -> int:
    return LedgerEntry.objects.filter(account=account, kind="payment").count()


def test_an_issued_bill_is_charged_once(issued_bill):
    account = issued_bill.account
    assert balance(account=account) == D("161.40")
    post_bill_charge(bill=issued_bill, on=dt.date(2026, 12, 2))  # a retry posts nothing new
    assert LedgerEntry.objects.filter(account=account, kind="charge").count() == 1
    assert balance(account=account) == D("161.40")


def test_online_payment_through_the_sandbox_posts_once_despite_repeated_notifications(
    client, issued_bill, django_capture_on_commit_callbacks
):
    account = issued_bill.account
    customer = make_portal_user()
    bind(user=customer, account=account)
    payment, redirect_url = start_online_payment(
        user=customer, account=account, amount=D("161.40"), return_url="/bills/", as_of=AS_OF
    )
    assert redirect_url == f"/payments/sandbox/checkout/{payment.order_no}"
    client.force_login(customer)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(redirect_url, {"outcome": "pay"})
    # The sandbox notifies three times (PAYMENT_SANDBOX_NOTIFY_TIMES); only the one that posted enqueues
    # the customer's notice, which enqueues its SMS and e-mail delivery.
    assert len(callbacks) == 3 + 1 + 2
    assert list(customer.notifications.values_list("event_key", flat=True)) == [f"payment:{payment.pk}:succeeded"]
    assert response.status_code == 302 and response.url == f"/bills/?order_no={payment.order_no}"
    payment.refresh_from_db()
    assert payment.status == "succeeded" and payment.gateway_txn_id.startswith("SBX")
    assert payment_entries(account) == 1
    assert Bill.objects.get(pk=issued_bill.pk).status == "paid"
    assert balance(account=account) == D("0.00")


@pytest.fixture
def pending_payment(issued_bill):
    payment, _ = start_online_payment(
        user=None, account=issued_bill.account, amount=D("161.40"), return_url="/", as_of=AS_OF
    )
    SandboxTransaction.objects.filter(order_no=payment.order_no).update(status="paid")
    return payment


def signed(payment, **changes):
    txn = SandboxTransaction.objects.get(order_no=payment.order_no)
    params = get_gateway().signed_notification(transaction=txn)
    params.update(changes)
    return params


def test_callback_replayed_ten_times_posts_once(client, pending_payment):
    params = signed(pending_payment)
    answers = [client.post("/payments/notify/sandbox", params).content for _ in range(10)]
    assert answers == [b"success"] * 10
    assert payment_entries(pending_payment.account) == 1
    assert balance(account=pending_payment.account) == D("0.00")


@pytest.mark.parametrize(
    "tamper",
    [
        {"sign": "0" * 64},  # forged signature
        {"amount": "1.00"},  # amount altered after signing
        {"order_no": "MP-someone-else"},  # order altered after signing
        {"status": "paid", "sign": ""},  # unsigned
    ],
)
def test_forged_or_altered_callbacks_post_nothing(client, pending_payment, tamper):
    response = client.post("/payments/notify/sandbox", signed(pending_payment, **tamper))
    assert (response.status_code, response.content) == (400, b"fail")
    assert payment_entries(pending_payment.account) == 0
    assert Payment.objects.get(pk=pending_payment.pk).status == "pending"


def test_validly_signed_callback_with_the_wrong_amount_or_merchant_posts_nothing(client, pending_payment, settings):
    gateway = get_gateway()
    for changes in ({"amount": "1.00"}, {"merchant_id": "SOMEONE-ELSE"}):
        params = {k: v for k, v in signed(pending_payment).items() if k != "sign"} | changes
        params["sign"] = gateway.sign(params)  # signed by the gateway, but not what we ordered
        assert client.post("/payments/notify/sandbox", params).status_code == 400
    assert payment_entries(pending_payment.account) == 0


def test_malformed_callback_bodies_are_refused_not_500(client):
    assert client.post("/payments/notify/sandbox", b"{nope", content_type="application/json").status_code == 400
    assert client.post("/payments/notify/sandbox", b"[1, 2]", content_type="application/json").status_code == 400
    assert client.post("/payments/notify/sandbox", {}).status_code == 400
    assert client.get("/payments/notify/sandbox").status_code == 405


def test_failed_payment_notification_posts_nothing(client, issued_bill):
    payment, _ = start_online_payment(
        user=None, account=issued_bill.account, amount=D("161.40"), return_url="/", as_of=AS_OF
    )
    SandboxTransaction.objects.filter(order_no=payment.order_no).update(status="failed")
    assert client.post("/payments/notify/sandbox", signed(payment)).content == b"success"
    assert Payment.objects.get(pk=payment.pk).status == "failed"
    assert payment_entries(issued_bill.account) == 0


def test_unknown_outcome_is_settled_by_asking_the_gateway(pending_payment):
    Payment.objects.filter(pk=pending_payment.pk).update(status="unknown")  # the notification never came
    settled = reconcile_payment(payment=pending_payment, as_of=AS_OF)
    again = reconcile_payment(payment=pending_payment, as_of=AS_OF)
    assert (settled.status, again.status) == ("succeeded", "succeeded")
    assert payment_entries(pending_payment.account) == 1


def test_payments_go_to_the_oldest_bills_first(residential):
    account, meter = residential
    assign(account, "ZJ-RES-FLAT")
    read(meter, "2026-10-01", "800.00")
    read(meter, "2026-11-01", "1000.00")
    read(meter, "2026-12-01", "1100.00")
    october = bill_for(account, (dt.date(2026, 10, 1), dt.date(2026, 11, 1)))  # 200 × 0.538 = 107.60
    november = bill_for(account)  # 100 × 0.538 = 53.80
    from billing.services.payments import record_counter_payment

    record_counter_payment(
        user=None, account=account, amount=D("120.00"), channel="counter", reference="T1", as_of=AS_OF
    )
    # 120.00 → October 107.60 (paid), November 12.40 of 53.80 (partly paid); balance 53.80 − 12.40 = 41.40
    assert Bill.objects.get(pk=october.pk).status == "paid"
    assert Bill.objects.get(pk=november.pk).status == "partially_paid"
    assert balance(account=account) == D("41.40")


@pytest.fixture
def bank(issued_bill):
    user = get_user_model().objects.create_user(username="bank-icbc", kind="integrator")
    user.user_permissions.add(*Permission.objects.filter(codename__in=["add_payment", "view_payment", "view_account"]))
    client = APIClient()
    client.force_authenticate(user)
    client.user = user
    return client


def test_idempotency_key_same_body_same_response_one_payment(bank, issued_bill):
    body = {"account_number": issued_bill.account.number, "amount": "161.40", "channel": "bank", "reference": "ICBC-9"}
    first = bank.post("/api/v1/payments", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = bank.post("/api/v1/payments", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert first.json()["balance"] == "0.00"
    assert second["Idempotent-Replayed"] == "true"
    assert Payment.objects.filter(account=issued_bill.account).count() == 1


def test_idempotency_key_with_a_different_body_is_422(bank, issued_bill):
    body = {"account_number": issued_bill.account.number, "amount": "10.00", "channel": "bank"}
    assert bank.post("/api/v1/payments", body, format="json", HTTP_IDEMPOTENCY_KEY="k-2").status_code == 201
    response = bank.post("/api/v1/payments", {**body, "amount": "20.00"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert response.status_code == 422
    assert Payment.objects.count() == 1


def test_concurrent_duplicate_is_409(bank, issued_bill):
    from core.idempotency import request_fingerprint

    body = {"account_number": issued_bill.account.number, "amount": "10.00", "channel": "bank"}
    # A first request with this key is still running (claimed, not completed):
    IdempotencyRecord.objects.create(
        user=bank.user, key="k-3", request_hash=request_fingerprint(method="POST", path="/api/v1/payments", body=body)
    )
    response = bank.post("/api/v1/payments", body, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert response.status_code == 409
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("headers", "body", "field"),
    [
        ({}, {"amount": "1", "channel": "bank"}, "Idempotency-Key"),
        (
            {"HTTP_IDEMPOTENCY_KEY": "k"},
            {"account_number": "0000000000", "amount": "1", "channel": "bank"},
            "account_number",
        ),
        ({"HTTP_IDEMPOTENCY_KEY": "k"}, {"amount": "-1", "channel": "bank"}, "amount"),
        ({"HTTP_IDEMPOTENCY_KEY": "k"}, {"amount": "1", "channel": "online"}, "channel"),
    ],
)
def test_bad_payment_requests_are_400(bank, issued_bill, headers, body, field):
    body.setdefault("account_number", issued_bill.account.number)
    response = bank.post("/api/v1/payments", body, format="json", **headers)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Payment.objects.exists()


def test_void_reverses_the_charge(issued_bill):
    from billing.services.bill_review import void_and_rebill
    from security import roles
    from tests.factories import make_staff

    new = void_and_rebill(actor=make_staff(role=roles.BILLING_CLERK), bill=issued_bill, as_of=AS_OF, reason="test")
    kinds = list(LedgerEntry.objects.filter(account=issued_bill.account).order_by("id").values_list("kind", "amount"))
    assert kinds == [("charge", D("161.40")), ("reversal", D("-161.40")), ("charge", new.amount)]
    assert balance(account=issued_bill.account) == new.amount


def test_payments_api_gives_settlement_time_channel_and_bills_paid(bank, issued_bill):
    """A bank payment posted through the API at 00:30 on 3 Dec Shanghai (16:30 UTC on 2 Dec): the ledger
    dates it 3 December, the local day, and the list shows the settlement time and the bill it paid."""
    from unittest import mock

    settled = dt.datetime(2026, 12, 2, 16, 30, tzinfo=dt.UTC)  # clock.now() is UTC
    body = {"account_number": issued_bill.account.number, "amount": "161.40", "channel": "bank", "reference": "ICBC-7"}
    with mock.patch("core.clock.now", return_value=settled):
        assert bank.post("/api/v1/payments", body, format="json", HTTP_IDEMPOTENCY_KEY="k-9").status_code == 201
    entry = LedgerEntry.objects.get(account=issued_bill.account, kind="payment")
    assert entry.occurred_on == dt.date(2026, 12, 3)  # local date, not the UTC date 2 Dec
    [row] = bank.get("/api/v1/payments").json()["results"]
    assert row["settled_at"] == "2026-12-03T00:30:00+08:00"
    assert (row["channel"], row["channel_display"]) == ("bank", "银行代扣")  # zh-hans is the default language
    assert row["bills_paid"] == [
        {"bill_id": issued_bill.pk, "period_start": "2026-11-01", "revision": 1, "amount": "161.40"}
    ]
