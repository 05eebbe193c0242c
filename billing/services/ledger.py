"""Posting to the account ledger and allocating payments to bills. Every posting carries a unique
key, so the same event can never be posted twice, whoever retries it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import DecimalField, F, Sum, Value
from django.db.models.functions import Coalesce

from billing.models import Bill, LedgerEntry, Payment, PaymentAllocation
from core.money import round_money
from core.tasks import enqueue_on_commit
from core.time import local_date
from customers.models import Account

ZERO = Decimal("0")
OPEN_BILL_STATUSES = (Bill.Status.ISSUED, Bill.Status.PARTIALLY_PAID)


def post_entry(
    *,
    account: Account,
    kind: str,
    amount: Decimal,
    description: str,
    posting_key: str,
    occurred_on: dt.date,
    bill: Bill | None = None,
    payment: Payment | None = None,
) -> tuple[LedgerEntry, bool]:
    """Post once: returns (entry, created); a second call with the same key returns the first entry.
    A payment's entry inherits its ``is_sandbox`` mark, so test money never looks collected."""
    try:
        with transaction.atomic():
            entry = LedgerEntry.objects.create(
                account=account,
                kind=kind,
                amount=amount,
                description=description[:200],
                posting_key=posting_key,
                occurred_on=occurred_on,
                bill=bill,
                payment=payment,
                is_sandbox=payment is not None and payment.is_sandbox,
            )
            return entry, True
    except IntegrityError:
        return LedgerEntry.objects.get(posting_key=posting_key), False


def bill_charge_key(*, bill: Bill) -> str:
    return f"bill:{bill.pk}:charge"


def bill_charge_entry(*, bill: Bill, on: dt.date) -> LedgerEntry | None:
    """The (unsaved) ledger charge of an issued bill; None for a bill of 0.00, which owes nothing."""
    if not bill.amount:
        return None
    return LedgerEntry(
        account=bill.account,
        kind=LedgerEntry.Kind.CHARGE,
        amount=bill.amount,
        description=f"电费 {bill.period_start:%Y-%m} bill r{bill.revision}",
        posting_key=bill_charge_key(bill=bill),
        occurred_on=on,
        bill=bill,
    )


def post_bill_charge(*, bill: Bill, on: dt.date) -> LedgerEntry | None:
    entry = bill_charge_entry(bill=bill, on=on)
    if entry is None:
        return None
    posted, _ = post_entry(
        account=entry.account,
        kind=entry.kind,
        amount=entry.amount,
        description=entry.description,
        posting_key=entry.posting_key,
        occurred_on=on,
        bill=bill,
    )
    return posted


def reverse_bill_charge(*, bill: Bill, on: dt.date) -> LedgerEntry | None:
    if not LedgerEntry.objects.filter(posting_key=bill_charge_key(bill=bill)).exists():
        return None  # a held bill was never charged
    entry, _ = post_entry(
        account=bill.account,
        kind=LedgerEntry.Kind.REVERSAL,
        amount=-bill.amount,
        description=f"作废 void {bill.period_start:%Y-%m} r{bill.revision}",
        posting_key=f"bill:{bill.pk}:reversal",
        occurred_on=on,
        bill=bill,
    )
    return entry


def balance(*, account: Account) -> Decimal:
    """What the customer owes (negative: in credit), derived from the ledger."""
    total = account.ledger_entries.aggregate(total=Sum("amount"))["total"] or ZERO
    return round_money(total)


def outstanding(*, bill: Bill) -> Decimal:
    paid = bill.allocations.aggregate(total=Sum("amount"))["total"] or ZERO
    return bill.amount - paid


def allocate_payment(*, payment: Payment) -> list[PaymentAllocation]:
    """Apply a settled payment to the account's oldest open bills; what is left stays as credit."""
    remaining = payment.amount - (payment.allocations.aggregate(total=Sum("amount"))["total"] or ZERO)
    allocations = []
    bills = (
        Bill.objects.select_for_update()
        .filter(account=payment.account, status__in=OPEN_BILL_STATUSES)
        .order_by("period_start", "id")
    )
    for bill in bills:
        if remaining <= 0:
            break
        due = outstanding(bill=bill)
        if due <= 0:
            continue
        part = min(due, remaining)
        allocations.append(PaymentAllocation.objects.create(payment=payment, bill=bill, amount=part))
        remaining -= part
        bill.status = Bill.Status.PAID if part == due else Bill.Status.PARTIALLY_PAID
        bill.save(update_fields=["status"])
    return allocations


def announce_payment(*, payment: Payment) -> None:
    """Tell the account's users a payment settled or failed, once that has committed (services
    implements the task by name; its event key keeps a replayed callback from telling twice)."""
    enqueue_on_commit("services.notify_payment", queue="notify", kwargs={"payment_id": payment.pk})


def settle_payment(
    *, payment: Payment, gateway_txn_id: str | None, settled_at: dt.datetime, announce: bool = True
) -> bool:
    """Mark a locked, not yet settled payment as succeeded, post it, allocate it and (``announce``) tell
    the customer after commit. The caller holds the payment row lock. Returns False when it was already
    settled (nothing posted or told again)."""
    if payment.status == Payment.Status.SUCCEEDED:
        return False
    payment.status = Payment.Status.SUCCEEDED
    payment.gateway_txn_id = gateway_txn_id
    payment.settled_at = settled_at
    payment.save(update_fields=["status", "gateway_txn_id", "settled_at"])
    post_entry(
        account=payment.account,
        kind=LedgerEntry.Kind.PAYMENT,
        amount=-payment.amount,
        description=f"缴费 payment {payment.order_no} ({payment.get_channel_display()})",
        posting_key=f"payment:{payment.pk}",
        occurred_on=local_date(settled_at),
        payment=payment,
    )
    allocate_payment(payment=payment)
    if announce:
        announce_payment(payment=payment)
    return True


def apply_unallocated_payments(*, account_ids: list[int]) -> int:
    """Pay newly issued bills from credit left by earlier payments (overpayments, prepaid top-ups);
    returns how many payments were (partly) applied."""
    with_credit = (
        Payment.objects.filter(account_id__in=account_ids, status=Payment.Status.SUCCEEDED)
        .annotate(allocated=Coalesce(Sum("allocations__amount"), Value(ZERO), output_field=DecimalField()))
        .filter(allocated__lt=F("amount"))
        .order_by("settled_at", "id")
    )
    applied = 0
    for payment in with_credit:
        if allocate_payment(payment=payment):
            applied += 1
    return applied
