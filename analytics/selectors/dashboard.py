"""Reads behind the staff overview dashboard: sales, collection and arrears, aggregated in SQL.

Definitions (billing/models/ledger.py, billing/services/ledger.py):

* **Billed** — live bills: issued, partly paid or paid; never drafts, held bills (not yet issued),
  void bills or bills a newer revision replaces. A bill belongs to the month its period starts in.
* **Collected** — payment allocations (``PaymentAllocation``: the part of a settled payment applied to
  a bill) of succeeded payments settled before the end of ``as_of``. Credit a payment leaves
  unallocated is not "collected" for any month: it has paid no bill yet. Payments through a test
  (sandbox) gateway are never collected and their bills still count as owed.
* **Collection rate** — per *issue* month, from the ledger as of ``as_of``: the charges (less reversals)
  of the bills issued in the month ÷ what real-money payments posted by then applied to them
  (``collection_by_month``); sandbox postings never count.
* **Arrears** — what a live bill still owes at the end of ``as_of`` (amount − its allocations settled
  by then), for bills whose due date is before ``as_of``; aged by days past the due date:
  1–30 ("0–30"), 31–60, 61–90, over 90. Late fees are separate ledger entries, not arrears of a bill.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, DecimalField, F, QuerySet, Sum
from django.db.models.functions import TruncMonth

from billing.models import Bill, LedgerEntry, PaymentAllocation
from billing.selectors.overdue import overdue_bills
from core.money import ZERO_MONEY, percent, round_kwh, round_money
from core.months import add_months, iter_months
from core.time import SHANGHAI, local_date, local_midnight

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
        return list(iter_months(self.month_from, self.month_to))


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
    return [{**r, "kwh": round_kwh(r["kwh"]), "revenue": round_money(r["revenue"])} for r in rows]


def _issued_in_months(filters: DashboardFilters) -> QuerySet[Bill]:
    """Bills issued (``issued_at``, Asia/Shanghai) in the filter's months, of the area / feeder filter —
    whatever became of them since (paid, voided)."""
    bills = Bill.objects.filter(
        issued_at__gte=local_midnight(filters.month_from), issued_at__lt=local_midnight(filters.period_end)
    )
    if filters.area_id is not None:
        bills = bills.filter(account__area_id=filters.area_id)
    if filters.feeder_id is not None:
        bills = bills.filter(account__area__feeder_id=filters.feeder_id)
    return bills


def collection_by_month(*, filters: DashboardFilters) -> list[dict]:
    """Collection rate per issue month, from the ledger, as of ``as_of``: one row per month with bills
    issued in it: ``month``, ``billed``, ``collected``, ``outstanding``, ``rate``.

    * billed — the ledger's charges of the bills issued in the month, less their reversals (a void),
      posted by ``as_of``;
    * collected — what payments applied to those bills (allocations), counting only payments whose
      ledger entry is real money (not sandbox) posted by ``as_of``;
    * rate — collected ÷ billed in %, to 0.1 (None when nothing was billed).

    Two GROUP BY queries; nothing is summed in Python."""
    bills = _issued_in_months(filters)
    month = TruncMonth("bill__issued_at", tzinfo=SHANGHAI)
    billed = {
        _as_date(row["month"]): round_money(row["billed"])
        for row in LedgerEntry.objects.filter(
            bill__in=bills,
            kind__in=[LedgerEntry.Kind.CHARGE, LedgerEntry.Kind.REVERSAL],
            is_sandbox=False,
            occurred_on__lte=filters.as_of,
        )
        .annotate(month=month)
        .values("month")
        .annotate(billed=Sum("amount"))
        .order_by()
    }
    collected = {
        _as_date(row["month"]): round_money(row["collected"])
        for row in PaymentAllocation.objects.filter(
            bill__in=bills,
            payment__ledger_entries__kind=LedgerEntry.Kind.PAYMENT,
            payment__ledger_entries__is_sandbox=False,
            payment__ledger_entries__occurred_on__lte=filters.as_of,
        )
        .annotate(month=month)
        .values("month")
        .annotate(collected=Sum("amount"))
        .order_by()
    }
    rows = []
    for key in sorted(billed):
        total, paid = billed[key], collected.get(key, ZERO_MONEY)
        rows.append(
            {
                "month": key,
                "billed": total,
                "collected": paid,
                "outstanding": total - paid,
                "rate": percent(paid, total),
            }
        )
    return rows


def _as_date(value) -> dt.date:
    return local_date(value) if isinstance(value, dt.datetime) else value


def _owed_per_bill(filters: DashboardFilters) -> QuerySet:
    """One row per live bill past due at ``as_of`` that still owed money then: ``due_date``, ``owed``
    (amount − its allocations settled by the cut-off, one GROUP BY over a join, not a subquery per
    bill), and the account's ``account_id``, ``category``, ``area_code``, ``area_name``, ``feeder_code``."""
    return (
        overdue_bills(on=filters.as_of, bills=live_bills(filters=filters), real_money_only=True)
        .annotate(owed=F("open_amount"))
        .order_by()
        .values(
            "due_date",
            "owed",
            "account_id",
            category=F("account__category"),
            area_code=F("account__area__code"),
            area_name=F("account__area__name"),
            feeder_code=F("account__area__feeder__code"),
        )
    )


def _arrears_grouped(filters: DashboardFilters, *, group_by: tuple[str, ...], top: int | None = None) -> list[dict]:
    """SUM(owed) per age bucket (days past due = as_of − due_date), total, accounts and bills per
    ``group_by`` columns of ``_owed_per_bill``, aggregated by the database over that query; ``top``:
    only the groups with the largest totals."""
    day = dt.timedelta(days=1)
    as_of = filters.as_of
    inner, inner_params = _owed_per_bill(filters).query.sql_with_params()
    columns = ", ".join(f'"{name}"' for name in group_by)
    sql = f"""
        SELECT {columns},
               COALESCE(SUM(owed) FILTER (WHERE due_date >= %s), 0) AS "0_30",
               COALESCE(SUM(owed) FILTER (WHERE due_date < %s AND due_date >= %s), 0) AS "31_60",
               COALESCE(SUM(owed) FILTER (WHERE due_date < %s AND due_date >= %s), 0) AS "61_90",
               COALESCE(SUM(owed) FILTER (WHERE due_date < %s), 0) AS "over_90",
               SUM(owed) AS total,
               COUNT(DISTINCT account_id) AS accounts,
               COUNT(*) AS bills
        FROM ({inner}) AS owed_bills
        GROUP BY {columns}
        ORDER BY {"total DESC, " if top else ""}{columns}
        {"LIMIT %s" if top else ""}
    """  # noqa: S608 — only our own column names and Django's compiled SQL; values are parameters
    params = [
        as_of - 30 * day,
        as_of - 30 * day,
        as_of - 60 * day,
        as_of - 60 * day,
        as_of - 90 * day,
        as_of - 90 * day,
        *inner_params,
        *([top] if top else []),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c[0] for c in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    money = ("0_30", "31_60", "61_90", "over_90", "total")
    return [{**row, **{k: round_money(row[k]) for k in money}} for row in rows]


def arrears_by_category(*, filters: DashboardFilters) -> list[dict]:
    """Per account category: ``category``, the four age buckets, ``total``, ``accounts``, ``bills``."""
    return _arrears_grouped(filters, group_by=("category",))


def arrears_by_area(*, filters: DashboardFilters, limit: int | None = 10) -> list[dict]:
    """Transformer areas with the most arrears first: ``area_code``, ``area_name``, ``feeder_code``,
    the age buckets, ``total``, ``accounts``, ``bills``."""
    return _arrears_grouped(filters, group_by=("area_code", "area_name", "feeder_code"), top=limit)
