"""Reads of meter data shared by the readings API (``billing/api/readings.py``) and the business hall's
usage page (``billing/views.py``); at the end, the reads behind the hall's bill, payment and quote pages.

Which meters a user reaches is decided here, from ``customers.access``; a miss is a 404 for the caller.
Consumption is the measured kWh × the meter's multiplier (倍率), summed in SQL per Asia/Shanghai
hour/day/month: PostgreSQL truncates ``interval_start AT TIME ZONE 'Asia/Shanghai'`` with date_trunc,
SQLite (which stores naive UTC text) formats it with strftime on '+8 hours' — mainland China has
had no daylight saving time since 1991, so the fixed offset is exact.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Literal

from django.db import NotSupportedError
from django.db.models import (
    CharField,
    Count,
    DecimalField,
    F,
    Func,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from billing.models import (
    Bill,
    BillLine,
    BillRead,
    IntervalReading,
    Meter,
    Payment,
    PaymentAllocation,
    Quality,
    RegisterRead,
    Tariff,
    TariffAssignment,
    TariffVersion,
)
from core.time import SHANGHAI
from customers.access import accounts_visible_to, is_portal_customer
from customers.models import Account

KWH_STEP = Decimal("0.0001")
TOU_REGISTERS = ("sharp", "peak", "flat", "valley")

# Which billing permissions let staff and integrators read each kind of meter data (billing/migrations/0003).
ReadingKind = Literal["intervals", "registers"]
_STAFF_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "intervals": ("billing.view_meter", "billing.view_intervalreading"),
    "registers": ("billing.view_meter", "billing.view_registerread"),
}


class Grouping(StrEnum):
    INTERVAL = "interval"  # no truncation: one row per interval start (summed across meters)
    HOUR = "hour"
    DAY = "day"
    MONTH = "month"


# --- who may read which meter ----------------------------------------------------------------------


def meters_visible_to(*, user, kind: ReadingKind = "intervals") -> QuerySet[Meter]:
    """Portal customers: the customer meters of their bound accounts (owner or member), nothing else.
    Staff and integrators (the AMI head-end group): every meter, area summary meters included, when
    they hold ``billing.view_meter`` and the view permission of that kind of reading."""
    if not user.is_authenticated or not user.is_active:
        return Meter.objects.none()
    if is_portal_customer(user):
        return Meter.objects.filter(role=Meter.Role.CUSTOMER, account__in=accounts_visible_to(user=user))
    if user.has_perms(_STAFF_PERMISSIONS[kind]):
        return Meter.objects.all()
    return Meter.objects.none()


def access_meter(*, user, meter_no: str, kind: ReadingKind = "intervals") -> Meter:
    """Fetch a meter by number if ``user`` may read its data; otherwise 404 (never 403: no probing)."""
    meter = meters_visible_to(user=user, kind=kind).filter(meter_no=meter_no).first()
    if meter is None:
        raise Http404("No such meter")
    return meter


def account_meters(*, account: Account) -> list[Meter]:
    """The customer meters an account has had, oldest first: after an exchange the old meter keeps its
    history (``removed_at``) and the new one continues, so the account's usage is the sum over all."""
    return list(Meter.objects.filter(account=account, role=Meter.Role.CUSTOMER).order_by("installed_at", "meter_no"))


# --- local calendar helpers --------------------------------------------------------------------------


def local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=SHANGHAI)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first of the month ``months`` after the month of ``day``."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def period_end(start: dt.datetime, *, grouping: Grouping, interval_minutes: int = 15) -> dt.datetime:
    """End (exclusive) of the local period starting at ``start``."""
    if grouping == Grouping.MONTH:
        return local_midnight(add_months(start.date(), 1))
    if grouping == Grouping.DAY:
        return local_midnight(start.date() + dt.timedelta(days=1))
    if grouping == Grouping.HOUR:
        return start + dt.timedelta(hours=1)
    return start + dt.timedelta(minutes=interval_minutes)


def kwh(value: Decimal | int | None) -> Decimal:
    """kWh as shown and served: 0.0001 kWh (the precision meters report), half up; the sum is exact before."""
    return Decimal(value or 0).quantize(KWH_STEP, rounding=ROUND_HALF_UP)


def quality_code(value: int) -> str:
    """actual / estimated / edited, the API's spelling of ``Quality``."""
    return Quality(value).name.lower()


# --- SQL aggregation -------------------------------------------------------------------------------


class LocalPeriodStart(Func):
    """Start of the Asia/Shanghai minute/hour/day/month containing a timestamp, as ISO text
    ('2026-11-01T00:00:00', local time without offset), so both backends group and sort alike."""

    output_field = CharField()
    _PG_UNITS = {Grouping.INTERVAL: "minute", Grouping.HOUR: "hour", Grouping.DAY: "day", Grouping.MONTH: "month"}
    _SQLITE_FORMATS = {
        Grouping.INTERVAL: "%Y-%m-%dT%H:%M:00",
        Grouping.HOUR: "%Y-%m-%dT%H:00:00",
        Grouping.DAY: "%Y-%m-%dT00:00:00",
        Grouping.MONTH: "%Y-%m-01T00:00:00",
    }

    def __init__(self, expression, *, grouping: Grouping) -> None:
        super().__init__(expression)
        self.grouping = Grouping(grouping)

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError(f"LocalPeriodStart is not implemented for {connection.vendor}")

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        unit = self._PG_UNITS[self.grouping]
        return (
            f"to_char(date_trunc('{unit}', {sql} AT TIME ZONE 'Asia/Shanghai'), 'YYYY-MM-DD\"T\"HH24:MI:SS')",
            params,
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        # '%' doubled: Django's SQLite cursor turns '%%' back into '%' when it swaps '%s' for '?'.
        pattern = self._SQLITE_FORMATS[self.grouping].replace("%", "%%")
        return f"strftime('{pattern}', {sql}, '+8 hours')", params


@dataclass(frozen=True)
class Consumption:
    """Energy of one period (an interval, hour, day or month) in primary-side kWh."""

    start: dt.datetime
    end: dt.datetime
    kwh: Decimal
    intervals: int
    estimated: int
    edited: int

    @property
    def quality(self) -> str:
        # Estimated is the worst: an edit is a measured value corrected by staff, an estimate is not measured.
        if self.estimated:
            return quality_code(Quality.ESTIMATED)
        if self.edited:
            return quality_code(Quality.EDITED)
        return quality_code(Quality.ACTUAL)


def consumption_by_period(
    *,
    meters: QuerySet[Meter] | Iterable[Meter],
    period_from: dt.datetime,
    period_to: dt.datetime,
    grouping: Grouping,
    descending: bool = False,
) -> QuerySet:
    """One row per local period with readings in [period_from, period_to): ``period`` (local ISO text),
    ``consumption`` (Σ kwh × multiplier over all ``meters``, exact on PostgreSQL), ``intervals``,
    ``estimated`` and ``edited`` counts. Turn rows into ``Consumption`` with ``as_consumption``."""
    return (
        IntervalReading.objects.filter(meter__in=meters, interval_start__gte=period_from, interval_start__lt=period_to)
        .values(period=LocalPeriodStart("interval_start", grouping=grouping))
        .annotate(
            consumption=Sum(
                F("kwh") * F("meter__multiplier"), output_field=DecimalField(max_digits=24, decimal_places=6)
            ),
            intervals=Count("interval_start"),
            estimated=Count("interval_start", filter=Q(quality=Quality.ESTIMATED)),
            edited=Count("interval_start", filter=Q(quality=Quality.EDITED)),
        )
        .order_by("-period" if descending else "period")
    )


def as_consumption(row: dict, *, grouping: Grouping, interval_minutes: int = 15) -> Consumption:
    start = dt.datetime.fromisoformat(row["period"]).replace(tzinfo=SHANGHAI)
    return Consumption(
        start=start,
        end=period_end(start, grouping=grouping, interval_minutes=interval_minutes),
        kwh=kwh(row["consumption"]),
        intervals=row["intervals"],
        estimated=row["estimated"],
        edited=row["edited"],
    )


def consumption_totals(
    *, meters: QuerySet[Meter] | Iterable[Meter], periods: dict[str, tuple[dt.datetime, dt.datetime]]
) -> dict[str, Decimal]:
    """Σ kwh × multiplier over each named [from, to) period, all in one query."""
    energy = F("kwh") * F("meter__multiplier")
    earliest = min(start for start, _ in periods.values())
    latest = max(end for _, end in periods.values())
    sums = IntervalReading.objects.filter(
        meter__in=meters, interval_start__gte=earliest, interval_start__lt=latest
    ).aggregate(
        **{
            name: Sum(
                energy,
                filter=Q(interval_start__gte=start, interval_start__lt=end),
                output_field=DecimalField(max_digits=24, decimal_places=6),
            )
            for name, (start, end) in periods.items()
        }
    )
    return {name: kwh(value) for name, value in sums.items()}


def interval_readings(
    *, meter: Meter, period_from: dt.datetime, period_to: dt.datetime, descending: bool = False
) -> QuerySet[IntervalReading]:
    """One meter's raw intervals in [period_from, period_to); multiply ``kwh`` by ``meter.multiplier``."""
    order = "-interval_start" if descending else "interval_start"
    return IntervalReading.objects.filter(
        meter=meter, interval_start__gte=period_from, interval_start__lt=period_to
    ).order_by(order)


def register_reads(
    *, meter: Meter, period_from: dt.datetime | None, period_to: dt.datetime | None, descending: bool = False
) -> QuerySet[RegisterRead]:
    """One meter's cumulative register reads (示数) in [period_from, period_to), as the meter shows them."""
    reads = RegisterRead.objects.filter(meter=meter)
    if period_from is not None:
        reads = reads.filter(read_at__gte=period_from)
    if period_to is not None:
        reads = reads.filter(read_at__lt=period_to)
    return reads.order_by("-read_at" if descending else "read_at")


# --- the usage page ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataRange:
    """First and last local day with interval data, and the latest month with register reads."""

    first_day: dt.date | None
    last_day: dt.date | None
    last_register_month: dt.date | None

    @property
    def latest_month(self) -> dt.date | None:
        months = [month_start(d) for d in (self.last_day, self.last_register_month) if d is not None]
        return max(months) if months else None

    @property
    def first_month(self) -> dt.date | None:
        return month_start(self.first_day) if self.first_day else self.last_register_month


def data_range(*, meters: Sequence[Meter]) -> DataRange:
    intervals = IntervalReading.objects.filter(meter__in=meters).aggregate(
        first=Min("interval_start"), last=Max("interval_start")
    )
    last_read = RegisterRead.objects.filter(meter__in=meters).aggregate(last=Max("read_at"))["last"]
    return DataRange(
        first_day=intervals["first"].astimezone(SHANGHAI).date() if intervals["first"] else None,
        last_day=intervals["last"].astimezone(SHANGHAI).date() if intervals["last"] else None,
        # A read frozen at 00:00 on the 1st closes the month before: that is the month it completes.
        last_register_month=month_start((last_read - dt.timedelta(microseconds=1)).astimezone(SHANGHAI).date())
        if last_read
        else None,
    )


@dataclass(frozen=True)
class CurvePoint:
    start: dt.datetime
    kwh: Decimal | None  # None: no reading for this slot
    quality: str | None


@dataclass(frozen=True)
class DayCurve:
    day: dt.date
    interval_minutes: int
    points: list[CurvePoint]

    @property
    def total(self) -> Decimal:
        return sum((p.kwh for p in self.points if p.kwh is not None), Decimal(0))

    @property
    def has_data(self) -> bool:
        return any(p.kwh is not None for p in self.points)

    @property
    def estimated(self) -> int:
        return sum(p.quality == "estimated" for p in self.points)

    @property
    def missing(self) -> int:
        return sum(p.kwh is None for p in self.points)

    @property
    def present(self) -> int:
        return len(self.points) - self.missing


def _in_service(meters: Sequence[Meter], *, start: dt.datetime, end: dt.datetime) -> list[Meter]:
    return [m for m in meters if m.installed_at < end and (m.removed_at is None or m.removed_at > start)]


def day_curve(*, meters: Sequence[Meter], day: dt.date) -> DayCurve:
    """The local day's load curve summed over the account's meters, one point per interval slot
    (96, 48 or 24). Slots without a reading stay empty rather than zero, so gaps show as gaps."""
    start, end = local_midnight(day), local_midnight(day + dt.timedelta(days=1))
    # The finest grid of the meters in service that day (one meter, except on an exchange day).
    step = min((m.interval_minutes for m in _in_service(meters, start=start, end=end)), default=15)
    rows = consumption_by_period(meters=meters, period_from=start, period_to=end, grouping=Grouping.INTERVAL)
    found = {c.start: c for c in (as_consumption(r, grouping=Grouping.INTERVAL, interval_minutes=step) for r in rows)}
    points = []
    for index in range(24 * 60 // step):
        slot = start + dt.timedelta(minutes=index * step)
        reading = found.get(slot)
        points.append(
            CurvePoint(start=slot, kwh=reading.kwh, quality=reading.quality)
            if reading
            else CurvePoint(start=slot, kwh=None, quality=None)
        )
    return DayCurve(day=day, interval_minutes=step, points=points)


@dataclass(frozen=True)
class DayTotal:
    day: dt.date
    consumption: Consumption | None  # None: no reading that day


def daily_totals(*, meters: Sequence[Meter], month: dt.date) -> list[DayTotal]:
    """Every day of the local month, with its consumption where there are readings."""
    first = month_start(month)
    rows = consumption_by_period(
        meters=meters,
        period_from=local_midnight(first),
        period_to=local_midnight(add_months(first, 1)),
        grouping=Grouping.DAY,
    )
    found = {c.start.date(): c for c in (as_consumption(r, grouping=Grouping.DAY) for r in rows)}
    days = calendar.monthrange(first.year, first.month)[1]
    return [DayTotal(day=d, consumption=found.get(d)) for d in (first.replace(day=n) for n in range(1, days + 1))]


@dataclass(frozen=True)
class MonthComparison:
    month: int  # 1..12
    this_year: Consumption | None
    last_year: Consumption | None


def monthly_totals(*, meters: Sequence[Meter], year: int) -> list[MonthComparison]:
    """Twelve months of ``year`` next to the same months of the year before, in one query."""
    rows = consumption_by_period(
        meters=meters,
        period_from=local_midnight(dt.date(year - 1, 1, 1)),
        period_to=local_midnight(dt.date(year + 1, 1, 1)),
        grouping=Grouping.MONTH,
    )
    found = {(c.start.year, c.start.month): c for c in (as_consumption(r, grouping=Grouping.MONTH) for r in rows)}
    return [
        MonthComparison(month=m, this_year=found.get((year, m)), last_year=found.get((year - 1, m)))
        for m in range(1, 13)
    ]


@dataclass(frozen=True)
class YearToDate:
    through: dt.date  # last day counted, in both years
    this_year: Decimal
    last_year: Decimal  # the same calendar days one year earlier


def _year_earlier(day: dt.date) -> dt.date:
    return day.replace(year=day.year - 1) if (day.month, day.day) != (2, 29) else dt.date(day.year - 1, 3, 1)


def year_to_date(*, meters: Sequence[Meter], year: int, last_day: dt.date | None) -> YearToDate:
    """``year`` from 1 January to its last day with data (or 31 December), against the same calendar
    days of the year before — so a month still running is compared with the same days last year,
    not with the whole month."""
    start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    if last_day is not None and start <= last_day < end:
        end = last_day + dt.timedelta(days=1)
    totals = consumption_totals(
        meters=meters,
        periods={
            "this": (local_midnight(start), local_midnight(end)),
            "last": (local_midnight(_year_earlier(start)), local_midnight(_year_earlier(end))),
        },
    )
    return YearToDate(through=end - dt.timedelta(days=1), this_year=totals["this"], last_year=totals["last"])


@dataclass(frozen=True)
class TouSplit:
    """Energy per TOU period (primary-side kWh) from register differences over one local month."""

    month: dt.date
    total: Decimal
    sharp: Decimal | None  # None: no meter with TOU registers had reads for the month
    peak: Decimal | None
    flat: Decimal | None
    valley: Decimal | None
    read_from: dt.datetime
    read_to: dt.datetime
    month_complete: bool  # every end read is the first read of the next month (not month-to-date)

    @property
    def has_tou(self) -> bool:
        return self.sharp is not None


def _register_delta(*, start: RegisterRead, end: RegisterRead, name: str, meter: Meter) -> Decimal | None:
    before, after = getattr(start, name), getattr(end, name)
    if before is None or after is None:
        return None
    delta = after - before
    if delta < 0:  # the register rolled over (ingestion rejects any other way of going backwards)
        delta += meter.rollover_kwh
    return delta * meter.multiplier


def tou_split(*, meters: Sequence[Meter], month: dt.date) -> TouSplit | None:
    """Per meter: from its first read of the month to the first read of the next month (or, for a meter
    removed during the month or a month still running, its last read of the month), × multiplier;
    summed over the account's meters. None when no meter has two reads to subtract."""
    first = month_start(month)
    start, next_start = local_midnight(first), local_midnight(add_months(first, 1))
    after_next = local_midnight(add_months(first, 2))
    reads = RegisterRead.objects.filter(meter=OuterRef("pk")).values("pk")
    in_month = reads.filter(read_at__gte=start, read_at__lt=next_start)
    annotated = Meter.objects.filter(pk__in=[m.pk for m in meters]).annotate(
        first_read=Subquery(in_month.order_by("read_at")[:1]),
        last_read=Subquery(in_month.order_by("-read_at")[:1]),
        next_read=Subquery(reads.filter(read_at__gte=next_start, read_at__lt=after_next).order_by("read_at")[:1]),
    )
    pairs = [(m, m.first_read, m.next_read or m.last_read, m.next_read is not None) for m in annotated]
    pairs = [(m, a, b, complete) for m, a, b, complete in pairs if a is not None and b is not None and a != b]
    if not pairs:
        return None
    by_id = RegisterRead.objects.in_bulk([pk for _, a, b, _ in pairs for pk in (a, b)])
    total = Decimal(0)
    tou: dict[str, Decimal] = dict.fromkeys(TOU_REGISTERS, Decimal(0))
    any_tou = False
    for meter, a, b, _ in pairs:
        begin, end = by_id[a], by_id[b]
        total += _register_delta(start=begin, end=end, name="total", meter=meter)
        deltas = {name: _register_delta(start=begin, end=end, name=name, meter=meter) for name in TOU_REGISTERS}
        if meter.has_tou_registers and all(v is not None for v in deltas.values()):
            any_tou = True
            for name, value in deltas.items():
                tou[name] += value
    return TouSplit(
        month=first,
        total=kwh(total),
        **{name: (kwh(tou[name]) if any_tou else None) for name in TOU_REGISTERS},
        read_from=min(by_id[a].read_at for _, a, _, _ in pairs),
        read_to=max(by_id[b].read_at for _, _, b, _ in pairs),
        month_complete=all(complete for *_, complete in pairs),
    )


# --- bills, payments, the balance and tiers (business hall) -------------------------------------------
# Every read starts from an account the caller got through customers.access, or checks the row's
# account against accounts_visible_to: another customer's bill or order number is a 404.


class BillState(StrEnum):
    """What a customer needs to know about a bill, beyond its stored status: "overdue" is an issued or
    partly paid bill whose due date has passed with money still owed."""

    PAID = "paid"
    PARTLY_PAID = "partly_paid"
    DUE = "due"
    OVERDUE = "overdue"
    UNDER_REVIEW = "under_review"
    VOID = "void"


_OPEN_STATUSES = (Bill.Status.ISSUED, Bill.Status.PARTIALLY_PAID)


def bill_state(*, bill: Bill, outstanding: Decimal, today: dt.date) -> BillState:
    if bill.status == Bill.Status.VOID:
        return BillState.VOID
    if bill.status in (Bill.Status.HELD, Bill.Status.DRAFT):
        return BillState.UNDER_REVIEW
    if outstanding <= 0:
        return BillState.PAID
    if bill.due_date is not None and bill.due_date < today:
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


def _with_paid(bills: QuerySet[Bill]) -> QuerySet[Bill]:
    return bills.annotate(
        paid_total=Coalesce(Sum("allocations__amount"), Value(Decimal(0)), output_field=DecimalField())
    )


def _summary(bill: Bill, *, today: dt.date) -> BillSummary:
    paid = bill.paid_total
    owed = bill.amount - paid if bill.status in _OPEN_STATUSES else Decimal("0.00")
    return BillSummary(
        bill=bill, paid=paid, outstanding=owed, state=bill_state(bill=bill, outstanding=owed, today=today)
    )


def bills_for_account(*, account: Account, today: dt.date) -> list[BillSummary]:
    """The account's bills, newest period first (drafts are never shown; void ones are, greyed)."""
    bills = _with_paid(
        Bill.objects.filter(account=account).exclude(status=Bill.Status.DRAFT).select_related("tariff")
    ).order_by("-period_start", "-revision")
    return [_summary(bill, today=today) for bill in bills]


def access_bill(*, user, bill_id: int, today: dt.date) -> BillSummary:
    """One bill of an account ``user`` may reach, with what is paid and owed; otherwise 404."""
    bill = (
        _with_paid(Bill.objects.filter(pk=bill_id, account__in=accounts_visible_to(user=user)))
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


def payments_for_account(*, account: Account) -> QuerySet[Payment]:
    """Newest first, with the bills each payment went to."""
    return (
        Payment.objects.filter(account=account)
        .prefetch_related(Prefetch("allocations", queryset=PaymentAllocation.objects.select_related("bill")))
        .order_by("-created_at", "-id")
    )


def access_payment(*, user, order_no: str) -> Payment:
    """A payment of an account ``user`` may reach, by our order number; otherwise 404."""
    payment = (
        Payment.objects.filter(order_no=order_no, account__in=accounts_visible_to(user=user))
        .select_related("account")
        .prefetch_related(Prefetch("allocations", queryset=PaymentAllocation.objects.select_related("bill")))
        .first()
    )
    if payment is None:
        raise Http404("No such payment")
    return payment


def current_tariff(*, account: Account, on: dt.date) -> TariffAssignment | None:
    """The account's tariff assignment valid on ``on`` ([valid_from, valid_to))."""
    return (
        TariffAssignment.objects.filter(account=account, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
        .select_related("tariff")
        .first()
    )


def tariff_version_on(*, tariff: Tariff, on: dt.date) -> TariffVersion | None:
    return (
        TariffVersion.objects.filter(tariff=tariff, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
        .order_by("-valid_from")
        .first()
    )


def billed_kwh_in_year(*, account: Account, year: int, before: dt.date | None = None) -> Decimal:
    """kWh of the year's live bills (issued, held, paid, partly paid — not void or draft), by period start:
    the tier year is the calendar year. ``before``: only bills for periods starting before that day."""
    bills = Bill.objects.filter(account=account, period_start__year=year).exclude(
        status__in=[Bill.Status.VOID, Bill.Status.DRAFT]
    )
    if before is not None:
        bills = bills.filter(period_start__lt=before)
    return kwh(bills.aggregate(total=Sum("total_kwh"))["total"])


@dataclass(frozen=True)
class TierProgress:
    year: int
    used_kwh: Decimal
    tier1_max_kwh: Decimal
    tier2_max_kwh: Decimal
    scale_kwh: Decimal  # the bar's full width: room past tier 2, or the usage if it is further

    @property
    def tier(self) -> int:
        if self.used_kwh <= self.tier1_max_kwh:
            return 1
        return 2 if self.used_kwh <= self.tier2_max_kwh else 3

    @property
    def left_in_tier(self) -> Decimal | None:
        """kWh left before the next tier starts (None in tier 3)."""
        if self.tier == 3:
            return None
        return (self.tier1_max_kwh if self.tier == 1 else self.tier2_max_kwh) - self.used_kwh

    def _percent(self, value: Decimal) -> Decimal:
        return min(Decimal(100), value * 100 / self.scale_kwh).quantize(Decimal("0.1"))

    @property
    def used_percent(self) -> Decimal:
        return self._percent(self.used_kwh)

    @property
    def tier1_percent(self) -> Decimal:
        return self._percent(self.tier1_max_kwh)

    @property
    def tier2_percent(self) -> Decimal:
        return self._percent(self.tier2_max_kwh)


def tier_progress(*, account: Account, on: dt.date) -> TierProgress | None:
    """kWh billed this calendar year against the tiers of the account's current tariff version; None
    when the account's tariff has no tiers (commercial, industrial)."""
    assignment = current_tariff(account=account, on=on)
    version = tariff_version_on(tariff=assignment.tariff, on=on) if assignment else None
    if version is None or version.tier1_max_kwh is None or version.tier2_max_kwh is None:
        return None
    used = billed_kwh_in_year(account=account, year=on.year)
    scale = max(version.tier2_max_kwh * Decimal("1.25"), used)
    return TierProgress(
        year=on.year,
        used_kwh=used,
        tier1_max_kwh=version.tier1_max_kwh,
        tier2_max_kwh=version.tier2_max_kwh,
        scale_kwh=scale,
    )


def quote_tariffs(*, account: Account, on: dt.date) -> tuple[Tariff | None, list[Tariff]]:
    """The account's current tariff and the tariffs a customer may compare it with (same category)."""
    assignment = current_tariff(account=account, on=on)
    current = assignment.tariff if assignment else None
    category = current.category if current else account.category
    return current, list(Tariff.objects.filter(category=category).order_by("code"))


def consumption_periods(*, version: TariffVersion) -> list[str]:
    """The kWh a quote needs on this version: "total" for single-rate tariffs, else its TOU periods."""
    if version.tou_calendar_id is None:
        return ["total"]
    return [p for p in TOU_REGISTERS if getattr(version, f"rate_{p}") is not None]
