"""Internal: a load series as a day × interval matrix on the local calendar, plus input checks.

Every method works on this matrix, so that missing timestamps, quality codes and the event window's
columns are decided once, the same way for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import numpy.typing as npt
import pandas as pd

from core.time import SHANGHAI, local_midnight

from .types import EventWindow, Quality

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

ALLOWED_INTERVALS = (15, 30, 60)


def to_local(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: every time must be aware")
    return moment.astimezone(SHANGHAI)


def local_index(series: pd.Series, what: str) -> pd.DatetimeIndex:
    index = series.index
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
        raise ValueError(f"{what} must be indexed by aware timestamps")
    if index.has_duplicates:
        raise ValueError(f"{what} has duplicate timestamps")
    return index.tz_convert(SHANGHAI)


def interval_minutes_of(load: pd.Series) -> int:
    """The interval length of the load's index: its smallest step, which must be 15, 30 or 60 min."""
    index = local_index(load, "load")
    if not index.is_monotonic_increasing:
        index = index.sort_values()
    if len(index) < 2:
        raise ValueError("load needs at least two timestamps to tell its interval")
    per_minute = pd.Timedelta(minutes=1) // pd.Timedelta(1, unit=index.unit)
    minutes = int(np.diff(index.asi8).min()) // per_minute
    if minutes not in ALLOWED_INTERVALS:
        raise ValueError(f"interval of {minutes} min: expected one of {ALLOWED_INTERVALS}")
    # Aligned when every timestamp is a whole number of intervals from local midnight (UTC+8, no DST).
    local_ticks = index.asi8 + 8 * 60 * per_minute
    if (local_ticks % (minutes * per_minute)).any():
        raise ValueError(f"timestamps are not aligned to {minutes}-minute interval starts")
    return minutes


@dataclass(frozen=True)
class Event:
    """The event window in local time, and its position on the day grid."""

    start: datetime
    end: datetime
    notice_at: datetime
    day: date
    first_col: int
    last_col: int  # exclusive

    @property
    def cols(self) -> slice:
        return slice(self.first_col, self.last_col)

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


def check_event(event: EventWindow, interval_minutes: int) -> Event:
    start, end, notice = to_local(event.start), to_local(event.end), to_local(event.notice_at)
    if end <= start:
        raise ValueError("event end must be after its start")
    day = start.date()
    midnight = local_midnight(day)
    if end > midnight + timedelta(days=1):
        raise ValueError("an event window must lie within one local day (split events that cross midnight)")
    step = timedelta(minutes=interval_minutes)
    for moment in (start, end):
        if (moment - midnight) % step:
            raise ValueError(f"{moment.isoformat()} is not on a {interval_minutes}-minute boundary")
    first = int((start - midnight) / step)
    last = int((end - midnight) / step)
    return Event(start=start, end=end, notice_at=notice, day=day, first_col=first, last_col=last)


@dataclass(frozen=True)
class Grid:
    """Days first_day..last_day (inclusive) × intervals of the day; NaN where no reading."""

    interval_minutes: int
    first_day: date
    values: FloatArray  # (days, per_day)
    estimated: BoolArray  # (days, per_day), quality 1

    @property
    def per_day(self) -> int:
        return 24 * 60 // self.interval_minutes

    @property
    def n_days(self) -> int:
        return int(self.values.shape[0])

    def day_at(self, row: int) -> date:
        return self.first_day + timedelta(days=row)

    def row_of(self, day: date) -> int:
        return (day - self.first_day).days

    def full_index(self) -> pd.DatetimeIndex:
        return pd.date_range(
            start=local_midnight(self.first_day), periods=self.n_days * self.per_day, freq=f"{self.interval_minutes}min"
        )

    def index_for(self, day: date, cols: slice) -> pd.DatetimeIndex:
        step = timedelta(minutes=self.interval_minutes)
        start = local_midnight(day) + cols.start * step
        return pd.date_range(start=start, periods=cols.stop - cols.start, freq=step)


def build_grid(
    *, load: pd.Series, quality: pd.Series | None, interval_minutes: int, first_day: date, last_day: date
) -> Grid:
    n_days = (last_day - first_day).days + 1
    per_day = 24 * 60 // interval_minutes
    full = pd.date_range(start=local_midnight(first_day), periods=n_days * per_day, freq=f"{interval_minutes}min")
    series = pd.Series(load.to_numpy(dtype=np.float64), index=local_index(load, "load"))
    values = series.reindex(full).to_numpy(dtype=np.float64).reshape(n_days, per_day)
    if quality is None:
        estimated = np.zeros((n_days, per_day), dtype=np.bool_)
    else:
        codes = pd.Series(quality.to_numpy(), index=local_index(quality, "quality")).reindex(full)
        # A reading with no quality code is taken as actual: the code only ever downgrades a reading.
        estimated = (codes.to_numpy() == int(Quality.ESTIMATED)).reshape(n_days, per_day)
    return Grid(interval_minutes=interval_minutes, first_day=first_day, values=values, estimated=estimated)


def first_day_needed(event_day: date, lookback_days: int) -> date:
    # One extra day before the look-back: a day-ahead adjustment window can reach into it.
    return event_day - timedelta(days=lookback_days + 1)
