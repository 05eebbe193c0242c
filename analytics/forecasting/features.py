"""Feature construction for day-ahead load forecasting.

Everything works on a *day matrix*: one row per calendar day (Asia/Shanghai), one column per slot of the
day. A row of features for day D is built from rows strictly before D of the load matrix, from D's own
calendar (known in advance) and from the temperature of D and earlier days. Nothing here reads load of D,
so the same code serves training (every historical day at once) and forecasting (one future day).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.calendar import DayKind, day_kind
from core.time import SHANGHAI_NAME

TZ = SHANGHAI_NAME  # pandas wants the zone's name
SUPPORTED_RESOLUTIONS = (5, 10, 15, 20, 30, 60)
# Features look back at most 14 days (the most recent day of the same kind, last week's slot); one spare.
LOOKBACK_DAYS = 15
# Heating/cooling degrees around a comfort temperature; trees would find the knee anyway, but the degree
# variables make the same information cheap to split on.
COMFORT_C = 18.0


class ForecastDataError(ValueError):
    """Input series that cannot be forecast: irregular spacing, duplicates, too little history …"""


# ---------------------------------------------------------------------------------------------------------
# Series hygiene


def to_local_series(series: pd.Series, *, name: str) -> pd.Series:
    """The series as float on an aware Asia/Shanghai index, sorted. Naive indexes are read as Shanghai
    wall time; duplicates are refused rather than guessed."""
    if not isinstance(series.index, pd.DatetimeIndex):
        raise ForecastDataError(f"{name}: the index must be a DatetimeIndex")
    index = series.index
    index = index.tz_localize(TZ) if index.tz is None else index.tz_convert(TZ)
    out = pd.Series(pd.to_numeric(series.to_numpy(), errors="coerce"), index=index, name=name, dtype=float)
    out = out.sort_index()
    if out.index.has_duplicates:
        first = out.index[out.index.duplicated()][0]
        raise ForecastDataError(f"{name}: duplicate timestamp {first.isoformat()}")
    return out


def infer_resolution_minutes(index: pd.DatetimeIndex, *, name: str = "load") -> int:
    """The regular spacing of the series in minutes (gaps allowed, as whole multiples of the spacing).
    Every timestamp must sit on the day's grid starting at midnight."""
    if len(index) < 3:
        raise ForecastDataError(f"{name}: at least three timestamps are needed to tell the resolution")
    steps = np.diff(index.as_unit("s").asi8) // 60  # whole minutes
    positive = steps[steps > 0]
    values, counts = np.unique(positive, return_counts=True)
    minutes = int(values[np.argmax(counts)])
    if minutes not in SUPPORTED_RESOLUTIONS:
        raise ForecastDataError(
            f"{name}: irregular or unsupported resolution — the most common step is {minutes} min; "
            f"supported: {', '.join(map(str, SUPPORTED_RESOLUTIONS))} min"
        )
    off_grid = (index.hour * 60 + index.minute) % minutes != 0
    off_grid |= (index.second != 0) | (index.microsecond != 0)
    if off_grid.any() or np.any(positive % minutes):
        bad = index[int(np.argmax(off_grid))] if off_grid.any() else index[1:][int(np.argmax(steps % minutes != 0))]
        raise ForecastDataError(
            f"{name}: irregular resolution — {bad.isoformat()} is not on the {minutes}-minute grid from midnight"
        )
    return minutes


def slots_per_day(resolution_minutes: int) -> int:
    return 1440 // resolution_minutes


def day_matrix(series: pd.Series | None, *, first_day: dt.date, n_days: int, resolution_minutes: int) -> np.ndarray:
    """(n_days, slots) float matrix of the series on the grid; NaN where there is no value."""
    slots = slots_per_day(resolution_minutes)
    matrix = np.full(n_days * slots, np.nan)
    if series is not None and len(series):
        start = pd.Timestamp(first_day, tz=TZ)
        position = (series.index - start) // pd.Timedelta(minutes=resolution_minutes)  # type: ignore[operator]  # pandas-stubs: a DatetimeIndex typed as Index
        position = np.asarray(position)
        inside = (position >= 0) & (position < n_days * slots)
        matrix[position[inside]] = series.to_numpy()[inside]
    return matrix.reshape(n_days, slots)


# ---------------------------------------------------------------------------------------------------------
# Calendar


def calendar_frame(days: list[dt.date], *, workday: pd.Series | None = None) -> pd.DataFrame:
    """Per day: workday, statutory holiday, adjusted working day (调休: a weekend day that is worked), weekday.

    The mainland calendar (core.calendar: staff-maintained days, then chinesecalendar) decides unless
    `workday` (date -> 0/1) has an entry for the day; then that entry wins, a non-working weekday counts as
    a holiday and a working weekend day as adjusted.
    """
    override = _override_map(workday)
    rows = []
    for day in days:
        weekend = day.weekday() >= 5
        if day in override:
            working = override[day]
            holiday = not working and not weekend
        else:
            kind = day_kind(day)
            working = kind.is_working
            holiday = kind is DayKind.HOLIDAY
        rows.append((working, holiday, working and weekend, day.weekday()))
    frame = pd.DataFrame(rows, index=days, columns=["workday", "holiday", "adjusted_workday", "weekday"])
    return frame.astype({"workday": int, "holiday": int, "adjusted_workday": int, "weekday": int})


def _override_map(workday: pd.Series | None) -> dict[dt.date, bool]:
    if workday is None:
        return {}
    out = {}
    for key, value in workday.items():
        if pd.isna(value):
            continue
        day = key.date() if isinstance(key, (pd.Timestamp, dt.datetime)) else key
        out[day] = bool(int(value))
    return out  # type: ignore[return-value]  # pandas-stubs: index labels are Hashable; here dates


# ---------------------------------------------------------------------------------------------------------
# Feature matrix


@dataclass(frozen=True)
class DayGrid:
    """Load, temperature and calendar of consecutive days on one grid."""

    first_day: dt.date
    days: list[dt.date]
    resolution_minutes: int
    load: np.ndarray  # (n_days, slots)
    temperature: np.ndarray | None  # (n_days, slots) or None when the series has no temperature at all
    calendar: pd.DataFrame

    @property
    def slots(self) -> int:
        return self.load.shape[1]

    def day_index(self, day: dt.date) -> int:
        return (day - self.first_day).days


def build_grid(
    *,
    load: pd.Series,
    temperature: pd.Series | None,
    workday: pd.Series | None,
    first_day: dt.date,
    last_day: dt.date,
    resolution_minutes: int,
) -> DayGrid:
    """Grid of days first_day..last_day inclusive. The caller has already cut `load` to what may be known."""
    n_days = (last_day - first_day).days + 1
    days = [first_day + dt.timedelta(days=i) for i in range(n_days)]
    # One day either side for the "day before / after is a working day" features.
    calendar = calendar_frame(
        [first_day - dt.timedelta(days=1), *days, last_day + dt.timedelta(days=1)], workday=workday
    )
    return DayGrid(
        first_day=first_day,
        days=days,
        resolution_minutes=resolution_minutes,
        load=day_matrix(load, first_day=first_day, n_days=n_days, resolution_minutes=resolution_minutes),
        temperature=None
        if temperature is None
        else day_matrix(temperature, first_day=first_day, n_days=n_days, resolution_minutes=resolution_minutes),
        calendar=calendar,
    )


def feature_names(*, with_temperature: bool) -> list[str]:
    names = [
        "slot",
        "slot_sin",
        "slot_cos",
        "weekday",
        "workday",
        "holiday",
        "adjusted_workday",
        "workday_prev",
        "workday_next",
        "holiday_prev",
        "holiday_next",
        "season_sin",
        "season_cos",
        "level",
        "lag1",
        "lag1_near",
        "lag2",
        "lag7",
        "lag_same_kind",
        "same_kind_age",
        "last_value",
        "d1_mean",
        "d1_max",
        "d1_min",
        "d7_mean",
        "same_kind_mean",
        "workday_d1",
        "workday_d7",
    ]
    if with_temperature:
        names += [
            "temp",
            "temp_near",
            "temp_mean",
            "temp_max",
            "temp_min",
            "temp_6h",
            "temp_24h",
            "temp_lag1",
            "temp_d1_mean",
            "temp_d1_max",
            "temp_delta_d1",
            "temp_mean_delta_d1",
            "heating_degrees",
            "cooling_degrees",
        ]
    return names


def build_features(
    grid: DayGrid, *, day_indices: np.ndarray, with_temperature: bool
) -> tuple[pd.DataFrame, np.ndarray]:
    """Features for every slot of the given days (rows day-major), and the per-row level (mean load of the
    previous seven days) that load-shaped features and the target are divided by, so one model serves
    any size of system. Rows of day i read load rows < i only."""
    day_indices = np.asarray(day_indices, dtype=int)
    n, slots = len(day_indices), grid.slots
    load = grid.load
    cal = grid.calendar  # rows: day before first_day, the days, day after last_day
    workday = cal["workday"].to_numpy()
    holiday = cal["holiday"].to_numpy()
    cal_pos = day_indices + 1

    def past_row(offset: int) -> np.ndarray:
        """Load rows `offset` days before each target day (NaN before the grid starts)."""
        idx = day_indices - offset
        out = np.full((n, slots), np.nan)
        ok = idx >= 0
        out[ok] = load[idx[ok]]
        return out

    def per_day(values: np.ndarray) -> np.ndarray:
        return np.repeat(np.asarray(values, dtype=float)[:, None], slots, axis=1)

    with np.errstate(all="ignore"), _quiet_nanmean():
        d1 = past_row(1)
        d7 = past_row(7)
        week = np.stack([past_row(k) for k in range(1, 8)])
        level = np.nanmean(week, axis=(0, 2))
        d1_mean = np.nanmean(d1, axis=1)
        # Fall back to yesterday's mean when last week is largely missing.
        level = np.where(np.isfinite(level), level, d1_mean)
        level = np.where(np.abs(level) > 1e-12, level, np.nan)

        same_kind = np.full((n, slots), np.nan)
        same_kind_age = np.full(n, np.nan)
        for row, i in enumerate(day_indices):
            kind = workday[i + 1]
            for back in range(1, LOOKBACK_DAYS):
                j = i - back
                if j < 0:
                    break
                if workday[j + 1] == kind and np.isfinite(load[j]).any():
                    same_kind[row] = load[j]
                    same_kind_age[row] = back
                    break

        padded = np.pad(d1, ((0, 0), (1, 1)), constant_values=np.nan)
        lag1_near = np.nanmean(np.stack([padded[:, :-2], padded[:, 1:-1], padded[:, 2:]]), axis=0)
        last_value = np.array([_last_finite(row) for row in d1])

        scale = level[:, None]
        slot = np.tile(np.arange(slots, dtype=float), (n, 1))
        angle = 2 * np.pi * slot / slots
        doy = np.array([grid.days[i].timetuple().tm_yday for i in day_indices], dtype=float)
        year_angle = 2 * np.pi * doy / 365.25

        columns: dict[str, np.ndarray] = {
            "slot": slot,
            "slot_sin": np.sin(angle),
            "slot_cos": np.cos(angle),
            "weekday": per_day(cal["weekday"].to_numpy()[cal_pos]),
            "workday": per_day(workday[cal_pos]),
            "holiday": per_day(holiday[cal_pos]),
            "adjusted_workday": per_day(cal["adjusted_workday"].to_numpy()[cal_pos]),
            "workday_prev": per_day(workday[cal_pos - 1]),
            "workday_next": per_day(workday[cal_pos + 1]),
            "holiday_prev": per_day(holiday[cal_pos - 1]),
            "holiday_next": per_day(holiday[cal_pos + 1]),
            "season_sin": per_day(np.sin(year_angle)),
            "season_cos": per_day(np.cos(year_angle)),
            "level": per_day(level),
            "lag1": d1 / scale,
            "lag1_near": lag1_near / scale,
            "lag2": past_row(2) / scale,
            "lag7": d7 / scale,
            "lag_same_kind": same_kind / scale,
            "same_kind_age": per_day(same_kind_age),
            "last_value": per_day(last_value / level),
            "d1_mean": per_day(d1_mean / level),
            "d1_max": per_day(np.nanmax(np.where(np.isfinite(d1), d1, -np.inf), axis=1) / level),
            "d1_min": per_day(np.nanmin(np.where(np.isfinite(d1), d1, np.inf), axis=1) / level),
            "d7_mean": per_day(np.nanmean(d7, axis=1) / level),
            "same_kind_mean": per_day(np.nanmean(same_kind, axis=1) / level),
            "workday_d1": per_day(workday[cal_pos - 1]),
            "workday_d7": per_day(np.where(day_indices - 7 >= -1, workday[np.maximum(cal_pos - 7, 0)], np.nan)),
        }
        if with_temperature:
            columns.update(_temperature_columns(grid, day_indices))

    names = feature_names(with_temperature=with_temperature)
    flat = {name: np.where(np.isfinite(columns[name]), columns[name], np.nan).ravel() for name in names}
    return pd.DataFrame(flat, columns=names), np.repeat(level, slots)


def _temperature_columns(grid: DayGrid, day_indices: np.ndarray) -> dict[str, np.ndarray]:
    n, slots = len(day_indices), grid.slots
    temps = grid.temperature if grid.temperature is not None else np.full_like(grid.load, np.nan)
    flat = temps.ravel()
    steps_per_hour = 60 // grid.resolution_minutes if grid.resolution_minutes <= 60 else 1

    def trailing_mean(hours: int) -> np.ndarray:
        """Mean temperature over the `hours` before and including each slot (the building's heat memory)."""
        window = max(1, hours * steps_per_hour)
        values = pd.Series(flat).rolling(window, min_periods=max(1, window // 2)).mean().to_numpy()
        return values.reshape(temps.shape)[day_indices]

    today = temps[day_indices]
    yesterday = np.full((n, slots), np.nan)
    ok = day_indices >= 1
    yesterday[ok] = temps[day_indices[ok] - 1]
    padded = np.pad(today, ((0, 0), (1, 1)), constant_values=np.nan)
    near = np.nanmean(np.stack([padded[:, :-2], padded[:, 1:-1], padded[:, 2:]]), axis=0)
    mean = np.nanmean(today, axis=1)
    d1_mean = np.nanmean(yesterday, axis=1)

    def per_day(values: np.ndarray) -> np.ndarray:
        return np.repeat(values[:, None], slots, axis=1)

    return {
        "temp": today,
        "temp_near": near,
        "temp_mean": per_day(mean),
        "temp_max": per_day(np.nanmax(np.where(np.isfinite(today), today, -np.inf), axis=1)),
        "temp_min": per_day(np.nanmin(np.where(np.isfinite(today), today, np.inf), axis=1)),
        "temp_6h": trailing_mean(6),
        "temp_24h": trailing_mean(24),
        "temp_lag1": yesterday,
        "temp_d1_mean": per_day(d1_mean),
        "temp_d1_max": per_day(np.nanmax(np.where(np.isfinite(yesterday), yesterday, -np.inf), axis=1)),
        "temp_delta_d1": today - yesterday,
        "temp_mean_delta_d1": per_day(mean - d1_mean),
        "heating_degrees": per_day(np.maximum(COMFORT_C - mean, 0.0)),
        "cooling_degrees": per_day(np.maximum(mean - COMFORT_C, 0.0)),
    }


def _last_finite(row: np.ndarray) -> float:
    finite = np.flatnonzero(np.isfinite(row))
    return float(row[finite[-1]]) if len(finite) else np.nan


class _quiet_nanmean:
    """numpy warns on all-NaN slices; missing days are expected here and end up as NaN features."""

    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", category=RuntimeWarning)

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)
