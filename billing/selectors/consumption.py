"""Consumption of meters, summed in SQL, shared by the readings API and the business hall's usage page.

Consumption is the measured kWh × the meter's multiplier (倍率), summed in SQL per Asia/Shanghai
hour/day/month: PostgreSQL truncates ``interval_start AT TIME ZONE 'Asia/Shanghai'`` with date_trunc,
SQLite (which stores naive UTC text) formats it with strftime on '+8 hours' — mainland China has
had no daylight saving time since 1991, so the fixed offset is exact. kWh are served to 0.0001 half
up (``core.money.round_kwh``, the precision meters report); the sums are exact before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from django.db import NotSupportedError
from django.db.models import CharField, Count, DecimalField, F, Func, Q, QuerySet, Sum

from billing.models import IntervalReading, Meter, Quality, RegisterRead
from core.money import round_kwh
from core.months import add_months
from core.time import SHANGHAI, local_midnight

TOU_REGISTERS = ("sharp", "peak", "flat", "valley")


class Grouping(StrEnum):
    INTERVAL = "interval"  # no truncation: one row per interval start (summed across meters)
    HOUR = "hour"
    DAY = "day"
    MONTH = "month"


def period_end(start: dt.datetime, *, grouping: Grouping, interval_minutes: int = 15) -> dt.datetime:
    """End (exclusive) of the local period starting at ``start``."""
    if grouping == Grouping.MONTH:
        return local_midnight(add_months(start.date(), 1))
    if grouping == Grouping.DAY:
        return local_midnight(start.date() + dt.timedelta(days=1))
    if grouping == Grouping.HOUR:
        return start + dt.timedelta(hours=1)
    return start + dt.timedelta(minutes=interval_minutes)


def quality_code(value: int) -> str:
    """actual / estimated / edited, the API's spelling of ``Quality``."""
    return Quality(value).name.lower()


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
        kwh=round_kwh(row["consumption"]),
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
    return {name: round_kwh(value) for name, value in sums.items()}


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
