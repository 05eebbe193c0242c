"""``check_gaming`` for many accounts of one event at once, on the (accounts, days, intervals) arrays the
settlement loads. Same two tests and settings as ``gaming``; the reference weeks are those inside the
loaded days (the settlement loads enough history for them, docs/demand-response.md)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from core.time import local_midnight

from ._grid import BoolArray, FloatArray, check_event
from .gaming import DEFAULT_GAMING_SETTINGS, GamingSettings, min_run_intervals
from .types import DayKind, EventWindow


@dataclass(frozen=True)
class BatchGaming:
    spike_runs: npt.NDArray[np.int64]  # (accounts,) intervals in qualifying spike runs
    pre_event_ratio: FloatArray  # (accounts,) NaN where not computable
    flagged: BoolArray  # (accounts,)

    def reasons(self, row: int, settings: GamingSettings = DEFAULT_GAMING_SETTINGS) -> list[str]:
        found = []
        if self.spike_runs[row]:
            found.append(
                f"{int(self.spike_runs[row])} intervals above median + {settings.iqr_multiplier:g}·IQR of the same "
                f"time of week, in runs of ≥ {settings.min_run_minutes} minutes"
            )
        ratio = self.pre_event_ratio[row]
        if not np.isnan(ratio) and ratio >= settings.pre_event_ratio:
            found.append(f"load from notice to start was {ratio:.2f}× the recent mean of the same hours")
        return found


def _quantiles(refs: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, npt.NDArray[np.int64]]:
    """25th, 50th and 75th percentiles (linear, as numpy's default) along the last axis, NaNs ignored."""
    count = (~np.isnan(refs)).sum(axis=-1)
    ordered = np.sort(refs, axis=-1)  # NaN sort last

    def at(q: float) -> FloatArray:
        position = (np.maximum(count, 1) - 1) * q
        low = np.floor(position).astype(np.int64)
        high = np.minimum(low + 1, np.maximum(count - 1, 0))
        weight = position - low
        lo = np.take_along_axis(ordered, low[..., None], axis=-1)[..., 0]
        hi = np.take_along_axis(ordered, high[..., None], axis=-1)[..., 0]
        interpolated: npt.NDArray[np.float64] = lo + (hi - lo) * weight
        return interpolated

    return at(0.25), at(0.5), at(0.75), count


def _run_lengths(spikes: BoolArray, min_run: int) -> npt.NDArray[np.int64]:
    """Per row of a (rows, positions) mask, how many positions lie in runs of at least ``min_run``."""
    total = np.zeros(spikes.shape[0], dtype=np.int64)
    run = np.zeros(spikes.shape[0], dtype=np.int64)
    for column in range(spikes.shape[1] + 1):
        current = spikes[:, column] if column < spikes.shape[1] else np.zeros(spikes.shape[0], dtype=bool)
        ended = ~current & (run >= min_run)
        total += np.where(ended, run, 0)
        run = np.where(current, run + 1, 0)
    return total


CHUNK = 1000  # accounts per pass: the reference cube is (accounts, days, weeks, intervals)


def gaming_batch(
    *,
    load: FloatArray,
    first_day: date,
    event: EventWindow,
    days_used: BoolArray,
    day_kind: Callable[[date], DayKind],
    excluded: BoolArray | None = None,
    settings: GamingSettings = DEFAULT_GAMING_SETTINGS,
) -> BatchGaming:
    parts = [
        _gaming_chunk(
            load=load[i : i + CHUNK],
            first_day=first_day,
            event=event,
            days_used=days_used[i : i + CHUNK],
            day_kind=day_kind,
            excluded=None if excluded is None else excluded[i : i + CHUNK],
            settings=settings,
        )
        for i in range(0, max(load.shape[0], 1), CHUNK)
    ]
    return BatchGaming(
        spike_runs=np.concatenate([p.spike_runs for p in parts]),
        pre_event_ratio=np.concatenate([p.pre_event_ratio for p in parts]),
        flagged=np.concatenate([p.flagged for p in parts]),
    )


def _gaming_chunk(
    *,
    load: FloatArray,
    first_day: date,
    event: EventWindow,
    days_used: BoolArray,
    day_kind: Callable[[date], DayKind],
    excluded: BoolArray | None,
    settings: GamingSettings,
) -> BatchGaming:
    accounts, n_days, per_day = load.shape
    minutes = 24 * 60 // per_day
    checked = check_event(event, minutes)
    event_row = (checked.day - first_day).days
    if event_row != n_days - 1:
        raise ValueError("the last day of the array must be the event day")
    excluded = np.zeros((accounts, n_days), dtype=bool) if excluded is None else excluded
    skip = excluded | days_used
    skip[:, event_row] = True

    # (a) spikes on the baseline days' event window, and on the event day between notice and start.
    midnight = local_midnight(checked.day)
    step = timedelta(minutes=minutes)
    pre_from = max(checked.notice_at, midnight)
    pre_start = math.ceil((pre_from - midnight) / step)
    pre_end = checked.first_col
    cols = np.arange(checked.first_col, checked.last_col)
    weeks = np.arange(1, settings.reference_weeks + 1)
    rows = np.arange(n_days)
    spike_runs = np.zeros(accounts, dtype=np.int64)
    for block_cols, block_rows in ((cols, None), (np.arange(pre_start, pre_end), event_row)):
        if block_cols.size == 0:
            continue
        if block_rows is None:
            test_rows = rows[days_used.any(axis=0)]  # the days some account's baseline used
        else:
            test_rows = np.array([block_rows])
        ref_rows = test_rows[:, None] - 7 * weeks[None, :]  # (test rows, weeks)
        valid_row = ref_rows >= 0
        ref_rows_c = np.clip(ref_rows, 0, n_days - 1)
        refs = load[:, ref_rows_c][:, :, :, block_cols]  # (acc, test rows, weeks, cols)
        ref_skip = skip[:, ref_rows_c] | ~valid_row[None]  # (acc, test rows, weeks)
        refs = np.where(ref_skip[..., None], np.nan, refs)
        refs = np.moveaxis(refs, 2, -1)  # (acc, test rows, cols, weeks)
        q25, median, q75, count = _quantiles(refs)
        threshold = median + np.maximum(
            settings.iqr_multiplier * (q75 - q25), settings.min_margin_fraction * np.abs(median)
        )
        values = load[:, test_rows][:, :, block_cols]  # (acc, test rows, cols)
        spike = (count >= settings.min_reference_values) & ~np.isnan(values) & (values > threshold)
        if block_rows is None:
            spike &= days_used[:, test_rows][:, :, None]
        for r in range(spike.shape[1]):
            if spike[:, r].any():
                spike_runs += _run_lengths(spike[:, r], min_run_intervals(settings, per_day))

    # (b) the pre-event ramp against the 10 most recent complete days of the same kind.
    ratio = np.full(accounts, np.nan)
    if pre_end > pre_start:
        kind = day_kind(checked.day)
        same_kind = np.array([day_kind(first_day + timedelta(days=r)) is kind for r in range(n_days)])
        window = load[:, :, pre_start:pre_end]
        complete = ~np.isnan(window).any(axis=2) & same_kind[None, :] & ~excluded
        complete[:, event_row] = False
        from_end = np.cumsum(complete[:, ::-1], axis=1)[:, ::-1]
        picked = complete & (from_end <= settings.pre_event_reference_days)
        counts = picked.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            reference = np.where(picked[:, :, None], window, 0.0).sum(axis=(1, 2)) / (counts * (pre_end - pre_start))
            today = window[:, event_row, :].mean(axis=1)
            ratio = np.where((counts > 0) & (reference > 0) & ~np.isnan(today), today / reference, np.nan)
    flagged = (spike_runs > 0) | (np.nan_to_num(ratio) >= settings.pre_event_ratio)
    return BatchGaming(spike_runs=spike_runs, pre_event_ratio=ratio, flagged=flagged)
