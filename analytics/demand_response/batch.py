"""Vectorised baselines for settlement: many accounts × days × intervals in one numpy pass.

Same rules and defaults as ``baselines`` (tests check equal results), without the per-day reasons: the
batch says which days were used and whether the baseline is insufficient; the staff view recomputes
one account with ``compare_baselines`` when it needs the reasons.

Input ``load`` is an array (accounts, days, intervals_per_day) of average kW, NaN where there is no
reading; day 0 is ``first_day`` and the last day is the event day. All accounts share the calendar
and the event window; ``excluded`` (accounts, days) marks each account's prior-event days.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from core.time import local_midnight

from ._grid import ALLOWED_INTERVALS, BoolArray, Event, FloatArray, check_event
from .baselines import _Class, _class_of
from .types import (
    DEFAULT_SETTINGS,
    AdjustmentAnchor,
    AdjustmentKind,
    BaselineMethod,
    BaselineSettings,
    DayKind,
    EventWindow,
    NonWorkingPool,
)


@dataclass(frozen=True)
class BatchBaseline:
    method: BaselineMethod
    values: FloatArray  # (accounts, event intervals) kW; NaN where no day was usable
    days_used: BoolArray  # (accounts, days)
    insufficient: BoolArray  # (accounts,)
    unadjusted: FloatArray | None = None
    adjustment_raw: FloatArray | None = None  # (accounts,) NaN where not computed
    adjustment_applied: FloatArray | None = None  # (accounts,) 1.0 / 0.0 where not applied


@dataclass(frozen=True)
class _Batch:
    load: FloatArray
    event: Event
    event_row: int
    wanted_days: BoolArray  # (days,) calendar class fits the event day's
    eligible: BoolArray  # (accounts, days)
    window_mean: FloatArray  # (accounts, days)
    working_event: bool
    settings: BaselineSettings


def _prepare(
    *,
    load: FloatArray,
    first_day: date,
    event: EventWindow,
    day_kind: Callable[[date], DayKind],
    estimated: BoolArray | None,
    excluded: BoolArray | None,
    settings: BaselineSettings,
) -> _Batch:
    if load.ndim != 3:
        raise ValueError("load must be (accounts, days, intervals_per_day)")
    _, n_days, per_day = load.shape
    minutes = 24 * 60 // per_day
    if minutes not in ALLOWED_INTERVALS or minutes * per_day != 24 * 60:
        raise ValueError(f"{per_day} intervals a day: expected 96, 48 or 24")
    checked = check_event(event, minutes)
    event_row = (checked.day - first_day).days
    if event_row != n_days - 1:
        raise ValueError("the last day of the array must be the event day")
    days = [first_day + timedelta(days=row) for row in range(n_days)]
    classes = [_class_of(day, day_kind(day), settings) for day in days]
    event_class = classes[event_row]
    working_event = event_class in (_Class.WORKING, _Class.ADJUSTED)
    if working_event:
        wanted = {_Class.WORKING}
    elif settings.non_working_pool is NonWorkingPool.ANY:
        wanted = {_Class.WEEKEND, _Class.HOLIDAY}
    else:
        wanted = {event_class}
    back = event_row - np.arange(n_days)
    wanted_days = np.array([cls in wanted for cls in classes]) & (back >= 1) & (back <= settings.lookback_days)

    missing = np.isnan(load)
    est = np.zeros_like(missing) if estimated is None else (estimated & ~missing)
    bad = missing | est if settings.estimated_disqualifies else missing
    cols = checked.cols
    window = load[:, :, cols]
    window_missing = missing[:, :, cols].any(axis=2)
    window_bad = bad[:, :, cols].any(axis=2)
    too_bad = bad.mean(axis=2) > settings.max_bad_day_fraction
    zero = np.all(np.where(missing[:, :, cols], np.inf, np.abs(window)) <= settings.zero_load_kw, axis=2)
    ok = ~(window_missing | window_bad | too_bad | zero)
    if excluded is not None:
        ok &= ~excluded
    window_mean = window.mean(axis=2)  # NaN wherever a window reading is missing
    return _Batch(
        load=load,
        event=checked,
        event_row=event_row,
        wanted_days=wanted_days,
        eligible=ok & wanted_days[None, :],
        window_mean=window_mean,
        working_event=working_event,
        settings=settings,
    )


def _last(mask: BoolArray, count: npt.NDArray[np.int64] | int) -> BoolArray:
    """Per account, the ``count`` most recent True days of ``mask``."""
    from_end = np.cumsum(mask[:, ::-1], axis=1)[:, ::-1]
    limit = count if isinstance(count, int) else count[:, None]
    return mask & (from_end <= limit)


def _mean_profile(batch: _Batch, used: BoolArray) -> tuple[FloatArray, npt.NDArray[np.int64]]:
    window = batch.load[:, :, batch.event.cols]
    counts = used.sum(axis=1)
    total = np.where(used[:, :, None], window, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = total / counts[:, None]
    return np.where(counts[:, None] > 0, values, np.nan), counts


def _minimum(batch: _Batch) -> int:
    return batch.settings.min_working_days if batch.working_event else batch.settings.min_non_working_days


def similar_days_baseline_batch(
    *,
    load: FloatArray,
    first_day: date,
    event: EventWindow,
    day_kind: Callable[[date], DayKind],
    estimated: BoolArray | None = None,
    excluded: BoolArray | None = None,
    settings: BaselineSettings = DEFAULT_SETTINGS,
) -> BatchBaseline:
    batch = _prepare(
        load=load,
        first_day=first_day,
        event=event,
        day_kind=day_kind,
        estimated=estimated,
        excluded=excluded,
        settings=settings,
    )
    count = settings.similar_working_days if batch.working_event else settings.similar_non_working_days
    chosen = _last(batch.eligible, count)
    if settings.drop_abnormal_days:
        # The same single pass as the per-account method: reference = mean of the first candidates.
        n = chosen.sum(axis=1)
        with np.errstate(invalid="ignore"):
            reference = np.where(chosen, batch.window_mean, 0.0).sum(axis=1) / np.maximum(n, 1)
        deviation = np.abs(batch.window_mean - reference[:, None])
        normal = (reference[:, None] <= 0) | (deviation <= settings.abnormal_deviation * reference[:, None])
        active = (n >= 2)[:, None]
        kept = chosen & (normal | ~active)
        older = batch.eligible & ~chosen & normal & active
        # Replacements come from days older than every first candidate (the scan continues backwards).
        has_chosen = chosen.any(axis=1)
        oldest_chosen = np.where(has_chosen, chosen.argmax(axis=1), 0)
        older &= np.arange(load.shape[1])[None, :] < oldest_chosen[:, None]
        chosen = kept | _last(older, count - kept.sum(axis=1))
    values, counts = _mean_profile(batch, chosen)
    return BatchBaseline(
        method=BaselineMethod.SIMILAR_WORKING_DAYS,
        values=values,
        days_used=chosen,
        insufficient=counts < _minimum(batch),
    )


def high_5_of_10_baseline_batch(
    *,
    load: FloatArray,
    first_day: date,
    event: EventWindow,
    day_kind: Callable[[date], DayKind],
    estimated: BoolArray | None = None,
    excluded: BoolArray | None = None,
    settings: BaselineSettings = DEFAULT_SETTINGS,
) -> BatchBaseline:
    batch = _prepare(
        load=load,
        first_day=first_day,
        event=event,
        day_kind=day_kind,
        estimated=estimated,
        excluded=excluded,
        settings=settings,
    )
    keep, pool = settings.high_working if batch.working_event else settings.high_non_working
    pooled = _last(batch.eligible, pool)
    score = np.where(pooled, np.round(batch.window_mean, 9), -np.inf)
    # Stable sort on the days reversed (most recent first): equal scores keep the more recent day first.
    order = np.argsort(-score[:, ::-1], axis=1, kind="stable")
    top = (load.shape[1] - 1 - order)[:, :keep]
    chosen = np.zeros_like(pooled)
    np.put_along_axis(chosen, top, True, axis=1)
    chosen &= pooled
    values, counts = _mean_profile(batch, chosen)
    return BatchBaseline(
        method=BaselineMethod.HIGH_5_OF_10, values=values, days_used=chosen, insufficient=counts < _minimum(batch)
    )


def ten_of_ten_baseline_batch(
    *,
    load: FloatArray,
    first_day: date,
    event: EventWindow,
    day_kind: Callable[[date], DayKind],
    estimated: BoolArray | None = None,
    excluded: BoolArray | None = None,
    settings: BaselineSettings = DEFAULT_SETTINGS,
) -> BatchBaseline:
    batch = _prepare(
        load=load,
        first_day=first_day,
        event=event,
        day_kind=day_kind,
        estimated=estimated,
        excluded=excluded,
        settings=settings,
    )
    count = settings.ten_of_ten_working_days if batch.working_event else settings.ten_of_ten_non_working_days
    chosen = _last(batch.eligible, count)
    unadjusted, counts = _mean_profile(batch, chosen)

    # Adjustment window, as in baselines._adjustment_window.
    step = timedelta(minutes=24 * 60 // load.shape[2])
    midnight = local_midnight(batch.event.day)
    anchor = batch.event.start
    if settings.adjustment_anchor is AdjustmentAnchor.BEFORE_NOTICE:
        anchor = min(anchor, batch.event.notice_at)
    end = anchor - timedelta(hours=settings.adjustment_gap_hours)
    end -= (end - midnight) % step
    start = end - timedelta(hours=settings.adjustment_hours)
    start -= (start - midnight) % step
    offsets = np.arange(int((start - midnight) / step), int((end - midnight) / step))
    accounts, n_days, per_day = load.shape
    flat = load.reshape(accounts, n_days * per_day)
    positions = np.arange(n_days)[:, None] * per_day + offsets[None, :]  # (days, window)
    inside = (positions >= 0) & (positions < n_days * per_day)
    cells = np.where(inside[None], flat[:, np.clip(positions, 0, n_days * per_day - 1)], np.nan)  # (acc, days, win)
    actual = cells[:, batch.event_row, :]
    base_cells = np.where(chosen[:, :, None], cells, np.nan)
    base_present: BoolArray = ~np.isnan(base_cells)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_interval = np.where(base_present, base_cells, 0.0).sum(axis=1) / base_present.sum(axis=1)
    covered: BoolArray = np.all(np.any(base_present, axis=1), axis=1)  # every window interval has a day
    usable = ~np.isnan(actual).any(axis=1) & covered & (counts > 0)
    actual_mean = np.where(usable, np.nan_to_num(actual).mean(axis=1), np.nan)
    base_mean = np.where(usable, np.nan_to_num(per_interval).mean(axis=1), np.nan)
    cap = settings.adjustment_cap
    if settings.adjustment_kind is AdjustmentKind.RATIO:
        usable &= base_mean > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            raw = np.where(usable, actual_mean / base_mean, np.nan)
        applied = np.where(usable, np.clip(raw, 1 - cap, 1 + cap), 1.0)
        values = unadjusted * applied[:, None]
    else:
        raw = np.where(usable, actual_mean - base_mean, np.nan)
        bound = cap * np.abs(np.nan_to_num(base_mean))
        applied = np.where(usable, np.clip(raw, -bound, bound), 0.0)
        values = unadjusted + applied[:, None]
    return BatchBaseline(
        method=BaselineMethod.TEN_OF_TEN_ADJUSTED,
        values=values,
        days_used=chosen,
        insufficient=counts < _minimum(batch),
        unadjusted=unadjusted,
        adjustment_raw=raw,
        adjustment_applied=applied,
    )


__all__ = ["BatchBaseline", "high_5_of_10_baseline_batch", "similar_days_baseline_batch", "ten_of_ten_baseline_batch"]
