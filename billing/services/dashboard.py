"""The business hall dashboard's first figures for one account: what is due now, by when (and whether
it is overdue), and what this month has cost so far. Nothing is computed a second way here: the amount
due is the ledger balance the bills page shows and its pay button pays, "overdue" is
billing.selectors.overdue's rule, and the month's cost is the billing engine's draft bill for the
month's metered days (``billing_run.bill_draft_for``, the computation the month's bill will use). Read-only, but here among the
services because it runs the billing engine (selectors sit below services)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max, Q

from billing.models import Bill, IntervalReading, Meter, RegisterRead
from billing.selectors.overdue import LIVE_STATUSES, end_of, with_open_amount
from billing.services.billing_run import bill_draft_for
from billing.services.ledger import balance
from core.months import month_start
from core.time import local_date, local_midnight
from customers.models import Account


@dataclass(frozen=True)
class AmountDue:
    balance: Decimal  # what the account owes (negative: in credit), the bills page's figure
    due_date: dt.date | None  # the earliest due date among bills still owing something
    overdue: bool  # some bill is overdue today (billing.selectors.overdue)
    overdue_amount: Decimal  # what those overdue bills still owe

    @property
    def amount(self) -> Decimal:
        """What to pay now: the balance when the account owes, else nothing."""
        return max(self.balance, Decimal("0.00"))


def amount_due(*, account: Account, today: dt.date) -> AmountDue:
    """The account's amount due on ``today``: one query for the bills still owing, one for the balance."""
    owing = (
        with_open_amount(Bill.objects.filter(account=account, status__in=LIVE_STATUSES), on=today, up_to_now=True)
        .filter(open_amount__gt=0)  # type: ignore[misc]  # an annotation of with_open_amount
        .order_by("due_date", "pk")
        .values_list("due_date", "open_amount", "overdue_on_day")
    )
    rows = list(owing)
    return AmountDue(
        balance=balance(account=account),
        due_date=next((due for due, _open, _late in rows if due is not None), None),
        overdue=any(late for _due, _open, late in rows),
        overdue_amount=sum((open_amount for _due, open_amount, late in rows if late), Decimal("0.00")),
    )


@dataclass(frozen=True)
class MonthToDate:
    month: dt.date  # the 1st of the month
    through: dt.date | None  # the last day with meter data in it (None: none yet this month)
    kwh: Decimal | None
    amount: Decimal | None  # None: nothing metered yet, or the engine cannot price it

    @property
    def has_figure(self) -> bool:
        return self.amount is not None


def _metered_until(*, meters: list[Meter], since: dt.datetime, until: dt.datetime) -> dt.date | None:
    """The day (exclusive) up to which every meter that reported this month has: a register read frozen
    at 00:00 on day D covers up to D; interval data up to the end of its last interval. Meters silent
    this month do not hold the figure back (the draft then says what it lacks, as a bill would)."""
    ends: dict[int, dt.datetime] = {}
    reads = (
        RegisterRead.objects.filter(meter__in=meters, read_at__gt=since, read_at__lte=until)
        .values("meter_id")
        .annotate(last=Max("read_at"))
        .values_list("meter_id", "last")
    )
    for meter_id, last in reads:
        ends[meter_id] = last
    minutes = {meter.pk: meter.interval_minutes for meter in meters}
    intervals = (
        IntervalReading.objects.filter(meter__in=meters, interval_start__gte=since, interval_start__lt=until)
        .values("meter_id")
        .annotate(last=Max("interval_start"))
        .values_list("meter_id", "last")
    )
    for meter_id, last in intervals:
        end = last + dt.timedelta(minutes=minutes[meter_id])
        ends[meter_id] = max(ends.get(meter_id, end), end)
    if not ends:
        return None
    return local_date(min(ends.values()))  # the local midnight at or before the earliest meter's end


def month_to_date_cost(*, account: Account, today: dt.date) -> MonthToDate:
    """This month's cost so far: the billing engine's draft bill from the 1st to the last metered day
    (its tariff, tier year, power factor and demand exactly as the month's bill will take them)."""
    first = month_start(today)
    since = local_midnight(first)
    meters = list(account.meters.filter(Q(removed_at__isnull=True) | Q(removed_at__gt=since)))
    until = _metered_until(meters=meters, since=since, until=end_of(today)) if meters else None
    if until is None or until <= first:
        return MonthToDate(month=first, through=None, kwh=None, amount=None)
    draft = bill_draft_for(account=account, period_start=first, period_end=until)
    through = until - dt.timedelta(days=1)
    if isinstance(draft, str) or draft.quote is None:
        return MonthToDate(month=first, through=through, kwh=None, amount=None)
    return MonthToDate(month=first, through=through, kwh=draft.total_kwh, amount=draft.amount)
