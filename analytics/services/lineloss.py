"""Line loss (线损) per transformer area, per Asia/Shanghai day and per month.

supplied = Σ interval kWh × multiplier of the area's summary meter (台区总表), consumed = the same over its
customer meters, loss = supplied − consumed, rate = loss ÷ supplied. The database does the sums (one
aggregate over the readings, one over the meters × days joined to billing's completeness table);
Python only walks the resulting area-days to set the flags, which need each area's own history.

Flags (settings LINE_LOSS_*): negative rate; rate above LINE_LOSS_MAX_RATE; a jump — the rate further
from the median of the area's last 30 complete days (at least 7 of them) than both LINE_LOSS_JUMP and
4 robust standard deviations (1.4826 × MAD) of those days (upwards), so a noisy area needs a bigger move. An
area-day below LINE_LOSS_MIN_COMPLETENESS of expected intervals (summary or customers) is marked
incomplete: shown, never flagged, never history for the jump test.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict, deque
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth

from analytics.models import AreaLossDay, AreaLossMonth
from billing.models import Meter, MeterDayCompleteness
from core.money import round_kwh
from core.months import month_start, next_month
from core.time import local_midnight

JUMP_HISTORY_DAYS = 30  # complete days the jump baseline looks back over
JUMP_MIN_HISTORY = 7  # fewer complete days than this: no jump test yet
JUMP_Z = Decimal(4)  # robust z-score a jump must also exceed
MAD_TO_SIGMA = Decimal("1.4826")  # MAD × this estimates σ for normally distributed noise
MONTH_HISTORY = 6  # complete months the monthly jump baseline looks back over
MONTH_MIN_HISTORY = 3
RATE_STEP = Decimal("0.000001")  # rates and shares as stored (numeric(…, 6)); a step of this module's own
CUSTOMER, SUMMARY = Meter.Role.CUSTOMER, Meter.Role.AREA_SUMMARY


@dataclass(frozen=True)
class LineLossResult:
    areas: int
    days: int  # area-days written
    months: int  # area-months written
    flagged_days: int
    incomplete_days: int

    def __str__(self) -> str:
        return (
            f"Line loss: {self.days:,} area-days over {self.areas:,} areas ({self.flagged_days:,} flagged, "
            f"{self.incomplete_days:,} incomplete), {self.months:,} area-months."
        )


def compute_line_loss(
    *, start: dt.date, end: dt.date, as_of: dt.datetime, area_ids: list[int] | None = None
) -> LineLossResult:
    """Compute and upsert AreaLossDay for local days ``start`` ≤ day < ``end``, then re-roll the
    AreaLossMonth rows of every month those days touch. Idempotent: re-running replaces the rows.
    ``area_ids``: only these areas (default: every area with a summary meter in service in the period);
    ``as_of``: intervals after it are not expected yet (a day still running is incomplete, not lossy)."""
    if end <= start:
        raise ValueError("end must be after start")
    window_start = local_midnight(start)
    window_end = local_midnight(end)
    summaries = Meter.objects.filter(role=SUMMARY, installed_at__lt=window_end).filter(
        Q(removed_at__isnull=True) | Q(removed_at__gt=window_start)
    )
    if area_ids is not None:
        summaries = summaries.filter(area_id__in=area_ids)
    areas = sorted(set(summaries.values_list("area_id", flat=True)))
    if not areas:
        return LineLossResult(areas=0, days=0, months=0, flagged_days=0, incomplete_days=0)
    # Only areas with interval data in the window can have an area-day row (every ingest refreshes the
    # meter-day completeness it touched): a big grid's areas read monthly would cost a scan of every
    # meter × day for nothing (15 s of a 10,000-customer seed).
    measured = sorted(
        set(
            MeterDayCompleteness.objects.filter(day__gte=start, day__lt=end, meter__area_id__in=areas)
            .values_list("meter__area_id", flat=True)
            .distinct()
        )
    )
    energy = _energy_by_area_day(areas=measured, start=start, end=end) if measured else {}
    coverage = _coverage_by_area_day(areas=measured, start=start, end=end, as_of=as_of) if measured else {}
    min_share = Decimal(str(settings.LINE_LOSS_MIN_COMPLETENESS))
    rows: dict[tuple[int, dt.date], AreaLossDay] = {}
    for key in sorted(set(energy) | {k for k, v in coverage.items() if v["measured"]}):
        area_id, day = key
        kwh = energy.get(key, {})
        cov = coverage.get(
            key,
            {
                "summary_expected": 0,
                "summary_measured": 0,
                "customer_expected": 0,
                "customer_measured": 0,
                "meters": 0,
                "measured": 0,
            },
        )
        rows[key] = _figures(
            AreaLossDay(area_id=area_id, day=day, computed_at=as_of),
            supplied=kwh.get(SUMMARY, Decimal(0)),
            consumed=kwh.get(CUSTOMER, Decimal(0)),
            coverage=cov,
            min_share=min_share,
        )
    with transaction.atomic():
        _flag_days(rows=rows, areas=areas, start=start)
        # Area-days that no longer have any data (readings deleted) must not keep stale figures.
        AreaLossDay.objects.filter(area_id__in=areas, day__gte=start, day__lt=end).delete()
        AreaLossDay.objects.bulk_create(rows.values(), batch_size=2000)
        months = _roll_up_months(areas=areas, start=start, end=end, as_of=as_of, min_share=min_share)
    return LineLossResult(
        areas=len(areas),
        days=len(rows),
        months=months,
        flagged_days=sum(r.flagged for r in rows.values()),
        incomplete_days=sum(r.incomplete for r in rows.values()),
    )


def _decimal(value) -> Decimal:
    """SQLite sums numerics as floats; PostgreSQL as exact numerics. Both to 4 places (0 when nothing)."""
    return Decimal(0) if value is None else round_kwh(value)


def _share(measured: int, expected: int) -> Decimal:
    if not expected:
        return Decimal(0)
    return min(Decimal(1), Decimal(measured) / Decimal(expected)).quantize(RATE_STEP, rounding=ROUND_HALF_UP)


def _figures(row, *, supplied: Decimal, consumed: Decimal, coverage: dict, min_share: Decimal):
    row.supplied_kwh = supplied
    row.consumed_kwh = consumed
    row.loss_kwh = supplied - consumed
    row.loss_rate = (row.loss_kwh / supplied).quantize(RATE_STEP, rounding=ROUND_HALF_UP) if supplied > 0 else None
    row.summary_expected = coverage["summary_expected"]
    row.summary_measured = coverage["summary_measured"]
    row.customer_expected = coverage["customer_expected"]
    row.customer_measured = coverage["customer_measured"]
    row.customer_meters = coverage["meters"]
    row.summary_completeness = _share(row.summary_measured, row.summary_expected)
    row.customer_completeness = _share(row.customer_measured, row.customer_expected)
    row.incomplete = (
        row.loss_rate is None
        or row.summary_completeness < min_share
        or (row.customer_expected > 0 and row.customer_completeness < min_share)
    )
    return row


# --- the two aggregates ------------------------------------------------------------------------------

# The day's energy of each meter comes from its completeness row (the sum of its interval readings,
# refreshed with the counts by every ingest), so a year of 96 readings a meter-day is not scanned again.
ENERGY = """
SELECT m.area_id, m.role, c.day, sum(c.kwh * m.multiplier)
FROM billing_meterdaycompleteness c JOIN billing_meter m ON m.id = c.meter_id
WHERE m.area_id IN ({areas}) AND c.day >= %s AND c.day < %s
GROUP BY 1, 2, 3
"""

# Expected intervals of every meter in service on each day (the same rule as billing's
# expected_intervals: not before installation, after removal or after as_of), and the measured
# (actual + edited) intervals from billing_meterdaycompleteness; a meter-day without a row delivered
# nothing at all, which is exactly the case that must not pass for loss.
PG_COVERAGE = """
SELECT m.area_id, m.role, d.day,
    sum(GREATEST(0, floor(extract(epoch FROM
        LEAST(d.day_end, m.removed_at, %(as_of)s) - GREATEST(d.day_start, m.installed_at)
    ) / (m.interval_minutes * 60))))::bigint AS expected,
    sum(LEAST(COALESCE(c.actual + c.edited, 0), c.expected))::bigint AS measured,
    count(*) AS meters
FROM (
    SELECT day, day::timestamp AT TIME ZONE 'Asia/Shanghai' AS day_start,
           (day + 1)::timestamp AT TIME ZONE 'Asia/Shanghai' AS day_end
    FROM (SELECT %(start)s::date + i AS day FROM generate_series(0, %(days)s - 1) AS i) s
) d
JOIN billing_meter m ON m.installed_at < d.day_end AND (m.removed_at IS NULL OR m.removed_at > d.day_start)
LEFT JOIN billing_meterdaycompleteness c ON c.meter_id = m.id AND c.day = d.day
WHERE m.area_id = ANY(%(areas)s)
GROUP BY 1, 2, 3
"""
SQLITE_COVERAGE = """
WITH RECURSIVE days(day) AS (SELECT %s UNION ALL SELECT date(day, '+1 day') FROM days WHERE day < %s),
d AS (SELECT day, datetime(day, '-8 hours') AS day_start, datetime(day, '+16 hours') AS day_end FROM days)
SELECT m.area_id, m.role, d.day,
    sum(max(0, (strftime('%%s', min(d.day_end, COALESCE(m.removed_at, d.day_end), %s))
              - strftime('%%s', max(d.day_start, m.installed_at))) / (m.interval_minutes * 60))),
    sum(min(COALESCE(c.actual + c.edited, 0), COALESCE(c.expected, 0))),
    count(*)
FROM d
JOIN billing_meter m ON m.installed_at < d.day_end AND (m.removed_at IS NULL OR m.removed_at > d.day_start)
LEFT JOIN billing_meterdaycompleteness c ON c.meter_id = m.id AND c.day = d.day
WHERE m.area_id IN ({areas})
GROUP BY 1, 2, 3
"""


def _as_date(value) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _energy_by_area_day(*, areas: list[int], start: dt.date, end: dt.date) -> dict:
    found: dict[tuple[int, dt.date], dict[str, Decimal]] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(ENERGY.format(areas=",".join("%s" for _ in areas)), [*areas, start.isoformat(), end.isoformat()])
        for area_id, role, day, kwh in cursor.fetchall():
            found[(area_id, _as_date(day))][role] = _decimal(kwh)
    return found


def _coverage_by_area_day(*, areas: list[int], start: dt.date, end: dt.date, as_of: dt.datetime) -> dict:
    found: dict[tuple[int, dt.date], dict[str, int]] = defaultdict(
        lambda: {
            "summary_expected": 0,
            "summary_measured": 0,
            "customer_expected": 0,
            "customer_measured": 0,
            "meters": 0,
            "measured": 0,
        }
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            params: dict[str, Any] = {"areas": areas, "start": start, "days": (end - start).days, "as_of": as_of}
            cursor.execute(PG_COVERAGE, params)
        else:
            adapt = connection.ops.adapt_datetimefield_value
            sql = SQLITE_COVERAGE.format(areas=",".join("%s" for _ in areas))
            last = end - dt.timedelta(days=1)
            cursor.execute(sql, [start.isoformat(), last.isoformat(), adapt(as_of), *areas])
        for area_id, role, day, expected, measured, meters in cursor.fetchall():
            entry = found[(area_id, _as_date(day))]
            prefix = "summary" if role == SUMMARY else "customer"
            entry[f"{prefix}_expected"] += int(expected or 0)
            entry[f"{prefix}_measured"] += int(measured or 0)
            entry["measured"] += int(measured or 0)
            if role == CUSTOMER:
                entry["meters"] += int(meters)
    return found


# --- flags ---------------------------------------------------------------------------------------------


def _set_flags(row, *, history: deque) -> None:
    """Flags of one complete area-period against ``history`` (its recent complete rates, oldest first)."""
    row.flag_negative = row.flag_high = row.flag_jump = False
    row.baseline_rate = None
    if row.incomplete:
        row.flagged = False
        return
    max_rate = Decimal(str(settings.LINE_LOSS_MAX_RATE))
    jump = Decimal(str(settings.LINE_LOSS_JUMP))
    row.flag_negative = row.loss_rate < 0
    row.flag_high = row.loss_rate > max_rate
    minimum = JUMP_MIN_HISTORY if isinstance(row, AreaLossDay) else MONTH_MIN_HISTORY
    if len(history) >= minimum:
        median = statistics.median(history)
        spread = MAD_TO_SIGMA * statistics.median(abs(rate - median) for rate in history)
        row.baseline_rate = Decimal(median).quantize(RATE_STEP, rounding=ROUND_HALF_UP)
        # Upwards only: a fall back to normal after a high spell (a factory's holiday shutdown raising
        # the no-load share) is no anomaly; a summary meter reading low shows as a negative rate.
        row.flag_jump = row.loss_rate - median > max(jump, JUMP_Z * spread)
    row.flagged = row.flag_negative or row.flag_high or row.flag_jump


def _flag_days(*, rows: dict[tuple[int, dt.date], AreaLossDay], areas: list[int], start: dt.date) -> None:
    """Walk each area's days in order; the history is its complete days before ``start`` as stored,
    then the days computed here as they pass."""
    earlier = (
        AreaLossDay.objects.filter(
            area_id__in=areas,
            day__lt=start,
            day__gte=start - dt.timedelta(days=3 * JUMP_HISTORY_DAYS),
            incomplete=False,
        )
        .order_by("area_id", "day")
        .values_list("area_id", "loss_rate")
    )
    history: dict[int, deque] = defaultdict(lambda: deque(maxlen=JUMP_HISTORY_DAYS))
    for area_id, rate in earlier:
        history[area_id].append(rate)
    for (area_id, _day), row in sorted(rows.items()):
        _set_flags(row, history=history[area_id])
        if not row.incomplete:
            history[area_id].append(row.loss_rate)


# --- months --------------------------------------------------------------------------------------------


def _roll_up_months(*, areas: list[int], start: dt.date, end: dt.date, as_of: dt.datetime, min_share: Decimal) -> int:
    """Re-aggregate (in the database) the stored days of every month ``start``…``end`` touches."""
    first, last = month_start(start), next_month(end - dt.timedelta(days=1))
    sums = (
        AreaLossDay.objects.filter(area_id__in=areas, day__gte=first, day__lt=last)
        .annotate(month=TruncMonth("day"))
        .values("area_id", "month")
        .annotate(
            supplied=Sum("supplied_kwh"),
            consumed=Sum("consumed_kwh"),
            summary_expected=Sum("summary_expected"),
            summary_measured=Sum("summary_measured"),
            customer_expected=Sum("customer_expected"),
            customer_measured=Sum("customer_measured"),
            days=Count("id"),
            complete_days=Count("id", filter=Q(incomplete=False)),
        )
        .order_by("area_id", "month")
    )
    months = []
    meters = dict(
        Meter.objects.filter(role=CUSTOMER, area_id__in=areas)
        .filter(Q(removed_at__isnull=True) | Q(removed_at__gt=local_midnight(first)))
        .values("area_id")
        .annotate(n=Count("id"))
        .values_list("area_id", "n")
    )
    for s in sums:
        month = _as_date(s["month"]) if not isinstance(s["month"], dt.datetime) else s["month"].date()
        row = _figures(
            AreaLossMonth(
                area_id=s["area_id"], month=month, days=s["days"], complete_days=s["complete_days"], computed_at=as_of
            ),
            supplied=_decimal(s["supplied"]),
            consumed=_decimal(s["consumed"]),
            coverage={
                "summary_expected": s["summary_expected"],
                "summary_measured": s["summary_measured"],
                "customer_expected": s["customer_expected"],
                "customer_measured": s["customer_measured"],
                "meters": meters.get(s["area_id"], 0),
            },
            min_share=min_share,
        )
        months.append(row)
    history: dict[int, deque] = defaultdict(lambda: deque(maxlen=MONTH_HISTORY))
    for area_id, rate in (
        AreaLossMonth.objects.filter(area_id__in=areas, month__lt=first, incomplete=False)
        .order_by("area_id", "month")
        .values_list("area_id", "loss_rate")
    ):
        history[area_id].append(rate)
    for row in months:
        _set_flags(row, history=history[row.area_id])
        if not row.incomplete:
            history[row.area_id].append(row.loss_rate)
    AreaLossMonth.objects.filter(area_id__in=areas, month__gte=first, month__lt=last).delete()
    AreaLossMonth.objects.bulk_create(months, batch_size=2000)
    return len(months)
