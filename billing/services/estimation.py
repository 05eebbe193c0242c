"""Gap estimation (VEE's second "E") for interval data.

A gap is a run of missing intervals between two stored readings of the same meter:

* up to 2 hours: linear interpolation between the readings either side of the gap;
* longer: for each missing slot, the average of the same slot on up to 4 of the previous 28 days of
  the same kind (working day or rest day, mainland calendar); where no such day has data, linear
  interpolation again.

Estimates are written with quality ESTIMATED and never overwrite anything (ON CONFLICT DO NOTHING);
actual data arriving later replaces them through the normal merge. Gaps at the ends of a series are
not estimated: there is nothing to bound them yet, and completeness reports them as missing.

After a batch, :func:`meters_with_possible_gaps` narrows the search to the meters whose new readings
have a hole or do not join up with their stored neighbours; a full day of fresh 15-minute data for a
hundred thousand meters then costs two index probes per meter instead of a window over every row.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import pandas as pd
from django.db import connection

from billing.models import IntervalReading, Meter, Quality
from billing.selectors.usage import READINGS_NAMESPACE
from core.cache import bump_source_versions
from core.calendar import is_working_day
from core.money import round_kwh
from core.time import local_date

INTERPOLATION_LIMIT = dt.timedelta(hours=2)
HISTORY_DAYS = 28
SIMILAR_DAYS = 4
PROBE_BATCH = 2000
# The stored readings right before and after each meter's run of new readings, within the window.
PG_NEIGHBOURS = """
SELECT c.meter_id,
    (SELECT max(r.interval_start) FROM billing_intervalreading r
     WHERE r.meter_id = c.meter_id AND r.interval_start >= %(start)s AND r.interval_start < c.first_start),
    (SELECT min(r.interval_start) FROM billing_intervalreading r
     WHERE r.meter_id = c.meter_id AND r.interval_start > c.last_start AND r.interval_start < %(end)s)
FROM unnest(%(meter_ids)s::bigint[], %(firsts)s::timestamptz[], %(lasts)s::timestamptz[])
    AS c(meter_id, first_start, last_start)
"""


def _find_gaps(
    *, meter_ids: list[int], start: dt.datetime, end: dt.datetime
) -> list[tuple[int, dt.datetime, dt.datetime]]:
    """(meter_id, last reading before the gap, first reading after it) for every gap in [start, end)."""
    gaps = []
    sql = (
        "SELECT meter_id, interval_start, next_start FROM ("
        " SELECT meter_id, interval_start,"
        "  lead(interval_start) OVER (PARTITION BY meter_id ORDER BY interval_start) AS next_start"
        " FROM billing_intervalreading WHERE meter_id IN ({ids}) AND interval_start >= %s AND interval_start < %s"
        ") t WHERE next_start IS NOT NULL"
    )
    adapt = connection.ops.adapt_datetimefield_value  # SQLite stores naive UTC text
    start_param, end_param = adapt(start), adapt(end)
    for offset in range(0, len(meter_ids), 2000):
        part = meter_ids[offset : offset + 2000]
        with connection.cursor() as cursor:
            # Only rows followed by a jump are interesting; filter the jump in SQL where we can.
            if connection.vendor == "postgresql":
                cursor.execute(
                    sql.format(ids="SELECT unnest(%s::bigint[])")
                    + " AND next_start - interval_start > interval '15 minutes'",
                    [part, start_param, end_param],
                )
            else:
                cursor.execute(sql.format(ids=",".join("%s" for _ in part)), [*part, start_param, end_param])
            for meter_id, before, after in cursor.fetchall():
                before, after = _aware(before), _aware(after)
                gaps.append((meter_id, before, after))
    return gaps


def _aware(value) -> dt.datetime:
    if isinstance(value, str):  # SQLite raw cursor: naive UTC text
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _similar_day_average(*, meter_id: int, slot: dt.datetime, history: dict) -> Decimal | None:
    """Average of the same slot on up to 4 previous days of the same kind that have data."""
    day_kind = is_working_day(local_date(slot))
    values = []
    for back in range(1, HISTORY_DAYS + 1):
        earlier = slot - dt.timedelta(days=back)
        if is_working_day(local_date(earlier)) != day_kind:
            continue
        value = history.get((meter_id, earlier))
        if value is not None:
            values.append(value)
            if len(values) == SIMILAR_DAYS:
                break
    if not values:
        return None
    return sum(values, Decimal(0)) / len(values)


def estimate_gaps(*, meter_ids: Iterable[int], start: dt.datetime, end: dt.datetime, batch_id: int | None) -> int:
    """Fill the gaps of ``meter_ids`` between ``start`` and ``end``; returns how many estimates were written."""
    ids = sorted(set(meter_ids))
    if not ids:
        return 0
    gaps = _find_gaps(meter_ids=ids, start=start, end=end)
    intervals = dict(Meter.objects.filter(pk__in={g[0] for g in gaps}).values_list("id", "interval_minutes"))
    gaps = [g for g in gaps if g[2] - g[1] > dt.timedelta(minutes=intervals[g[0]])]
    if not gaps:
        return 0
    long_gap_meters = {g[0] for g in gaps if g[2] - g[1] - dt.timedelta(minutes=intervals[g[0]]) > INTERPOLATION_LIMIT}
    history: dict[tuple[int, dt.datetime], Decimal] = {}
    if long_gap_meters:
        earliest = min(g[1] for g in gaps) - dt.timedelta(days=HISTORY_DAYS)
        latest = max(g[2] for g in gaps)
        rows = IntervalReading.objects.filter(
            meter_id__in=long_gap_meters,
            interval_start__gte=earliest,
            interval_start__lt=latest,
            quality__in=[Quality.ACTUAL, Quality.EDITED],
        ).values_list("meter_id", "interval_start", "kwh")
        history = {(m, ts): kwh for m, ts, kwh in rows}
    endpoints = dict(
        ((m, ts), kwh)
        for m, ts, kwh in IntervalReading.objects.filter(meter_id__in={g[0] for g in gaps})
        .filter(interval_start__in={g[1] for g in gaps} | {g[2] for g in gaps})
        .values_list("meter_id", "interval_start", "kwh")
    )
    estimates: dict[int, list[tuple[dt.datetime, Decimal]]] = defaultdict(list)
    for meter_id, before, after in gaps:
        step = dt.timedelta(minutes=intervals[meter_id])
        missing = int((after - before) / step) - 1
        v0, v1 = endpoints[(meter_id, before)], endpoints[(meter_id, after)]
        long_gap = missing * step > INTERPOLATION_LIMIT
        for k in range(1, missing + 1):
            slot = before + k * step
            value = _similar_day_average(meter_id=meter_id, slot=slot, history=history) if long_gap else None
            if value is None:
                value = v0 + (v1 - v0) * Decimal(k) / Decimal(missing + 1)
            estimates[meter_id].append((slot, round_kwh(value)))
    new_rows = [
        IntervalReading(meter_id=meter_id, interval_start=slot, kwh=value, quality=Quality.ESTIMATED, batch_id=batch_id)
        for meter_id, values in estimates.items()
        for slot, value in values
    ]
    created = IntervalReading.objects.bulk_create(new_rows, batch_size=5000, ignore_conflicts=True)
    bump_source_versions(READINGS_NAMESPACE, estimates.keys())
    return len(created)


def meters_with_possible_gaps(*, coverage: pd.DataFrame, start: dt.datetime, end: dt.datetime) -> list[int]:
    """The meters :func:`estimate_gaps` has to search after a batch wrote the readings described by
    ``coverage``: one row per chunk and meter with ``meter_id``, ``first`` and ``last`` (UTC epoch
    seconds of its first and last valid reading in that chunk), ``count`` and ``step`` (the meter's
    interval in seconds).

    A meter is left out only when the batch's readings of it form one unbroken run and the stored
    readings next to that run within [start, end) touch it, so no gap can border on or lie inside
    what the batch wrote. A hole in the batch's own readings (which stored data may or may not
    fill) or a stored neighbour further away sends the meter to the full search. On SQLite, the
    small embedded database, every meter goes there."""
    meter_ids = sorted({int(m) for m in coverage["meter_id"]})
    if connection.vendor != "postgresql" or not meter_ids:
        return meter_ids
    runs = coverage.sort_values(["meter_id", "first"], kind="stable").reset_index(drop=True)
    unbroken = (runs["last"] - runs["first"]) // runs["step"] + 1 == runs["count"]
    reach = runs.groupby("meter_id")["last"].cummax()
    previous_reach = reach.groupby(runs["meter_id"]).shift()
    joined = previous_reach.isna() | (runs["first"] <= previous_reach + runs["step"])
    whole = (unbroken & joined).groupby(runs["meter_id"]).all()
    candidates = {int(m) for m in whole.index[~whole.to_numpy()]}
    spans = runs.groupby("meter_id").agg(first=("first", "min"), last=("last", "max"), step=("step", "first"))
    spans = spans[whole]
    for offset in range(0, len(spans), PROBE_BATCH):
        part = spans.iloc[offset : offset + PROBE_BATCH]
        params: dict[str, Any] = {
            "meter_ids": [int(m) for m in part.index],
            "firsts": [dt.datetime.fromtimestamp(v, tz=dt.UTC) for v in part["first"].tolist()],
            "lasts": [dt.datetime.fromtimestamp(v, tz=dt.UTC) for v in part["last"].tolist()],
            "start": start,
            "end": end,
        }
        with connection.cursor() as cursor:
            cursor.execute(PG_NEIGHBOURS, params)
            neighbours = cursor.fetchall()
        for (meter_id, before, after), first, last, step in zip(
            neighbours, part["first"].tolist(), part["last"].tolist(), part["step"].tolist(), strict=True
        ):
            if (before is not None and before.timestamp() < first - step) or (
                after is not None and after.timestamp() > last + step
            ):
                candidates.add(meter_id)
    return sorted(candidates)
