"""The business hall's usage page (用电分析): the data range, a day's load curve, a month's daily totals,
a year against the year before, and a month's TOU split from register differences."""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max, Min, OuterRef, Subquery

from billing.models import IntervalReading, Meter, RegisterRead
from billing.selectors.consumption import (
    TOU_REGISTERS,
    Consumption,
    Grouping,
    as_consumption,
    consumption_by_period,
    consumption_totals,
)
from core.cache import source_versions, versioned
from core.money import round_kwh
from core.months import add_months, month_span, month_start
from core.time import day_span, local_date, local_midnight


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


NO_DATA = DataRange(first_day=None, last_day=None, last_register_month=None)


# Every read below depends only on the meters' readings (and the meters' own fields), which change when
# a batch is ingested, a gap estimated or a reading edited — about once a day per meter. Results are
# cached in Redis under the meters' "meter-readings" versions; those writes bump them (billing.services:
# ingest writers, estimation, readings), so a cached figure is never older than the data it shows.
READINGS_NAMESPACE = "meter-readings"


def _meters_key(meters: Sequence[Meter]) -> str:
    return ";".join(
        f"{m.pk}:{m.multiplier}:{m.interval_minutes}:{m.installed_at}:{m.removed_at}:{m.has_tou_registers}"
        for m in sorted(meters, key=lambda m: m.pk)
    )


def usage_fragment_key(*, meters: Sequence[Meter]) -> str:
    """The meters and their readings' versions: the usage page's rendered tables are cached under it
    (with the day or month and the language), so they change exactly when the figures do."""
    versions = source_versions(READINGS_NAMESPACE, sorted(m.pk for m in meters))
    return hashlib.sha256("|".join([_meters_key(meters), *versions]).encode()).hexdigest()[:32]


def _cached_by_meters(function: Callable) -> Callable:
    @functools.wraps(function)
    def wrapper(*, meters: Sequence[Meter], **kwargs):
        key = f"usage.{function.__name__}|{_meters_key(meters)}|{sorted(kwargs.items())!r}"
        return versioned(READINGS_NAMESPACE, [m.pk for m in meters], key, lambda: function(meters=meters, **kwargs))

    wrapper.uncached = function  # type: ignore[attr-defined]
    return wrapper


@_cached_by_meters
def data_range(*, meters: Sequence[Meter]) -> DataRange:
    intervals = IntervalReading.objects.filter(meter__in=meters).aggregate(
        first=Min("interval_start"), last=Max("interval_start")
    )
    last_read = RegisterRead.objects.filter(meter__in=meters).aggregate(last=Max("read_at"))["last"]
    return DataRange(
        first_day=local_date(intervals["first"]) if intervals["first"] else None,
        last_day=local_date(intervals["last"]) if intervals["last"] else None,
        # A read frozen at 00:00 on the 1st closes the month before: that is the month it completes.
        last_register_month=month_start(local_date(last_read - dt.timedelta(microseconds=1))) if last_read else None,
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


@_cached_by_meters
def day_curve(*, meters: Sequence[Meter], day: dt.date) -> DayCurve:
    """The local day's load curve summed over the account's meters, one point per interval slot
    (96, 48 or 24). Slots without a reading stay empty rather than zero, so gaps show as gaps."""
    start, end = day_span(day, day + dt.timedelta(days=1))
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


@_cached_by_meters
def daily_totals(*, meters: Sequence[Meter], month: dt.date) -> list[DayTotal]:
    """Every day of the local month, with its consumption where there are readings."""
    first, next_first = month_span(month)
    period_from, period_to = day_span(first, next_first)
    rows = consumption_by_period(meters=meters, period_from=period_from, period_to=period_to, grouping=Grouping.DAY)
    found = {local_date(c.start): c for c in (as_consumption(r, grouping=Grouping.DAY) for r in rows)}
    days = calendar.monthrange(first.year, first.month)[1]
    return [DayTotal(day=d, consumption=found.get(d)) for d in (first.replace(day=n) for n in range(1, days + 1))]


@dataclass(frozen=True)
class MonthComparison:
    month: int  # 1..12
    this_year: Consumption | None
    last_year: Consumption | None


@_cached_by_meters
def monthly_totals(*, meters: Sequence[Meter], year: int) -> list[MonthComparison]:
    """Twelve months of ``year`` next to the same months of the year before, in one query."""
    period_from, period_to = day_span(dt.date(year - 1, 1, 1), dt.date(year + 1, 1, 1))
    rows = consumption_by_period(meters=meters, period_from=period_from, period_to=period_to, grouping=Grouping.MONTH)
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


@_cached_by_meters
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
            "this": day_span(start, end),
            "last": day_span(_year_earlier(start), _year_earlier(end)),
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


@_cached_by_meters
def tou_split(*, meters: Sequence[Meter], month: dt.date) -> TouSplit | None:
    """Per meter: from its first read of the month to the first read of the next month (or, for a meter
    removed during the month or a month still running, its last read of the month), × multiplier;
    summed over the account's meters. None when no meter has two reads to subtract."""
    first = month_start(month)
    start, next_start = day_span(first, add_months(first, 1))
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
        total_delta = _register_delta(start=begin, end=end, name="total", meter=meter)
        assert total_delta is not None  # the total register is never null
        total += total_delta
        deltas = {name: _register_delta(start=begin, end=end, name=name, meter=meter) for name in TOU_REGISTERS}
        if meter.has_tou_registers and all(v is not None for v in deltas.values()):
            any_tou = True
            for name, value in deltas.items():
                assert value is not None  # all present, checked above
                tou[name] += value
    return TouSplit(
        month=first,
        total=round_kwh(total),
        **{name: (round_kwh(tou[name]) if any_tou else None) for name in TOU_REGISTERS},
        read_from=min(by_id[a].read_at for _, a, _, _ in pairs),
        read_to=max(by_id[b].read_at for _, _, b, _ in pairs),
        month_complete=all(complete for *_, complete in pairs),
    )
