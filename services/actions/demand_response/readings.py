"""Interval load of many accounts as arrays for the baseline maths: (accounts, days, intervals) of
average kW (kWh × multiplier × 60 / interval minutes, summed over an account's customer meters; a 30-
or 60-minute reading covers its 2 or 4 slots at its average), NaN where no reading exists, and a flag
where any meter's reading was estimated.

On PostgreSQL the readings come through one COPY of a set-wise query (10,000 accounts × 46 days of
15-minute data in seconds); elsewhere through the ORM."""

from __future__ import annotations

import datetime as dt
import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from django.db import connection
from django.db.models import Count

from billing.models import IntervalReading, Meter
from billing.models.readings import Quality
from core.time import local_midnight
from services.models import VenReading

SLOTS = 96  # 15-minute intervals a day: the resolution every baseline works at


@dataclass(frozen=True)
class LoadArrays:
    account_ids: list[int]
    first_day: dt.date
    load_kw: npt.NDArray[np.float64]  # (accounts, days, 96)
    estimated: npt.NDArray[np.bool_]  # (accounts, days, 96)

    def row_of(self) -> dict[int, int]:
        return {account_id: row for row, account_id in enumerate(self.account_ids)}


# One row per reading, in PostgreSQL's binary COPY format (fixed-width fields, parsed by numpy without
# any text formatting or parsing). The query touches only the readings table (the meters are known
# already) and converts nothing but kWh to an exact integer of 0.0001 kWh (numeric → float8 goes
# through text inside PostgreSQL, twice as slow); the multiplier, the kW conversion, the sum over an
# account's meters and the spread of 30/60-minute readings over their 15-minute slots happen in
# numpy, far cheaper than a join, numeric arithmetic or a hash aggregate per row in the database.
_SQL = """
COPY (
    SELECT r.meter_id, r.interval_start, (r.kwh * 10000)::int8, r.quality::int2
    FROM billing_intervalreading r
    WHERE r.meter_id = ANY(%(meters)s::bigint[]) AND r.interval_start >= %(start)s AND r.interval_start < %(end)s
) TO STDOUT WITH (FORMAT binary)
"""
_TUPLE = np.dtype(
    [
        ("fields", ">i2"), ("l_meter", ">i4"), ("meter", ">i8"), ("l_at", ">i4"), ("at", ">i8"),
        ("l_kwh", ">i4"), ("kwh", ">i8"), ("l_quality", ">i4"), ("quality", ">i2"),
    ]
)  # fmt: skip
KWH_UNITS = 10_000  # the COPY's kWh are integers of 0.0001 kWh (the column's scale)
_HEADER = b"PGCOPY\n\xff\r\n\x00"
PG_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # binary timestamptz: microseconds since then
PARALLEL_FROM = 2000  # accounts: from here on, two connections COPY batches at once (2 cores)
COPY_BATCH = 1000  # accounts per COPY


def _parse_binary_copy(data) -> np.ndarray:
    """The tuples of a COPY … TO STDOUT (FORMAT binary) of the fixed-width columns above."""
    if bytes(data[:11]) != _HEADER:
        raise ValueError("unexpected COPY header")
    begin = 19 + int.from_bytes(data[15:19], "big")
    stop = len(data) - 2 if bytes(data[-2:]) == b"\xff\xff" else len(data)
    if (stop - begin) % _TUPLE.itemsize:
        raise ValueError("truncated COPY data")
    tuples = np.frombuffer(data, dtype=_TUPLE, offset=begin, count=(stop - begin) // _TUPLE.itemsize)
    if tuples.size and ((tuples["fields"] != 4) | (tuples["l_kwh"] != 8) | (tuples["l_at"] != 8)).any():
        raise ValueError("unexpected COPY tuple layout (a NULL?)")
    return tuples


def load_arrays(*, account_ids: list[int], first_day: dt.date, last_day: dt.date) -> LoadArrays:
    """Days ``first_day`` … ``last_day`` (both included) of every account, in account order."""
    days = (last_day - first_day).days + 1
    start, end = local_midnight(first_day), local_midnight(last_day + dt.timedelta(days=1))
    load = np.full((len(account_ids), days, SLOTS), np.nan)
    estimated = np.zeros((len(account_ids), days, SLOTS), dtype=bool)
    if not account_ids:
        return LoadArrays(account_ids=[], first_day=first_day, load_kw=load, estimated=estimated)
    if connection.vendor == "postgresql":
        _copy_into(load=load, estimated=estimated, account_ids=account_ids, start=start, end=end)
    else:
        rows, slots, spans, kw, quality = _orm_columns(account_ids=account_ids, start=start, end=end)
        _fill(
            load=load,
            estimated=estimated,
            rows=rows,
            slots=slots,
            spans=spans,
            kw=kw,
            quality=quality,
            shared_rows=_rows_with_several_meters(account_ids=account_ids),
        )
    return LoadArrays(account_ids=list(account_ids), first_day=first_day, load_kw=load, estimated=estimated)


Columns = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _fill(
    *,
    load: np.ndarray,
    estimated: np.ndarray,
    rows: np.ndarray,
    slots: np.ndarray,
    spans: np.ndarray,
    kw: np.ndarray,
    quality: np.ndarray,
    shared_rows: np.ndarray,
) -> None:
    """Write readings into the arrays: a 30/60-minute reading covers its 2/4 slots at its average kW, and
    readings of several meters of one account in the same slot add up."""
    if rows.size == 0:
        return
    if (spans > 1).any():
        repeat = spans.astype(np.int64)
        offsets = np.arange(repeat.sum()) - np.repeat(np.cumsum(repeat) - repeat, repeat)
        rows, kw, quality = np.repeat(rows, repeat), np.repeat(kw, repeat), np.repeat(quality, repeat)
        slots = np.repeat(slots, repeat) + offsets
    flat_load = load.reshape(load.shape[0], -1)
    flat_estimated = estimated.reshape(load.shape[0], -1)
    position = rows.astype(np.int64) * flat_load.shape[1] + slots.astype(np.int64)
    inside = (slots >= 0) & (slots < flat_load.shape[1])
    position, kw, quality = position[inside], kw[inside], quality[inside]
    flat = flat_load.reshape(-1)
    if not shared_rows.size:
        flat[position] = kw  # one meter per account: a plain assignment
    else:
        shared = np.isin(rows[inside], shared_rows)
        flat[position[~shared]] = kw[~shared]
        if shared.any():  # accounts with several meters at once: add them up
            flat[position[shared]] = 0.0
            np.add.at(flat, position[shared], kw[shared])
    flat_estimated.reshape(-1)[position[quality == Quality.ESTIMATED]] = True


def _rows_with_several_meters(*, account_ids: list[int]) -> np.ndarray:
    row_of = {account_id: row for row, account_id in enumerate(account_ids)}
    several = (
        Meter.objects.filter(account_id__in=account_ids, role=Meter.Role.CUSTOMER)
        .values("account_id")
        .annotate(meters=Count("id"))
        .filter(meters__gt=1)
        .values_list("account_id", flat=True)
    )
    return np.array(sorted(row_of[a] for a in several), dtype=np.int64)


@dataclass(frozen=True)
class _Meters:
    """The accounts' customer meters, sorted by id: where each one's readings go and how they convert."""

    ids: np.ndarray  # (meters,) sorted
    rows: np.ndarray  # account row of each meter
    kw_per_unit: np.ndarray  # kW per 0.0001 kWh: multiplier × 60 / interval minutes / 10,000
    spans: np.ndarray  # 15-minute slots one reading covers
    shared_rows: np.ndarray  # account rows with several meters (their readings add up)

    def of(self, meter_ids: np.ndarray) -> np.ndarray:
        """Positions in ``ids`` of the meters of the COPY rows (a lookup table over the id range when it
        is dense enough, a binary search otherwise)."""
        low, high = int(self.ids[0]), int(self.ids[-1])
        if high - low < 16 * self.ids.size + 1024:
            table = np.zeros(high - low + 1, dtype=np.int64)
            table[self.ids - low] = np.arange(self.ids.size)
            return table[meter_ids.astype(np.int64) - low]
        return np.searchsorted(self.ids, meter_ids)


def _meters(*, account_ids: list[int]) -> _Meters:
    row_of = {account_id: row for row, account_id in enumerate(account_ids)}
    meters = sorted(
        Meter.objects.filter(account_id__in=account_ids, role=Meter.Role.CUSTOMER).values_list(
            "id", "account_id", "multiplier", "interval_minutes"
        )
    )
    rows = np.array([row_of[m[1]] for m in meters], dtype=np.int64)
    counts = np.bincount(rows, minlength=len(account_ids)) if rows.size else np.zeros(0, dtype=np.int64)
    return _Meters(
        ids=np.array([m[0] for m in meters], dtype=np.int64),
        rows=rows,
        kw_per_unit=np.array([float(m[2]) * 60.0 / m[3] / KWH_UNITS for m in meters], dtype=np.float64),
        spans=np.array([m[3] // 15 for m in meters], dtype=np.int64),
        shared_rows=np.flatnonzero(counts > 1).astype(np.int64),
    )


def _copy_into(
    *, load: np.ndarray, estimated: np.ndarray, account_ids: list[int], start: dt.datetime, end: dt.datetime
) -> None:
    """Accounts in batches (bounded memory: ~100 MB of COPY data each), each batch written into the
    arrays as soon as it arrives; two connections at once when there are enough accounts to be worth
    a second PostgreSQL backend (numpy releases the GIL, so one batch is filled while the next streams)."""
    meters = _meters(account_ids=account_ids)
    if meters.ids.size == 0:
        return
    batches = [
        meters.ids[(meters.rows >= i) & (meters.rows < i + COPY_BATCH)] for i in range(0, len(account_ids), COPY_BATCH)
    ]

    def one(batch: np.ndarray) -> None:
        tuples = _copy_part(meter_ids=batch, start=start, end=end)
        index = meters.of(tuples["meter"])
        _fill(
            load=load,
            estimated=estimated,
            rows=meters.rows[index],
            slots=(tuples["at"] - int((start - PG_EPOCH).total_seconds() * 1_000_000)) // 900_000_000,
            spans=meters.spans[index],
            kw=tuples["kwh"] * meters.kw_per_unit[index],
            quality=tuples["quality"],
            shared_rows=meters.shared_rows,
        )

    if len(account_ids) < PARALLEL_FROM:
        for batch in batches:
            one(batch)
    else:
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(lambda batch: _in_thread(one, batch), batches))


def _in_thread(work, batch) -> None:
    try:
        work(batch)
    finally:
        connection.close()  # this thread's own connection


def _copy_part(*, meter_ids: np.ndarray, start: dt.datetime, end: dt.datetime) -> np.ndarray:
    buffer = io.BytesIO()
    with connection.cursor() as cursor:
        sql = cursor.mogrify(_SQL, {"meters": [int(m) for m in meter_ids], "start": start, "end": end}).decode()
        cursor.cursor.copy_expert(sql, buffer)
    return _parse_binary_copy(buffer.getbuffer())


def _orm_columns(*, account_ids: list[int], start: dt.datetime, end: dt.datetime) -> Columns:
    row_of = {account_id: row for row, account_id in enumerate(account_ids)}
    meters = {
        m.pk: m
        for m in Meter.objects.filter(account_id__in=account_ids, role=Meter.Role.CUSTOMER).only(
            "id", "account_id", "multiplier", "interval_minutes"
        )
    }
    columns: list[list] = [[], [], [], [], []]
    readings = IntervalReading.objects.filter(
        meter_id__in=list(meters), interval_start__gte=start, interval_start__lt=end
    ).values_list("meter_id", "interval_start", "kwh", "quality")
    for meter_id, moment, kwh, quality in readings.iterator():
        meter = meters[meter_id]
        assert meter.account_id is not None  # filtered on account_id above
        columns[0].append(row_of[meter.account_id])
        columns[1].append(int((moment - start).total_seconds() // 900))
        columns[2].append(meter.interval_minutes // 15)
        columns[3].append(float(kwh * meter.multiplier) * 60.0 / meter.interval_minutes)
        columns[4].append(quality)
    return tuple(np.asarray(c) for c in columns)  # type: ignore[return-value]


def fill_from_ven_reports(*, arrays: LoadArrays, start: dt.datetime, end: dt.datetime) -> dict[int, int]:
    """Where the meter has no reading (NaN) in [start, end), the usage VENs reported over OpenADR for
    the account (services.models.VenReading): each interval's kWh spread evenly over its 15-minute
    slots as average kW (kWh × 60 / minutes); USAGE wins over DEMAND for the same slot, and several
    resources of one account add up. Meter data is never replaced. Returns the slots filled per row."""
    row_of = arrays.row_of()
    if not row_of:
        return {}
    flat = arrays.load_kw.reshape(arrays.load_kw.shape[0], -1)
    origin = local_midnight(arrays.first_day)
    reported: dict[str, dict[tuple[int, int], float]] = {VenReading.Kind.USAGE: {}, VenReading.Kind.DEMAND: {}}
    rows = VenReading.objects.filter(
        account_id__in=list(row_of), interval_start__lt=end, interval_end__gt=start
    ).values_list("account_id", "kind", "interval_start", "interval_end", "kwh")
    for account_id, kind, first, last, kwh in rows:
        slots = int((last - first).total_seconds() // 900)
        kw = float(kwh) * 4.0 / slots  # kWh over the interval as each quarter hour's average kW
        for k in range(slots):
            moment = first + dt.timedelta(minutes=15 * k)
            if start <= moment < end:
                key = (row_of[account_id], int((moment - origin).total_seconds() // 900))
                reported[kind][key] = reported[kind].get(key, 0.0) + kw
    merged = {**reported[VenReading.Kind.DEMAND], **reported[VenReading.Kind.USAGE]}
    filled: dict[int, int] = {}
    for (row, slot), kw in merged.items():
        if 0 <= slot < flat.shape[1] and np.isnan(flat[row, slot]):
            flat[row, slot] = kw
            filled[row] = filled.get(row, 0) + 1
    return filled
