"""Overdue, defined once and read by every surface (the customer's bill badge, the staff bill list, the
API, late fees, arrears notices and the dashboard's arrears).

A bill is **overdue on a day** when it is live (issued, partly paid or paid — never held, draft or void;
a bill replaced by a newer revision is void), its due date is before that day, and it still owed money at the
end of that day: its amount less the allocations of succeeded payments settled by then. Nothing is
stored: "overdue" is computed from the due date and the open balance as of the day asked about, so it
can never go stale and two surfaces asking about the same day always agree.

Payments through a test (sandbox) gateway paid the bill as far as the customer is concerned; only the
dashboard's money figures leave them out (``real_money_only``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import BooleanField, Case, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce

from billing.models import Bill, Payment
from core.time import local_midnight

MONEY_FIELD = DecimalField(max_digits=16, decimal_places=2)
LIVE_STATUSES = (Bill.Status.ISSUED, Bill.Status.PARTIALLY_PAID, Bill.Status.PAID)
ZERO = Decimal("0.00")


def end_of(day: dt.date) -> dt.datetime:
    """The end of ``day`` in Asia/Shanghai (00:00 of the next day)."""
    return local_midnight(day + dt.timedelta(days=1))


def is_overdue(*, due_date: dt.date | None, open_amount: Decimal, on: dt.date) -> bool:
    """The rule itself, for a bill whose open amount on ``on`` is already known."""
    return due_date is not None and due_date < on and open_amount > 0


def with_open_amount(
    bills: QuerySet[Bill], *, on: dt.date, up_to_now: bool = False, real_money_only: bool = False
) -> QuerySet[Bill]:
    """``bills`` annotated with ``paid_by`` (allocations of succeeded payments settled by the end of
    ``on``), ``open_amount`` (amount − paid_by) and ``overdue_on_day`` (the rule above, in SQL).

    ``up_to_now``: ``on`` is today and the page shows the present, so every payment settled so far counts
    (the same as the end of today in real life; it keeps a page right when a test pins its day)."""
    settled = Q(allocations__payment__status=Payment.Status.SUCCEEDED)
    if not up_to_now:
        settled &= Q(allocations__payment__settled_at__lt=end_of(on))
    if real_money_only:
        settled &= Q(allocations__payment__is_sandbox=False)
    return (
        bills.annotate(
            paid_by=Coalesce(Sum("allocations__amount", filter=settled), Value(ZERO), output_field=MONEY_FIELD)
        )
        .annotate(open_amount=ExpressionWrapper(F("amount") - F("paid_by"), output_field=MONEY_FIELD))
        .annotate(
            overdue_on_day=Case(
                When(status__in=LIVE_STATUSES, due_date__lt=on, open_amount__gt=0, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
    )


def overdue_bills(*, on: dt.date, bills: QuerySet[Bill] | None = None, real_money_only: bool = False) -> QuerySet[Bill]:
    """The bills (of ``bills``, default all) overdue on ``on``, annotated with ``open_amount``."""
    bills = Bill.objects.all() if bills is None else bills
    live = bills.filter(status__in=LIVE_STATUSES, due_date__lt=on)  # (narrows the scan; the rule is below)
    return with_open_amount(live, on=on, real_money_only=real_money_only).filter(overdue_on_day=True)  # type: ignore[misc]  # an annotation the plugin cannot see
