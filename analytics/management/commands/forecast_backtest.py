"""``manage.py forecast_backtest FILE.csv --test-from YYYY-MM-DD``: backtest the day-ahead load forecaster
on any series in a CSV file.

Every test day is forecast as at its midnight by a model trained only on days before it (retrained every
--retrain-every-days), knowing nothing of the day but its temperature. Human-readable progress comes
first; the LAST line printed is one JSON object with the metrics (mape in percent, rmse and pinball losses
in the unit of the value column, coverage_p10_p90 as a share 0..1, days, seasonal_naive_mape, …).

Timestamps are interval starts. The series is forecast in the wall-clock days of --timezone (default
Asia/Shanghai): values with a UTC offset (2026-11-01T00:30:00+08:00, …Z) are converted to it, naive values
are read as its wall time. In a zone with daylight saving time the clock's repeated hour in autumn holds two
values per timestamp, which are averaged, and the skipped hour in spring is simply missing. Without
--workday-col the mainland China calendar (statutory holidays and adjusted working days) decides which
days are worked — for data from elsewhere pass that place's working days as a 0/1 column.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
from django.core.management.base import BaseCommand, CommandError, CommandParser

from analytics.forecasting.features import TZ, ForecastDataError
from analytics.forecasting.model import SeriesData, backtest
from core.time import SHANGHAI_NAME

_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$", re.IGNORECASE)


def _zone(value: str) -> ZoneInfo:
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise CommandError(f"{value!r} is not a time zone like Europe/London or Australia/Melbourne") from None


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date like 2026-11-01") from None


class Command(BaseCommand):
    help = "Backtest day-ahead load forecasting on a CSV series; the last line printed is a JSON object of metrics."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="CSV with a timestamp column and a value column")
        parser.add_argument("--test-from", type=_date, required=True, help="first day forecast (YYYY-MM-DD)")
        parser.add_argument("--test-to", type=_date, default=None, help="last day forecast (default: last day of data)")
        parser.add_argument("--timestamp-col", default="timestamp")
        parser.add_argument("--value-col", default="value")
        parser.add_argument("--temperature-col", default=None, help="°C at each timestamp (optional)")
        parser.add_argument(
            "--workday-col", default=None, help="1 on working days, 0 otherwise (default: the mainland calendar)"
        )
        parser.add_argument(
            "--timezone",
            type=_zone,
            default=ZoneInfo(SHANGHAI_NAME),
            help="the zone whose wall-clock days are forecast (default Asia/Shanghai)",
        )
        parser.add_argument("--retrain-every-days", type=int, default=7)
        parser.add_argument(
            "--threads",
            type=int,
            default=1,
            help="OpenMP threads for training (default 1: on shared cores more threads spin and run slower)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=min(2, os.cpu_count() or 1),
            help="processes training the backtest's blocks in parallel (default: up to 2, one per core)",
        )
        parser.add_argument(
            "--forecasts-out", type=Path, default=None, help="also write every slot's forecast here (CSV)"
        )

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        path: Path = options["file"]
        if options["retrain_every_days"] < 1:
            raise CommandError("--retrain-every-days must be at least 1")
        data = read_series_csv(
            path,
            timestamp_col=options["timestamp_col"],
            value_col=options["value_col"],
            temperature_col=options["temperature_col"],
            workday_col=options["workday_col"],
            zone=options["timezone"],
            notice=self.stdout.write,
        )
        load = data.load
        self.stdout.write(
            f"{path.name}: {len(load)} rows from {load.index[0].isoformat()} to {load.index[-1].isoformat()}; "
            f"temperature: {'yes' if data.temperature is not None else 'no'}; "
            f"working days: {'column ' + options['workday_col'] if data.workday is not None else 'mainland calendar'}"
        )
        try:
            result = backtest(
                data=data,
                test_from=options["test_from"],
                test_to=options["test_to"],
                retrain_every_days=options["retrain_every_days"],
                params={"threads": max(1, options["threads"])},
                progress=self._progress,
                workers=max(1, options["workers"]),
            )
        except ForecastDataError as exc:
            raise CommandError(str(exc)) from None
        if options["forecasts_out"]:
            result.forecasts.to_csv(options["forecasts_out"], index_label="timestamp")
            self.stdout.write(f"forecasts written to {options['forecasts_out']}")
        summary = result.metrics
        summary["seconds"] = round(time.monotonic() - started, 1)
        self.stdout.write(
            f"{summary['days']} days: MAPE {summary['mape']:.2f} % (seasonal naive {summary['seasonal_naive_mape']:.2f} %), "
            f"P10–P90 coverage {summary['coverage_p10_p90']:.1%}, {summary['seconds']} s"
        )
        self.stdout.write(json.dumps(summary, ensure_ascii=False))

    def _progress(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()  # shown as it happens even when stdout is a file or a pipe


def read_series_csv(
    path: Path,
    *,
    timestamp_col: str,
    value_col: str,
    temperature_col: str | None = None,
    workday_col: str | None = None,
    zone: ZoneInfo | None = None,
    notice=None,
) -> SeriesData:
    """The CSV as SeriesData on `zone`'s wall clock (default Asia/Shanghai), or a CommandError naming the
    file, column or line that is wrong."""
    if not path.is_file():
        raise CommandError(f"{path}: no such file")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise CommandError(f"{path}: not a readable CSV file ({exc})") from None
    wanted = [c for c in (timestamp_col, value_col, temperature_col, workday_col) if c]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise CommandError(
            f"{path.name}: no column {', '.join(repr(c) for c in missing)} (columns: {', '.join(map(str, frame.columns))})"
        )
    if frame.empty:
        raise CommandError(f"{path.name}: no data rows")
    zone = zone or ZoneInfo(SHANGHAI_NAME)
    index = _timestamps(frame[timestamp_col], name=timestamp_col, zone=zone)
    load = pd.Series(_numbers(frame[value_col], name=value_col), index=index)
    temperature = None
    if temperature_col:
        temperature = pd.Series(_numbers(frame[temperature_col], name=temperature_col), index=index)
    workday = None
    if workday_col:
        flags = _numbers(frame[workday_col], name=workday_col)
        bad = np.flatnonzero(np.isfinite(flags) & ~np.isin(flags, (0.0, 1.0)))
        if len(bad):
            raise CommandError(
                f"line {bad[0] + 2}: {workday_col} must be 0 or 1, not {frame[workday_col].iloc[bad[0]]!r}"
            )
        days = pd.Series(flags, index=index.date).dropna()
        per_day = days.groupby(level=0).agg(["min", "max"])
        mixed = per_day.index[per_day["min"] != per_day["max"]]
        if len(mixed):
            raise CommandError(f"{workday_col}: {mixed[0].isoformat()} is marked both working and not working")
        workday = per_day["min"].astype(int)
    if index.has_duplicates:
        repeated = index.duplicated(keep=False)
        not_dst = ~_in_repeated_hour(index[repeated], zone)
        if not_dst.any():
            position = int(np.flatnonzero(index.duplicated())[0])
            hint = "" if zone.key != SHANGHAI_NAME else " (local time with daylight saving? pass --timezone)"
            raise CommandError(f"line {position + 2}: duplicate timestamp {index[position].isoformat()}{hint}")
        # The autumn hour the clock repeats: its two readings per wall-clock slot are averaged.
        load = load.groupby(level=0).mean()
        temperature = temperature.groupby(level=0).mean() if temperature is not None else None
        if notice:
            notice(f"{int(repeated.sum())} values in the hour repeated when daylight saving time ends were averaged")
    return SeriesData(load=load, temperature=temperature, workday=workday)


def _in_repeated_hour(wall_times: pd.DatetimeIndex, zone: ZoneInfo) -> np.ndarray:
    """True where the wall-clock time occurs twice in `zone` (the end of daylight saving time)."""
    naive = wall_times.tz_localize(None)
    return np.asarray(naive.tz_localize(zone, ambiguous="NaT", nonexistent="NaT").isna()) & np.asarray(
        ~naive.tz_localize(zone, ambiguous=np.ones(len(naive), dtype=bool), nonexistent="NaT").isna()  # type: ignore[operator]  # pandas-stubs: ~ of a boolean Index
    )


def _timestamps(column: pd.Series, *, name: str, zone: ZoneInfo) -> pd.DatetimeIndex:
    """Interval starts as `zone` wall-clock times, labelled Asia/Shanghai: the engine names its days in
    Shanghai, which has no daylight saving time, so any zone's wall clock maps onto it one to one."""
    text = column.str.strip()
    with_offset = text.str.contains(_OFFSET)
    if with_offset.any() and not with_offset.all():
        position = (
            int(np.flatnonzero(~with_offset.to_numpy())[0])
            if with_offset.iloc[0]
            else int(np.flatnonzero(with_offset.to_numpy())[0])
        )
        raise CommandError(f"line {position + 2}: {name} mixes values with and without a UTC offset")
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=bool(with_offset.all()))
    if parsed.isna().any():
        # Not ISO 8601 throughout: try value by value before giving up.
        parsed = pd.to_datetime(text, format="mixed", errors="coerce", utc=bool(with_offset.all()))
    if parsed.isna().any():
        position = int(np.flatnonzero(parsed.isna().to_numpy())[0])
        raise CommandError(f"line {position + 2}: cannot read {name} {column.iloc[position]!r} as a date and time")
    index = pd.DatetimeIndex(parsed)
    wall = index.tz_convert(zone).tz_localize(None) if index.tz is not None else index
    return wall.tz_localize(TZ)


def _numbers(column: pd.Series, *, name: str) -> np.ndarray:
    """Floats; empty cells are missing values, anything else unreadable is an error with its line."""
    text = column.str.strip()
    values = pd.to_numeric(text.where(text != ""), errors="coerce")
    bad = values.isna() & (text != "")
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise CommandError(f"line {position + 2}: {name} {column.iloc[position]!r} is not a number")
    return values.to_numpy(dtype=float)
