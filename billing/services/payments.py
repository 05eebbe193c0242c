"""Payments: online through a gateway (signed, repeated, asynchronous notifications), and counter /
bank payments posted by integrators. A payment is posted to the ledger exactly once, under a row
lock, and success is answered only after the transaction commits."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404

from billing.models import Payment, SandboxTransaction
from billing.selectors.bills import access_bill
from billing.services.gateways import InvalidNotification, SandboxGateway, get_gateway
from billing.services.ledger import announce_payment, balance, settle_payment
from core.tasks import enqueue_on_commit
from core.time import local_date
from customers.access import accounts_visible_to
from customers.models import Account


@dataclass(frozen=True)
class CallbackOutcome:
    accepted: bool  # answer the gateway "success" (it stops notifying) or "fail"
    posted: bool  # this notification changed our books
    reason: str


def new_order_no(*, as_of: dt.datetime) -> str:
    return f"MP{as_of:%Y%m%d%H%M%S}{secrets.token_hex(4).upper()}"


@transaction.atomic
def start_online_payment(
    *, user, account: Account, amount: Decimal, return_url: str, as_of: dt.datetime
) -> tuple[Payment, str]:
    """A PENDING payment and the gateway page to send the customer to."""
    if amount <= 0:
        raise ValueError("amount must be positive")
    gateway = get_gateway()
    payment = Payment.objects.create(
        account=account,
        amount=amount,
        channel=Payment.Channel.ONLINE,
        order_no=new_order_no(as_of=as_of),
        is_sandbox=gateway.is_test,
        created_by=user,
    )
    redirect_url = gateway.create_checkout(order_no=payment.order_no, amount=amount, return_url=return_url)
    return payment, redirect_url


def start_hall_payment(
    *, user, account: Account, bill_id: int | None, return_url: str, as_of: dt.datetime
) -> tuple[Payment, str] | None:
    """The business hall's pay buttons: pay one bill's outstanding amount (a bill of an account ``user``
    reaches, else 404), or without ``bill_id`` the account's balance. The amount always comes from our
    books, never from the browser. None when nothing is owed (a paid bill, a held one, a balance in
    credit); otherwise the PENDING payment and the gateway page to send the customer to."""
    if bill_id:
        summary = access_bill(user=user, bill_id=bill_id, today=local_date(as_of))
        account, amount = summary.bill.account, summary.outstanding if summary.payable else Decimal(0)
    else:
        amount = balance(account=account)
    if amount <= 0:
        return None
    return start_online_payment(user=user, account=account, amount=amount, return_url=return_url, as_of=as_of)


def handle_gateway_callback(*, params: dict[str, str], as_of: dt.datetime) -> CallbackOutcome:
    """Verify the signature first, then merchant, order number and amount against ours; then post
    under the payment's row lock. Replays after success post nothing and are still acknowledged."""
    gateway = get_gateway()
    try:
        notice = gateway.verify(params=params)
    except InvalidNotification as exc:
        return CallbackOutcome(accepted=False, posted=False, reason=str(exc))
    if notice.merchant_id != settings.PAYMENT_MERCHANT_ID:
        return CallbackOutcome(accepted=False, posted=False, reason="another merchant's notification")
    with transaction.atomic():
        payment = Payment.objects.select_for_update().filter(order_no=notice.order_no).first()
        if payment is None:
            return CallbackOutcome(accepted=False, posted=False, reason="unknown order")
        if notice.amount != payment.amount:
            return CallbackOutcome(accepted=False, posted=False, reason="amount differs from the order")
        if notice.status == "failed":
            fail_payment(payment=payment, failed_at=as_of)
            return CallbackOutcome(accepted=True, posted=False, reason="payment failed at the gateway")
        posted = settle_payment(payment=payment, gateway_txn_id=notice.txn_id, settled_at=as_of)
    return CallbackOutcome(accepted=True, posted=posted, reason="posted" if posted else "already posted")


def fail_payment(*, payment: Payment, failed_at: dt.datetime) -> bool:
    """Mark a locked PENDING/UNKNOWN payment failed and tell the customer after commit; False when it
    was already decided (a replayed failure notice changes and tells nothing)."""
    if payment.status not in (Payment.Status.PENDING, Payment.Status.UNKNOWN):
        return False
    Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.FAILED, settled_at=failed_at)
    announce_payment(payment=payment)
    return True


@transaction.atomic
def record_counter_payment(
    *,
    user,
    account: Account,
    amount: Decimal,
    channel: str,
    reference: str,
    as_of: dt.datetime,
    announce: bool = True,
) -> Payment:
    """A payment taken elsewhere (counter, bank collection), posted at once; ``announce``: the customer
    is told after commit (not for seeded demo history)."""
    payment = Payment.objects.create(
        account=account,
        amount=amount,
        channel=channel,
        reference=reference[:100],
        order_no=new_order_no(as_of=as_of),
        created_by=user,
    )
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    settle_payment(payment=payment, gateway_txn_id=None, settled_at=as_of, announce=announce)
    return payment


def reconcile_payment(*, payment: Payment, as_of: dt.datetime) -> Payment:
    """Settle a PENDING/UNKNOWN payment by asking the gateway — never by retrying the charge."""
    answer = get_gateway().query(order_no=payment.order_no)
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status not in (Payment.Status.PENDING, Payment.Status.UNKNOWN):
            return locked
        if answer is not None and answer.status == "paid":
            settle_payment(payment=locked, gateway_txn_id=answer.txn_id, settled_at=as_of)
        elif answer is None or answer.status == "failed":
            fail_payment(payment=locked, failed_at=as_of)
    return Payment.objects.get(pk=payment.pk)


def reconcile_open_payments(*, payments: QuerySet[Payment], as_of: dt.datetime) -> list[Payment]:
    """Settle the PENDING/UNKNOWN ones among ``payments`` by asking the gateway (staff's "reconcile")."""
    open_payments = payments.filter(status__in=[Payment.Status.PENDING, Payment.Status.UNKNOWN])
    return [reconcile_payment(payment=p, as_of=as_of) for p in open_payments]


def reconcile_payments(*, as_of: dt.datetime, older_than: dt.timedelta) -> list[int]:
    """The beat job: every open payment older than ``older_than``."""
    stale = Payment.objects.filter(created_at__lt=as_of - older_than)
    return [p.pk for p in reconcile_open_payments(payments=stale, as_of=as_of)]


def sandbox_transaction_for(*, user, order_no: str) -> SandboxTransaction:
    """The sandbox order behind ``order_no`` if ``user`` may pay it: the payment's account must be one
    the user reaches (their own bound account). Anyone else gets 404, whatever the order number."""
    payment = Payment.objects.filter(
        order_no=order_no, is_sandbox=True, account__in=accounts_visible_to(user=user)
    ).first()
    txn = SandboxTransaction.objects.filter(order_no=order_no).first() if payment is not None else None
    if txn is None:
        raise Http404("No such order")
    return txn


def deliver_sandbox_notification(*, order_no: str, as_of: dt.datetime) -> CallbackOutcome:
    """The sandbox gateway's asynchronous notification of one order, signed as the gateway signs it,
    delivered to our own callback handling."""
    txn = SandboxTransaction.objects.get(order_no=order_no)
    gateway = get_gateway()
    assert isinstance(gateway, SandboxGateway)  # only the sandbox gateway makes sandbox transactions
    return handle_gateway_callback(params=gateway.signed_notification(transaction=txn), as_of=as_of)


def sandbox_finish_checkout(*, user, order_no: str, succeed: bool) -> SandboxTransaction:
    """The sandbox's pay page: the customer pays (or fails); the gateway then notifies us, repeatedly."""
    txn = sandbox_transaction_for(user=user, order_no=order_no)
    if txn.status == SandboxTransaction.Status.CREATED:
        txn.status = SandboxTransaction.Status.PAID if succeed else SandboxTransaction.Status.FAILED
        txn.save(update_fields=["status"])
    for _ in range(settings.PAYMENT_SANDBOX_NOTIFY_TIMES):
        enqueue_on_commit("billing.deliver_sandbox_notification", queue="notify", kwargs={"order_no": order_no})
    return txn
