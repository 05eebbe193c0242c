"""Staff decisions on bills: release a held bill, or void a bill and issue the next revision.
An issued bill is never edited: a correction is a void plus a new revision that says what it replaces."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from billing.models import Bill, BillingRun
from billing.services.billing_run import BillingContext, announce_issued, compute_bill, due_date_for, save_draft
from billing.services.ledger import apply_unallocated_payments, post_bill_charge, reverse_bill_charge
from core.time import local_date
from security.models import AuditEvent
from security.services.audit import record_event


@transaction.atomic
def release_bill(*, actor, bill: Bill, as_of: dt.datetime, note: str = "", request: HttpRequest | None = None) -> Bill:
    """Issue a held bill as computed, after a clerk checked it: a fresh due date by the issue rule
    counted from today (not the date it would have had, long past), its charge on the ledger (paid at
    once from any credit), and the customer told once, after the release commits."""
    if not actor.has_perm("billing.change_bill"):
        raise PermissionDenied("You may not release bills.")
    bill = Bill.objects.select_for_update().get(pk=bill.pk)
    if bill.status != Bill.Status.HELD:
        raise ValidationError(f"Only held bills can be released; this one is {bill.get_status_display()}.")
    today = local_date(as_of)
    Bill.objects.filter(pk=bill.pk).update(
        status=Bill.Status.ISSUED,
        issued_at=as_of,
        due_date=due_date_for(period_end=bill.period_end, issued_on=today),
    )
    bill.refresh_from_db()
    post_bill_charge(bill=bill, on=today)
    apply_unallocated_payments(account_ids=[bill.account_id])
    announce_issued(bill_ids=[bill.pk])
    record_event(
        action=AuditEvent.Action.UPDATE,
        actor=actor,
        target=bill,
        request=request,
        details={"release": True, "note": note[:200]},
    )
    bill.refresh_from_db()
    return bill


def release_bills(*, actor, bills: QuerySet[Bill], as_of: dt.datetime, request: HttpRequest | None = None) -> int:
    """Release the held ones among ``bills`` (staff's bulk action); returns how many were released."""
    released = 0
    for bill in bills.filter(status=Bill.Status.HELD):
        release_bill(actor=actor, bill=bill, as_of=as_of, request=request)
        released += 1
    return released


@transaction.atomic
def void_and_rebill(*, actor, bill: Bill, as_of: dt.datetime, reason: str, request: HttpRequest | None = None) -> Bill:
    """Void ``bill`` and compute the next revision from the data as it is now (corrected reads,
    edited intervals). Returns the new revision, which records the bill it replaces."""
    if not actor.has_perm("billing.change_bill"):
        raise PermissionDenied("You may not rebill.")
    if not reason.strip():
        raise ValidationError({"reason": "A reason is required to void a bill."})
    bill = Bill.objects.select_for_update().get(pk=bill.pk)
    if bill.status in (Bill.Status.VOID, Bill.Status.PAID, Bill.Status.PARTIALLY_PAID):
        raise ValidationError(f"A {bill.get_status_display()} bill cannot be voided here.")
    Bill.objects.filter(pk=bill.pk).update(status=Bill.Status.VOID)
    reverse_bill_charge(bill=bill, on=local_date(as_of))
    context = BillingContext(accounts=[bill.account], period_start=bill.period_start, period_end=bill.period_end)
    draft = compute_bill(account=bill.account, context=context)
    if isinstance(draft, str):
        raise ValidationError(f"The account cannot be billed: {draft}.")
    run = BillingRun.objects.create(
        period_start=bill.period_start, period_end=bill.period_end, as_of=as_of, account_ids=[bill.account_id]
    )
    new = save_draft(draft=draft, run=run)
    Bill.objects.filter(pk=new.pk).update(replaces=bill)
    if new.status == Bill.Status.ISSUED:  # the corrected bill is a new bill to the customer (a held one waits)
        announce_issued(bill_ids=[new.pk])
    record_event(
        action=AuditEvent.Action.UPDATE,
        actor=actor,
        target=bill,
        request=request,
        details={"void": True, "reason": reason[:200], "new_bill": new.pk, "difference": str(new.amount - bill.amount)},
    )
    new.refresh_from_db()
    return new
