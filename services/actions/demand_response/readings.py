"""Interval load of many accounts as arrays for the baseline maths: (accounts, days, intervals) of
average kW (kWh × multiplier × 60 / interval minutes, summed over an account's customer meters; a 30-
or 60-minute reading covers its 2 or 4 slots at its average), NaN where no reading exists, and a flag
where any meter's reading was estimated.

On PostgreSQL the readings come through one COPY of a set-wise query (10,000 accounts × 46 days of
15-minute data in seconds); elsewhere through the ORM."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from django.db import connection

from billing.models import IntervalReading, Meter
from billing.models.readings import Quality
from core.time import local_midnight

SLOTS = 96  # 15-minute intervals a day: the resolution every baseline works at


@dataclass(frozen=True)
class LoadArrays:
    account_ids: list[int]
    first_day: dt.date
    load_kw: npt.NDArray[np.float64]  # (accounts, days, 96)
    estimated: npt.NDArray[np.bool_]  # (accounts, days, 96)

    def row_of(self) -> dict[int, int]:
        return {account_id: row for row, account_id in enumerate(self.account_ids)}


_SQL = """
COPY (
    SELECT a.row, r.interval_start + s.k * interval '15 minutes' AS slot,
           sum(r.kwh * m.multiplier * 60.0 / m.interval_minutes), max(r.quality)
    FROM billing_intervalreading r
    JOIN billing_meter m ON m.id = r.meter_id
    JOIN unnest(%(accounts)s::bigint[]) WITH ORDINALITY AS a(account_id, row) ON a.account_id = m.account_id
    CROSS JOIN LATERAL generate_series(0, m.interval_minutes / 15 - 1) AS s(k)
    WHERE m.role = 'customer' AND r.interval_start >= %(start)s AND r.interval_start < %(end)s
    GROUP BY a.row, slot
) TO STDOUT WITH (FORMAT csv)
"""


def load_arrays(*, account_ids: list[int], first_day: dt.date, last_day: dt.date) -> LoadArrays:
    """Days ``first_day`` … ``last_day`` (both included) of every account, in account order."""
    days = (last_day - first_day).days + 1
    start, end = local_midnight(first_day), local_midnight(last_day + dt.timedelta(days=1))
    load = np.full((len(account_ids), days, SLOTS), np.nan)
    estimated = np.zeros((len(account_ids), days, SLOTS), dtype=bool)
    if not account_ids:
        return LoadArrays(account_ids=[], first_day=first_day, load_kw=load, estimated=estimated)
    if connection.vendor == "postgresql":
        frame = _copy_frame(account_ids=account_ids, start=start, end=end)
    else:
        frame = _orm_frame(account_ids=account_ids, start=start, end=end)
    if frame.empty:
        return LoadArrays(account_ids=list(account_ids), first_day=first_day, load_kw=load, estimated=estimated)
    seconds = (frame["moment"] - pd.Timestamp(start)).dt.total_seconds().to_numpy()
    slot_index = (seconds // 900).astype(np.int64)
    load.reshape(len(account_ids), -1)[frame["row"].to_numpy(), slot_index] = frame["kw"].to_numpy()
    estimated.reshape(len(account_ids), -1)[frame["row"].to_numpy(), slot_index] = (
        frame["quality"].to_numpy() == Quality.ESTIMATED
    )
    return LoadArrays(account_ids=list(account_ids), first_day=first_day, load_kw=load, estimated=estimated)


def _copy_frame(*, account_ids: list[int], start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    buffer = io.StringIO()
    with connection.cursor() as cursor:
        sql = cursor.mogrify(_SQL, {"accounts": list(account_ids), "start": start, "end": end}).decode()
        cursor.cursor.copy_expert(sql, buffer)
    buffer.seek(0)
    frame = pd.read_csv(buffer, header=None, names=["row", "moment", "kw", "quality"])
    frame["row"] -= 1  # ORDINALITY counts from 1
    frame["moment"] = pd.to_datetime(frame["moment"], utc=True)
    return frame


def _orm_frame(*, account_ids: list[int], start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    row_of = {account_id: row for row, account_id in enumerate(account_ids)}
    meters = {
        m.pk: m
        for m in Meter.objects.filter(account_id__in=account_ids, role=Meter.Role.CUSTOMER).only(
            "id", "account_id", "multiplier", "interval_minutes"
        )
    }
    sums: dict[tuple[int, dt.datetime], list[float]] = {}
    readings = IntervalReading.objects.filter(
        meter_id__in=list(meters), interval_start__gte=start, interval_start__lt=end
    ).values_list("meter_id", "interval_start", "kwh", "quality")
    for meter_id, moment, kwh, quality in readings.iterator():
        meter = meters[meter_id]
        kw = float(kwh * meter.multiplier) * 60.0 / meter.interval_minutes
        for k in range(meter.interval_minutes // 15):  # a 30/60-minute reading covers 2/4 slots at its average
            entry = sums.setdefault((row_of[meter.account_id], moment + dt.timedelta(minutes=15 * k)), [0.0, 0])
            entry[0] += kw
            entry[1] = max(entry[1], quality)
    return pd.DataFrame(
        [(row, moment, kw, quality) for (row, moment), (kw, quality) in sums.items()],
        columns=["row", "moment", "kw", "quality"],
    ).assign(moment=lambda f: pd.to_datetime(f["moment"], utc=True))
