"""Bills as the business hall shows them: what is paid and owed, and the customer's state of each bill.

Every read starts from an account the caller got through customers.access, or checks the row's
account against accounts_visible_to: another customer's bill is a 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from billing.models import Bill, BillLine, BillRead, Payment, PaymentAllocation
from billing.selectors.overdue import is_overdue, with_open_amount
from core.money import ZERO_MONEY
from customers.access import accounts_visible_to
from customers.models import Account


class BillState(StrEnum):
    """What a customer needs to know about a bill, beyond its stored status: "overdue" as
    billing.selectors.overdue defines it for every surface (due date passed, money still owed)."""

    PAID = "paid"
    PARTLY_PAID = "partly_paid"
    DUE = "due"
    OVERDUE = "overdue"
    UNDER_REVIEW = "under_review"
    VOID = "void"


_OPEN_STATUSES = (Bill.Status.ISSUED, Bill.Status.PARTIALLY_PAID)
MONEY = DecimalField(max_digits=14, decimal_places=2)


def bill_state(*, bill: Bill, outstanding: Decimal, today: dt.date) -> BillState:
    if bill.status == Bill.Status.VOID:
        return BillState.VOID
    if bill.status in (Bill.Status.HELD, Bill.Status.DRAFT):
        return BillState.UNDER_REVIEW
    if outstanding <= 0:
        return BillState.PAID
    if is_overdue(due_date=bill.due_date, open_amount=outstanding, on=today):
        return BillState.OVERDUE
    return BillState.PARTLY_PAID if bill.status == Bill.Status.PARTIALLY_PAID else BillState.DUE


@dataclass(frozen=True)
class BillSummary:
    bill: Bill
    paid: Decimal
    outstanding: Decimal  # zero for held and void bills: nothing is owed on them
    state: BillState

    @property
    def payable(self) -> bool:
        return self.bill.status in _OPEN_STATUSES and self.outstanding > 0


def _summary(bill: Bill, *, today: dt.date) -> BillSummary:
    paid = bill.paid_by  # type: ignore[attr-defined]  # annotated by the list query
    owed = bill.open_amount if bill.status in _OPEN_STATUSES else ZERO_MONEY  # type: ignore[attr-defined]  # annotated by with_open_amount
    return BillSummary(
        bill=bill, paid=paid, outstanding=owed, state=bill_state(bill=bill, outstanding=owed, today=today)
    )


def bills_visible_to(*, user, today: dt.date) -> QuerySet[Bill]:
    """The API's bills: those of every account ``user`` reaches, with lines and reads, newest period
    first, annotated with the open amount on ``today`` (for "overdue"). Only staff see drafts and held
    bills (they are not final yet)."""
    visible = Bill.objects.filter(account__in=accounts_visible_to(user=user))
    if not user.is_staff:
        visible = visible.exclude(status__in=[Bill.Status.DRAFT, Bill.Status.HELD])
    # What is paid per bill as a subquery: computed for the page's rows only, in the same statement,
    # so the serializer's "outstanding" needs no query per bill.
    paid = (
        PaymentAllocation.objects.filter(bill=OuterRef("pk"))
        .order_by()
        .values("bill")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return (
        with_open_amount(visible, on=today, up_to_now=True)
        .select_related("account", "tariff")
        .prefetch_related("lines", "reads__meter")
        .annotate(paid_total=Coalesce(Subquery(paid), Value(Decimal(0)), output_field=MONEY))
        .order_by("-period_start", "-revision")
    )


def bills_for_account(*, account: Account, today: dt.date) -> list[BillSummary]:
    """The account's bills, newest period first (drafts are never shown; void ones are, greyed)."""
    bills = with_open_amount(
        Bill.objects.filter(account=account).exclude(status=Bill.Status.DRAFT).select_related("tariff"),
        on=today,
        up_to_now=True,
    ).order_by("-period_start", "-revision")
    return [_summary(bill, today=today) for bill in bills]


def access_bill(*, user, bill_id: int, today: dt.date) -> BillSummary:
    """One bill of an account ``user`` may reach, with what is paid and owed; otherwise 404."""
    bill = (
        with_open_amount(
            Bill.objects.filter(pk=bill_id, account__in=accounts_visible_to(user=user)), on=today, up_to_now=True
        )
        .exclude(status=Bill.Status.DRAFT)
        .select_related("account", "tariff")
        .first()
    )
    if bill is None:
        raise Http404("No such bill")
    return _summary(bill, today=today)


@dataclass(frozen=True)
class BillDetail:
    summary: BillSummary
    lines: list[BillLine]
    reads: list[BillRead]
    allocations: list[PaymentAllocation]


def bill_detail(*, summary: BillSummary) -> BillDetail:
    bill = summary.bill
    return BillDetail(
        summary=summary,
        lines=list(bill.lines.order_by("position")),
        reads=list(bill.reads.select_related("meter").order_by("meter__meter_no", "start_at", "register")),
        allocations=list(
            bill.allocations.filter(payment__status=Payment.Status.SUCCEEDED)
            .select_related("payment")
            .order_by("payment__settled_at", "id")
        ),
    )
