"""Signs that a customer inflated its baseline: load that rises abnormally where the baseline is read.

Two tests (docs/demand-response.md, "Gaming checks"):

(a) spikes: on each day the baseline used, over the event-window hours, and on the event day between
    notice and start, an interval is a spike when its load exceeds
    ``median + max(3 × IQR, 10 % × median)`` of the same interval-of-week over the prior 8 weeks
    (event days, i.e. ``excluded_days``, and the baseline days themselves left out; at least 4 values).
    A run of consecutive spikes within one block lasting ``min_run_minutes`` (45, and at least two
    intervals) raises the flag.
(b) pre-event ramp: the event day's average load from notice (or local midnight, if notified the day
    before) to the event start is ≥ 1.25 × the mean of the same clock intervals over the account's 10
    most recent complete days of the same day kind (event days left out).

A flag does not change the baseline: the caller sends the settlement to staff review with the evidence.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import numpy.typing as npt
import pandas as pd

from core.time import local_midnight

from ._grid import FloatArray, Grid, build_grid, check_event, interval_minutes_of
from .types import DayKind, EventWindow


@dataclass(frozen=True)
class GamingSettings:
    reference_weeks: int = 8
    iqr_multiplier: float = 3.0
    # Floor of the margin above the median, as a share of it: a flat load has IQR 0, and a 1 % wobble
    # on it is no evidence of anything.
    min_margin_fraction: float = 0.10
    min_reference_values: int = 4
    # A run must last this long (and be at least 2 intervals): 45 minutes is 3 quarter-hours. Shorter
    # runs of 15-minute data flag 4-12 % of accounts on nothing but ±10 % noise (bench/dr_settlement.py).
    min_run_minutes: int = 45
    pre_event_ratio: float = 1.25
    pre_event_reference_days: int = 10


DEFAULT_GAMING_SETTINGS = GamingSettings()


def min_run_intervals(settings: GamingSettings, per_day: int) -> int:
    """Consecutive spiking intervals that make a run: ``min_run_minutes`` long, and at least two."""
    minutes = 24 * 60 // per_day
    return max(2, math.ceil(settings.min_run_minutes / minutes))


@dataclass(frozen=True)
class Spike:
    timestamp: datetime
    load_kw: float
    threshold_kw: float
    median_kw: float
    iqr_kw: float


@dataclass(frozen=True)
class GamingEvidence:
    spikes: tuple[Spike, ...]  # only spikes that belong to a long enough run
    pre_event_start: datetime | None
    pre_event_mean_kw: float | None
    pre_event_reference_kw: float | None
    pre_event_ratio: float | None
    pre_event_reference_days: tuple[date, ...]


@dataclass(frozen=True)
class GamingCheck:
    flagged: bool
    reasons: tuple[str, ...]
    evidence: GamingEvidence


def _blocks(
    grid: Grid, event_row: int, cols: slice, days: Sequence[date], pre_start: int, pre_end: int
) -> list[npt.NDArray[np.int64]]:
    """Flat grid positions to test, one array per block (a baseline day's window; the pre-event span)."""
    per_day = grid.per_day
    blocks = [grid.row_of(day) * per_day + np.arange(cols.start, cols.stop) for day in days]
    if pre_end > pre_start:
        blocks.append(event_row * per_day + np.arange(pre_start, pre_end))
    return blocks


def _spikes(
    grid: Grid, index: pd.DatetimeIndex, block: npt.NDArray[np.int64], skip_rows: set[int], settings: GamingSettings
) -> list[Spike]:
    flat = grid.values.reshape(-1)
    per_week = 7 * grid.per_day
    found: list[Spike | None] = []
    for position in block:
        refs = [
            flat[p]
            for k in range(1, settings.reference_weeks + 1)
            if (p := position - k * per_week) >= 0 and p // grid.per_day not in skip_rows and not np.isnan(flat[p])
        ]
        value = flat[position]
        if len(refs) < settings.min_reference_values or np.isnan(value):
            found.append(None)
            continue
        q25, median, q75 = (float(q) for q in np.percentile(refs, [25, 50, 75]))
        iqr = q75 - q25
        threshold = median + max(settings.iqr_multiplier * iqr, settings.min_margin_fraction * abs(median))
        moment = index[position].to_pydatetime()
        found.append(Spike(moment, float(value), threshold, median, iqr) if value > threshold else None)
    # Keep only runs that last long enough.
    needed = min_run_intervals(settings, grid.per_day)
    kept: list[Spike] = []
    run: list[Spike] = []
    for spike in [*found, None]:
        if spike is not None:
            run.append(spike)
            continue
        if len(run) >= needed:
            kept.extend(run)
        run = []
    return kept


def check_gaming(
    *,
    load: pd.Series,
    event: EventWindow,
    baseline_days: Sequence[date],
    day_kind: Callable[[date], DayKind],
    excluded_days: Mapping[date, str] | None = None,
    settings: GamingSettings = DEFAULT_GAMING_SETTINGS,
) -> GamingCheck:
    """Run tests (a) and (b) for one account-event; see the module docstring for the exact rules."""
    minutes = interval_minutes_of(load)
    checked = check_event(event, minutes)
    excluded = dict(excluded_days or {})
    earliest = min([*baseline_days, checked.day])
    first_day = earliest - timedelta(days=7 * settings.reference_weeks + settings.pre_event_reference_days * 3)
    grid = build_grid(load=load, quality=None, interval_minutes=minutes, first_day=first_day, last_day=checked.day)
    event_row = grid.row_of(checked.day)
    midnight = local_midnight(checked.day)
    step = timedelta(minutes=minutes)
    pre_from = max(checked.notice_at, midnight)
    pre_start = math.ceil((pre_from - midnight) / step)  # the first whole interval after notice
    pre_end = checked.first_col

    skip_rows = {
        grid.row_of(day) for day in [*excluded, *baseline_days, checked.day] if first_day <= day <= checked.day
    }
    reasons: list[str] = []
    spikes: list[Spike] = []
    index = grid.full_index()
    for block in _blocks(grid, event_row, checked.cols, baseline_days, pre_start, pre_end):
        spikes.extend(_spikes(grid, index, block, skip_rows, settings))
    if spikes:
        days = sorted({spike.timestamp.date() for spike in spikes})
        reasons.append(
            f"{len(spikes)} intervals above median + {settings.iqr_multiplier:g}·IQR of the prior "
            f"{settings.reference_weeks} weeks, in runs of ≥ {settings.min_run_minutes} minutes, on {', '.join(map(str, days))}"
        )

    pre_mean = reference = ratio = None
    reference_days: list[date] = []
    pre_start_time: datetime | None = None
    if pre_end > pre_start:
        pre_start_time = midnight + pre_start * step
        cols = slice(pre_start, pre_end)
        today = grid.values[event_row, cols]
        kind = day_kind(checked.day)
        picked: list[FloatArray] = []
        for row in range(event_row - 1, -1, -1):
            day = grid.day_at(row)
            values = grid.values[row, cols]
            if day in excluded or day_kind(day) is not kind or np.isnan(values).any():
                continue
            picked.append(values)
            reference_days.append(day)
            if len(picked) == settings.pre_event_reference_days:
                break
        if not np.isnan(today).any() and picked:
            pre_mean = float(today.mean())
            reference = float(np.mean(picked))
            if reference > 0:
                ratio = pre_mean / reference
                if ratio >= settings.pre_event_ratio:
                    reasons.append(
                        f"load from notice to start averaged {pre_mean:.3f} kW, {ratio:.2f}× the {len(picked)}-day "
                        f"mean {reference:.3f} kW of the same hours (limit {settings.pre_event_ratio:g}×)"
                    )
    evidence = GamingEvidence(
        spikes=tuple(spikes),
        pre_event_start=pre_start_time,
        pre_event_mean_kw=pre_mean,
        pre_event_reference_kw=reference,
        pre_event_ratio=ratio,
        pre_event_reference_days=tuple(reference_days),
    )
    return GamingCheck(flagged=bool(reasons), reasons=tuple(reasons), evidence=evidence)
