"""Reads behind the staff overview dashboard: sales, collection and arrears, aggregated in SQL.

Definitions (billing/models/ledger.py, billing/services/ledger.py):

* **Billed** — live bills: issued, partly paid or paid; never drafts, held bills (not yet issued),
  void bills or bills a newer revision replaces. A bill belongs to the month its period starts in.
* **Collected** — payment allocations (``PaymentAllocation``: the part of a settled payment applied to
  a bill) of succeeded payments settled before the end of ``as_of``. Credit a payment leaves
  unallocated is not "collected" for any month: it has paid no bill yet.
* **Collection rate** — collected ÷ billed, per bill month.
* **Arrears** — what a live bill still owes at the end of ``as_of`` (amount − its allocations settled
  by then), for bills whose due date is before ``as_of``; aged by days past the due date:
  1–30 ("0–30"), 31–60, 61–90, over 90. Late fees are separate ledger entries, not arrears of a bill.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth

from billing.models import Bill, Payment, PaymentAllocation
from billing.selectors import add_months, local_midnight

ZERO = Decimal("0.00")
MONEY_FIELD = DecimalField(max_digits=16, decimal_places=2)
BILLED_STATUSES = (Bill.Status.ISSUED, Bill.Status.PARTIALLY_PAID, Bill.Status.PAID)
AGE_BUCKETS = ("0_30", "31_60", "61_90", "over_90")


@dataclass(frozen=True)
class DashboardFilters:
    month_from: dt.date  # first day of the first bill month shown
    month_to: dt.date  # first day of the last bill month shown (inclusive)
    as_of: dt.date  # collection and arrears count payments settled up to the end of this day
    area_id: int | None = None
    feeder_id: int | None = None

    @property
    def period_end(self) -> dt.date:
        return add_months(self.month_to, 1)

    @property
    def cutoff(self) -> dt.datetime:
        """The end of ``as_of`` in Asia/Shanghai."""
        return local_midnight(self.as_of + dt.timedelta(days=1))

    def months(self) -> list[dt.date]:
        months, month = [], self.month_from
        while month <= self.month_to:
            months.append(month)
            month = add_months(month, 1)
        return months


def live_bills(*, filters: DashboardFilters) -> QuerySet[Bill]:
    """Live bills of the accounts in the area / feeder filter (any period)."""
    bills = Bill.objects.filter(status__in=BILLED_STATUSES, replaced_by__isnull=True)
    if filters.area_id is not None:
        bills = bills.filter(account__area_id=filters.area_id)
    if filters.feeder_id is not None:
        bills = bills.filter(account__area__feeder_id=filters.feeder_id)
    return bills


def _bills_in_period(filters: DashboardFilters) -> QuerySet[Bill]:
    return live_bills(filters=filters).filter(period_start__gte=filters.month_from, period_start__lt=filters.period_end)


def sales_by_month_and_category(*, filters: DashboardFilters) -> list[dict]:
    """One row per bill month and account category: ``month``, ``category``, ``kwh``, ``revenue``, ``bills``."""
    rows = (
        _bills_in_period(filters)
        .annotate(month=TruncMonth("period_start"))
        .values("month", category=F("account__category"))
        .annotate(kwh=Sum("total_kwh"), revenue=Sum("amount"), bills=Count("id"))
        .order_by("month", "category")
    )
    return list(rows)


def _collected(filters: DashboardFilters) -> QuerySet[PaymentAllocation]:
    return PaymentAllocation.objects.filter(
        payment__status=Payment.Status.SUCCEEDED, payment__settled_at__lt=filters.cutoff
    )


def collection_by_month(*, filters: DashboardFilters) -> list[dict]:
    """One row per bill month that has bills: ``month``, ``billed``, ``collected``, ``outstanding``,
    ``rate`` (collected ÷ billed in %, 0.1; None when nothing was billed)."""
    bills = _bills_in_period(filters)
    billed = {
        row["month"]: row["billed"]
        for row in bills.annotate(month=TruncMonth("period_start")).values("month").annotate(billed=Sum("amount"))
    }
    collected = {
        row["month"]: row["collected"]
        for row in _collected(filters)
        .filter(bill__in=bills)
        .annotate(month=TruncMonth("bill__period_start"))
        .values("month")
        .annotate(collected=Sum("amount"))
    }
    rows = []
    for month in sorted(billed):
        total, paid = billed[month], collected.get(month, ZERO)
        rows.append(
            {
                "month": month,
                "billed": total,
                "collected": paid,
                "outstanding": total - paid,
                "rate": (paid * 100 / total).quantize(Decimal("0.1")) if total else None,
            }
        )
    return rows


def _overdue_bills(filters: DashboardFilters) -> QuerySet[Bill]:
    """Live bills past due at ``as_of`` with ``owed`` (still unpaid then) above zero."""
    paid = Subquery(
        _collected(filters).filter(bill=OuterRef("pk")).values("bill").annotate(total=Sum("amount")).values("total"),
        output_field=MONEY_FIELD,
    )
    return (
        live_bills(filters=filters)
        .filter(due_date__lt=filters.as_of)
        .annotate(owed=F("amount") - Coalesce(paid, Value(ZERO), output_field=MONEY_FIELD))
        .filter(owed__gt=0)
    )


def _bucket_sums(filters: DashboardFilters) -> dict:
    """SUM(owed) per age bucket: days past due = as_of − due_date."""
    day = dt.timedelta(days=1)
    as_of = filters.as_of
    bounds = {
        "0_30": Q(due_date__gte=as_of - 30 * day),
        "31_60": Q(due_date__lt=as_of - 30 * day, due_date__gte=as_of - 60 * day),
        "61_90": Q(due_date__lt=as_of - 60 * day, due_date__gte=as_of - 90 * day),
        "over_90": Q(due_date__lt=as_of - 90 * day),
    }
    sums = {
        name: Coalesce(Sum("owed", filter=condition), Value(ZERO), output_field=MONEY_FIELD)
        for name, condition in bounds.items()
    }
    return {
        **sums,
        "total": Coalesce(Sum("owed"), Value(ZERO), output_field=MONEY_FIELD),
        "accounts": Count("account", distinct=True),
        "bills": Count("id"),
    }


def arrears_by_category(*, filters: DashboardFilters) -> list[dict]:
    """Per account category: ``category``, the four age buckets, ``total``, ``accounts``, ``bills``."""
    rows = (
        _overdue_bills(filters)
        .values(category=F("account__category"))
        .annotate(**_bucket_sums(filters))
        .order_by("category")
    )
    return list(rows)


def arrears_by_area(*, filters: DashboardFilters, limit: int | None = 10) -> list[dict]:
    """Transformer areas with the most arrears first: ``area_code``, ``area_name``, ``feeder_code``,
    the age buckets, ``total``, ``accounts``, ``bills``."""
    rows = (
        _overdue_bills(filters)
        .values(
            area_code=F("account__area__code"),
            area_name=F("account__area__name"),
            feeder_code=F("account__area__feeder__code"),
        )
        .annotate(**_bucket_sums(filters))
        .order_by("-total", "area_code")
    )
    return list(rows[:limit] if limit else rows)
