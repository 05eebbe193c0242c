"""Customer baseline load (基线负荷) for demand-response events: four methods, pure functions.

Inputs are a load series in average kW per interval, indexed by aware interval-start timestamps
(15/30/60 min), the event window, the caller's mainland calendar (``day_kind``) and the days the
program excludes (prior events). Nothing here reads a clock, the database or settings. The rules and
where they come from: docs/demand-response.md.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum

import numpy as np
import pandas as pd

from core.time import local_midnight

from ._grid import (
    BoolArray,
    Event,
    FloatArray,
    Grid,
    build_grid,
    check_event,
    interval_minutes_of,
    local_index,
)
from .types import (
    DEFAULT_SETTINGS,
    Adjustment,
    AdjustmentAnchor,
    AdjustmentKind,
    BaselineComparison,
    BaselineMethod,
    BaselineResult,
    BaselineSettings,
    DayKind,
    EventWindow,
    NonWorkingPool,
    RegressionFit,
    SkippedDay,
    SkipReason,
)

DayKindFn = Callable[[date], DayKind]


class _Class(Enum):
    WORKING = "working"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"  # non-working Monday–Friday: a statutory holiday
    ADJUSTED = "adjusted"  # 调休 day not counted as working


def _class_of(day: date, kind: DayKind, settings: BaselineSettings) -> _Class:
    if kind is DayKind.WORKING:
        return _Class.WORKING
    if kind is DayKind.ADJUSTED_WORKING:
        return _Class.WORKING if settings.adjusted_working_counts_as_working else _Class.ADJUSTED
    # The calendar gives NON_WORKING only; a non-working weekday can only be a statutory holiday.
    return _Class.HOLIDAY if day.weekday() < 5 else _Class.WEEKEND


_CLASS_TEXT = {
    _Class.WORKING: "working day",
    _Class.WEEKEND: "weekend day",
    _Class.HOLIDAY: "statutory holiday",
    _Class.ADJUSTED: "adjusted working day (调休), not counted as working",
}


@dataclass(frozen=True)
class _Context:
    grid: Grid
    event: Event
    settings: BaselineSettings
    classes: Mapping[date, _Class]
    excluded: Mapping[date, str]
    data_reason: Mapping[int, tuple[SkipReason, str]]  # grid row → data problem
    window_mean: FloatArray  # per grid row: mean kW over the event-window columns (NaN if any missing)

    @property
    def event_row(self) -> int:
        return self.grid.row_of(self.event.day)

    @property
    def event_class(self) -> _Class:
        return self.classes[self.event.day]

    @property
    def working_event(self) -> bool:
        return self.event_class in (_Class.WORKING, _Class.ADJUSTED)

    def wanted(self) -> frozenset[_Class]:
        if self.working_event:
            return frozenset({_Class.WORKING})
        if self.settings.non_working_pool is NonWorkingPool.ANY:
            return frozenset({_Class.WEEKEND, _Class.HOLIDAY})
        return frozenset({self.event_class})


def _data_problems(grid: Grid, event: Event, settings: BaselineSettings) -> dict[int, tuple[SkipReason, str]]:
    missing = np.isnan(grid.values)
    estimated = grid.estimated & ~missing
    bad = missing | estimated if settings.estimated_disqualifies else missing
    cols = event.cols
    width = cols.stop - cols.start
    window_missing = missing[:, cols].sum(axis=1)
    window_estimated = estimated[:, cols].sum(axis=1)
    bad_fraction = bad.mean(axis=1)
    window = np.where(missing[:, cols], np.inf, np.abs(grid.values[:, cols]))
    zero: BoolArray = np.all(window <= settings.zero_load_kw, axis=1)
    problems: dict[int, tuple[SkipReason, str]] = {}
    for row in range(grid.n_days):
        if window_missing[row]:
            problems[row] = (
                SkipReason.MISSING_DATA,
                f"{window_missing[row]} of {width} event-window intervals missing",
            )
        elif settings.estimated_disqualifies and window_estimated[row]:
            problems[row] = (
                SkipReason.ESTIMATED_DATA,
                f"{window_estimated[row]} of {width} event-window intervals estimated",
            )
        elif bad_fraction[row] > settings.max_bad_day_fraction:
            code = SkipReason.MISSING_DATA if missing[row].any() else SkipReason.ESTIMATED_DATA
            problems[row] = (
                code,
                f"{bad_fraction[row]:.1%} of the day missing or estimated (limit {settings.max_bad_day_fraction:.0%})",
            )
        elif zero[row]:
            problems[row] = (SkipReason.ZERO_LOAD, "zero load over the whole event window")
    return problems


def _context(
    *,
    load: pd.Series,
    quality: pd.Series | None,
    event: EventWindow,
    day_kind: DayKindFn,
    excluded_days: Mapping[date, str] | None,
    settings: BaselineSettings,
    history_days: int,
) -> _Context:
    minutes = interval_minutes_of(load)
    checked = check_event(event, minutes)
    first_day = checked.day - timedelta(days=history_days + 1)  # +1: a day-ahead adjustment reaches back a day
    grid = build_grid(load=load, quality=quality, interval_minutes=minutes, first_day=first_day, last_day=checked.day)
    classes = {
        grid.day_at(row): _class_of(grid.day_at(row), day_kind(grid.day_at(row)), settings)
        for row in range(grid.n_days)
    }
    values = grid.values[:, checked.cols]
    window_mean = np.full(grid.n_days, np.nan)
    complete = ~np.isnan(values).any(axis=1)
    window_mean[complete] = values[complete].mean(axis=1)
    return _Context(
        grid=grid,
        event=checked,
        settings=settings,
        classes=classes,
        excluded=dict(excluded_days or {}),
        data_reason=_data_problems(grid, checked, settings),
        window_mean=window_mean,
    )


def _reason(ctx: _Context, row: int, wanted: frozenset[_Class]) -> SkippedDay | None:
    """Why the day at this grid row cannot stand in for the event day, or None if it can."""
    day = ctx.grid.day_at(row)
    cls = ctx.classes[day]
    if cls not in wanted:
        if cls is _Class.WORKING:
            code = SkipReason.WORKING
        elif cls is _Class.ADJUSTED:
            code = SkipReason.ADJUSTED_WORKING
        elif ctx.working_event:
            code = SkipReason.NON_WORKING
        else:
            code = SkipReason.OTHER_SUBKIND
        return SkippedDay(day, code, f"{_CLASS_TEXT[cls]}; the event day is a {_CLASS_TEXT[ctx.event_class]}")
    if day in ctx.excluded:
        return SkippedDay(day, SkipReason.PRIOR_EVENT, f"excluded: {ctx.excluded[day]}")
    problem = ctx.data_reason.get(row)
    if problem is not None:
        return SkippedDay(day, problem[0], problem[1])
    return None


def _scan(ctx: _Context, skipped: list[SkippedDay]) -> Generator[int, None, None]:
    """Eligible grid rows, most recent first, within the look-back; every other day lands in ``skipped``."""
    wanted = ctx.wanted()
    lookback = ctx.settings.lookback_days
    for back in range(1, lookback + 1):
        row = ctx.event_row - back
        reason = _reason(ctx, row, wanted)
        if reason is None:
            yield row
        else:
            skipped.append(reason)
    limit_day = ctx.event.day - timedelta(days=lookback + 1)
    skipped.append(
        SkippedDay(limit_day, SkipReason.BEYOND_LOOKBACK, f"look-back limit of {lookback} days reached; not examined")
    )


def _take(rows: Iterator[int], count: int) -> list[int]:
    taken: list[int] = []
    for row in rows:
        taken.append(row)
        if len(taken) == count:
            break
    return taken


def _profile(ctx: _Context, rows: list[int]) -> pd.Series:
    index = ctx.grid.index_for(ctx.event.day, ctx.event.cols)
    if not rows:
        return pd.Series(np.nan, index=index, dtype=np.float64)
    values = ctx.grid.values[np.array(sorted(rows)), ctx.event.cols].mean(axis=0)
    return pd.Series(values, index=index, dtype=np.float64)


def _needs(ctx: _Context, working: int, non_working: int) -> int:
    return working if ctx.working_event else non_working


def _minimum(ctx: _Context) -> int:
    return _needs(ctx, ctx.settings.min_working_days, ctx.settings.min_non_working_days)


def _event_notes(ctx: _Context) -> list[str]:
    if ctx.event_class is _Class.ADJUSTED:
        return ["event on an adjusted working day (调休): working days stand in for it"]
    return []


def _result(
    ctx: _Context,
    method: BaselineMethod,
    rows: list[int],
    skipped: list[SkippedDay],
    notes: list[str],
    wanted_days: int,
) -> BaselineResult:
    minimum = _minimum(ctx)
    insufficient = len(rows) < minimum
    if insufficient:
        notes.append(f"only {len(rows)} eligible days, fewer than the minimum {minimum}: baseline insufficient")
    elif len(rows) < wanted_days:
        notes.append(f"{len(rows)} of {wanted_days} days found; at least {minimum} needed, so used as they are")
    return BaselineResult(
        method=method,
        values=_profile(ctx, rows),
        days_used=tuple(sorted(ctx.grid.day_at(row) for row in rows)),
        days_skipped=tuple(sorted(skipped, key=lambda s: s.day, reverse=True)),
        insufficient=insufficient,
        notes=tuple(notes),
    )


# --- 1. similar days (Jiangsu-style) ---------------------------------------------------------------------


def _similar(ctx: _Context) -> BaselineResult:
    settings = ctx.settings
    count = _needs(ctx, settings.similar_working_days, settings.similar_non_working_days)
    skipped: list[SkippedDay] = []
    notes = _event_notes(ctx)
    rows_iter = _scan(ctx, skipped)
    rows = _take(rows_iter, count)
    if settings.drop_abnormal_days and len(rows) >= 2:
        # One pass: the reference is the mean of the first candidates' window averages; it is not recomputed
        # after dropping, and replacement days further back are held to the same reference.
        reference = float(np.mean(ctx.window_mean[rows]))
        limit = settings.abnormal_deviation * reference

        def abnormal(row: int) -> bool:
            if reference <= 0 or abs(ctx.window_mean[row] - reference) <= limit:
                return False
            deviation = ctx.window_mean[row] / reference - 1
            skipped.append(
                SkippedDay(
                    ctx.grid.day_at(row),
                    SkipReason.ABNORMAL,
                    f"event-window average {ctx.window_mean[row]:.3f} kW deviates {deviation:+.0%} from the "
                    f"candidates' mean {reference:.3f} kW (limit ±{settings.abnormal_deviation:.0%})",
                ),
            )
            return True

        rows = [row for row in rows if not abnormal(row)]
        if len(rows) < count:
            rows += _take((row for row in rows_iter if not abnormal(row)), count - len(rows))
    if len(rows) == count:
        rows_iter.close()
        skipped = [s for s in skipped if s.code is not SkipReason.BEYOND_LOOKBACK]
    return _result(ctx, BaselineMethod.SIMILAR_WORKING_DAYS, rows, skipped, notes, count)


# --- 2. high 5 of 10 (PJM / Beijing style) ---------------------------------------------------------------


def _high(ctx: _Context) -> BaselineResult:
    keep, pool = ctx.settings.high_working if ctx.working_event else ctx.settings.high_non_working
    skipped: list[SkippedDay] = []
    notes = _event_notes(ctx)
    rows_iter = _scan(ctx, skipped)
    rows = _take(rows_iter, pool)
    if len(rows) == pool:
        rows_iter.close()
        skipped = [s for s in skipped if s.code is not SkipReason.BEYOND_LOOKBACK]
    # Highest event-window average first; equal averages (to 1e-9 kW) go to the more recent day.
    ranked = sorted(rows, key=lambda row: (-round(float(ctx.window_mean[row]), 9), -row))
    chosen = ranked[:keep]
    for rank, row in enumerate(ranked[keep:], start=keep + 1):
        skipped.append(
            SkippedDay(
                ctx.grid.day_at(row),
                SkipReason.NOT_IN_TOP,
                f"event-window average {ctx.window_mean[row]:.3f} kW ranks {rank} of {len(ranked)}; top {keep} used",
            ),
        )
    if len(rows) < pool:
        notes.append(f"{len(rows)} of {pool} eligible days within the look-back")
    return _result(ctx, BaselineMethod.HIGH_5_OF_10, chosen, skipped, notes, keep)


# --- 3. 10 of 10 with same-day adjustment (CAISO / NYISO style) ------------------------------------------


def _adjustment_window(ctx: _Context) -> tuple[datetime, datetime]:
    settings = ctx.settings
    event = ctx.event
    anchor = event.start
    if settings.adjustment_anchor is AdjustmentAnchor.BEFORE_NOTICE:
        anchor = min(event.start, event.notice_at)
    end = anchor - timedelta(hours=settings.adjustment_gap_hours)
    # Floor to an interval start so the window never reaches past anchor − gap.
    step = timedelta(minutes=ctx.grid.interval_minutes)
    end = end - (end - local_midnight(event.day)) % step
    start = end - timedelta(hours=settings.adjustment_hours)
    start = start - (start - local_midnight(event.day)) % step
    return start, end


def _same_day_adjustment(ctx: _Context, rows: list[int], unadjusted: pd.Series) -> tuple[pd.Series, Adjustment]:
    settings = ctx.settings
    start, end = _adjustment_window(ctx)
    step = timedelta(minutes=ctx.grid.interval_minutes)
    midnight = local_midnight(ctx.event.day)
    offsets = np.arange(int((start - midnight) / step), int((end - midnight) / step))
    flat = ctx.grid.values.reshape(-1)
    per_day = ctx.grid.per_day

    def cells(row: int) -> FloatArray:
        positions = row * per_day + offsets
        out = np.full(len(offsets), np.nan)
        inside = (positions >= 0) & (positions < flat.size)
        out[inside] = flat[positions[inside]]
        return out

    def unapplied(note: str, actual: float | None = None, base: float | None = None) -> tuple[pd.Series, Adjustment]:
        neutral = 1.0 if settings.adjustment_kind is AdjustmentKind.RATIO else 0.0
        adjustment = Adjustment(
            kind=settings.adjustment_kind,
            anchor=settings.adjustment_anchor,
            window_start=start,
            window_end=end,
            actual_mean_kw=actual,
            baseline_mean_kw=base,
            raw=None,
            applied=neutral,
            capped=False,
            note=note,
        )
        return unadjusted, adjustment

    if not rows:
        return unapplied("no baseline days: nothing to adjust")
    actual_cells = cells(ctx.event_row)
    if np.isnan(actual_cells).any():
        return unapplied("event-day load missing in the adjustment window: not adjusted")
    baseline_cells = np.stack([cells(row) for row in rows])
    if np.isnan(baseline_cells).all(axis=0).any():
        return unapplied("baseline days have no load in part of the adjustment window: not adjusted")
    actual_mean = float(actual_cells.mean())
    # Mean per interval over the baseline days, then over the window: the baseline's own curve there.
    baseline_mean = float(np.nanmean(baseline_cells, axis=0).mean())
    cap = settings.adjustment_cap
    if settings.adjustment_kind is AdjustmentKind.RATIO:
        if baseline_mean <= 0:
            return unapplied("baseline is zero in the adjustment window: ratio undefined", actual_mean, baseline_mean)
        raw = actual_mean / baseline_mean
        applied = min(max(raw, 1 - cap), 1 + cap)
        adjusted = unadjusted * applied
    else:
        raw = actual_mean - baseline_mean
        bound = cap * abs(baseline_mean)
        applied = min(max(raw, -bound), bound)
        adjusted = unadjusted + applied
    return adjusted, Adjustment(
        kind=settings.adjustment_kind,
        anchor=settings.adjustment_anchor,
        window_start=start,
        window_end=end,
        actual_mean_kw=actual_mean,
        baseline_mean_kw=baseline_mean,
        raw=raw,
        applied=applied,
        capped=not math.isclose(raw, applied, rel_tol=0, abs_tol=1e-12),
    )


def _ten_of_ten(ctx: _Context) -> BaselineResult:
    count = _needs(ctx, ctx.settings.ten_of_ten_working_days, ctx.settings.ten_of_ten_non_working_days)
    skipped: list[SkippedDay] = []
    notes = _event_notes(ctx)
    rows_iter = _scan(ctx, skipped)
    rows = _take(rows_iter, count)
    if len(rows) == count:
        rows_iter.close()
        skipped = [s for s in skipped if s.code is not SkipReason.BEYOND_LOOKBACK]
    result = _result(ctx, BaselineMethod.TEN_OF_TEN_ADJUSTED, rows, skipped, notes, count)
    return _adjusted(ctx, result, rows)


def _adjusted(ctx: _Context, result: BaselineResult, rows: list[int]) -> BaselineResult:
    values, adjustment = _same_day_adjustment(ctx, rows, result.values)
    notes = result.notes + ((adjustment.note,) if adjustment.note else ())
    return BaselineResult(
        method=result.method,
        values=values,
        days_used=result.days_used,
        days_skipped=result.days_skipped,
        insufficient=result.insufficient,
        unadjusted=result.values,
        adjustment=adjustment,
        notes=notes,
    )


# --- 4. regression on time of week and temperature (CalTRACK-hourly style) -------------------------------


def _hourly_temperature(temperature: pd.Series, index: pd.DatetimeIndex) -> FloatArray:
    """Temperature for each interval start: the mean of its local clock hour."""
    series = pd.Series(temperature.to_numpy(dtype=np.float64), index=local_index(temperature, "temperature"))
    hourly = series.resample("1h").mean()
    return hourly.reindex(index.floor("1h")).to_numpy(dtype=np.float64)


def _segments(temps: FloatArray, knots: list[float], minimum: int) -> list[float]:
    """Drop knots until every temperature segment holds at least ``minimum`` points (CalTRACK merges bins)."""
    knots = list(knots)
    while knots:
        edges = [-np.inf, *knots, np.inf]
        counts = [int(((temps > lo) & (temps <= hi)).sum()) for lo, hi in itertools.pairwise(edges)]
        sparse = min(range(len(counts)), key=lambda i: counts[i])
        if counts[sparse] >= minimum:
            break
        knots.pop(min(sparse, len(knots) - 1))  # merge with the segment above; the top one merges down
    return knots


def _basis(temps: FloatArray, knots: list[float]) -> FloatArray:
    # T plus a hinge at each knot: a continuous piecewise-linear response, one slope per segment.
    return np.column_stack([temps, *[np.maximum(temps - knot, 0.0) for knot in knots]])


def _fallback(ctx: _Context, reason: str) -> BaselineResult:
    result = _similar(ctx)
    return BaselineResult(
        method=result.method,
        values=result.values,
        days_used=result.days_used,
        days_skipped=result.days_skipped,
        insufficient=result.insufficient,
        fallback_reason=reason,
        fallback_from=BaselineMethod.REGRESSION,
        notes=result.notes,
    )


def _regression(ctx: _Context, temperature: pd.Series | None) -> BaselineResult:
    settings = ctx.settings
    grid, event = ctx.grid, ctx.event
    if temperature is None or temperature.dropna().empty:
        return _fallback(ctx, "no temperature data")
    if ctx.event_class in (_Class.HOLIDAY, _Class.ADJUSTED):
        return _fallback(ctx, f"event day is a {_CLASS_TEXT[ctx.event_class]}: a time-of-week model does not apply")
    skipped: list[SkippedDay] = []
    fit_rows: list[int] = []
    for back in range(1, settings.regression_weeks * 7 + 1):
        row = ctx.event_row - back
        day = grid.day_at(row)
        cls = ctx.classes[day]
        problem = ctx.data_reason.get(row)
        if cls in (_Class.HOLIDAY, _Class.ADJUSTED):
            skipped.append(
                SkippedDay(day, SkipReason.CALENDAR_MISMATCH, f"{_CLASS_TEXT[cls]}: not its weekday's usual kind")
            )
        elif day in ctx.excluded:
            skipped.append(SkippedDay(day, SkipReason.PRIOR_EVENT, f"excluded: {ctx.excluded[day]}"))
        elif problem is not None:
            skipped.append(SkippedDay(day, problem[0], problem[1]))
        else:
            fit_rows.append(row)
    if len(fit_rows) < settings.regression_min_days:
        return _fallback(
            ctx,
            f"only {len(fit_rows)} usable days in {settings.regression_weeks} weeks (need {settings.regression_min_days})",
        )
    per_day = grid.per_day
    rows = np.array(sorted(fit_rows))
    positions = (rows[:, None] * per_day + np.arange(per_day)[None, :]).reshape(-1)
    day_index = grid.full_index()[positions]
    temps = _hourly_temperature(temperature, day_index)
    loads = grid.values[rows].reshape(-1)
    weekdays = np.repeat([grid.day_at(int(r)).weekday() for r in rows], per_day)
    levels = weekdays * per_day + np.tile(np.arange(per_day), len(rows))
    usable = ~np.isnan(loads) & ~np.isnan(temps) & ~grid.estimated[rows].reshape(-1)
    coverage = float(usable.sum()) / loads.size
    if coverage < settings.regression_min_coverage:
        return _fallback(
            ctx,
            f"load and temperature cover {coverage:.0%} of the fitting intervals (need {settings.regression_min_coverage:.0%})",
        )
    event_index = grid.index_for(event.day, event.cols)
    event_temps = _hourly_temperature(temperature, event_index)
    if np.isnan(event_temps).any():
        return _fallback(ctx, "temperature missing in the event window")
    y, t, g = loads[usable], temps[usable], levels[usable]
    knots = _segments(t, list(settings.temperature_knots_c), settings.min_points_per_temperature_segment)
    x = _basis(t, knots)
    # Time-of-week indicators via the within transformation (Frisch–Waugh–Lovell): demean y and the
    # temperature terms per level, fit the slopes, then each level's intercept is its mean residual.
    # Exact, and it avoids a least-squares solve over hundreds of indicator columns.
    n_levels = 7 * per_day
    counts = np.bincount(g, minlength=n_levels).astype(np.float64)
    seen = counts > 0
    y_mean = np.bincount(g, weights=y, minlength=n_levels) / np.where(seen, counts, 1)
    x_mean = (
        np.column_stack([np.bincount(g, weights=x[:, j], minlength=n_levels) for j in range(x.shape[1])])
        / np.where(seen, counts, 1)[:, None]
    )
    slopes, *_ = np.linalg.lstsq(x - x_mean[g], y - y_mean[g], rcond=None)
    intercepts = y_mean - x_mean @ slopes
    event_levels = event.day.weekday() * per_day + np.arange(event.first_col, event.last_col)
    if not seen[event_levels].all():
        return _fallback(ctx, "no fitting data for some intervals-of-week of the event window")
    fitted = intercepts[g] + x @ slopes
    residual = y - fitted
    total = float(((y - y.mean()) ** 2).sum())
    mean_y = float(y.mean())
    predicted = intercepts[event_levels] + _basis(event_temps, knots) @ slopes
    fit = RegressionFit(
        knots_c=tuple(knots),
        slopes_kw_per_c=tuple(float(s) for s in np.cumsum(slopes)),
        fit_days=len(fit_rows),
        fit_points=int(y.size),
        r_squared=1 - float((residual**2).sum()) / total if total > 0 else 1.0,
        cv_rmse=float(np.sqrt((residual**2).mean())) / mean_y if mean_y else math.inf,
    )
    return BaselineResult(
        method=BaselineMethod.REGRESSION,
        values=pd.Series(predicted, index=event_index, dtype=np.float64),
        days_used=tuple(grid.day_at(int(r)) for r in rows),
        days_skipped=tuple(sorted(skipped, key=lambda s: s.day, reverse=True)),
        insufficient=False,
        regression=fit,
    )


# --- public entry points ---------------------------------------------------------------------------------


def _history_days(method: BaselineMethod, settings: BaselineSettings) -> int:
    if method is BaselineMethod.REGRESSION:
        return max(settings.regression_weeks * 7, settings.lookback_days)
    return settings.lookback_days


def compute_baseline(
    *,
    method: BaselineMethod,
    load: pd.Series,
    event: EventWindow,
    day_kind: DayKindFn,
    quality: pd.Series | None = None,
    excluded_days: Mapping[date, str] | None = None,
    temperature: pd.Series | None = None,
    settings: BaselineSettings = DEFAULT_SETTINGS,
) -> BaselineResult:
    """The baseline of one account for one event by ``method``; see the module docstring for the inputs."""
    ctx = _context(
        load=load,
        quality=quality,
        event=event,
        day_kind=day_kind,
        excluded_days=excluded_days,
        settings=settings,
        history_days=_history_days(method, settings),
    )
    return _dispatch(ctx, method, temperature)


def _dispatch(ctx: _Context, method: BaselineMethod, temperature: pd.Series | None) -> BaselineResult:
    if method is BaselineMethod.SIMILAR_WORKING_DAYS:
        return _similar(ctx)
    if method is BaselineMethod.HIGH_5_OF_10:
        result = _high(ctx)
        if ctx.settings.adjust_high_5_of_10:
            chosen = [ctx.grid.row_of(day) for day in result.days_used]
            return _adjusted(ctx, result, chosen)
        return result
    if method is BaselineMethod.TEN_OF_TEN_ADJUSTED:
        return _ten_of_ten(ctx)
    return _regression(ctx, temperature)


def similar_working_days_baseline(
    *,
    load: pd.Series,
    event: EventWindow,
    day_kind: DayKindFn,
    quality: pd.Series | None = None,
    excluded_days: Mapping[date, str] | None = None,
    settings: BaselineSettings = DEFAULT_SETTINGS,
) -> BaselineResult:
    return compute_baseline(
        method=BaselineMethod.SIMILAR_WORKING_DAYS,
        load=load,
        event=event,
        day_kind=day_kind,
        quality=quality,
        excluded_days=excluded_days,
        settings=settings,
    )


def high_5_of_10_baseline(
    *,
    load: pd.Series,
    event: EventWindow,
    day_kind: DayKindFn,
    quality: pd.Series | None = None,
    excluded_days: Mapping[date, str] | None = None,
    settings: BaselineSettings = DEFAULT_SETTINGS,
) -> BaselineResult:
    return compute_baseline(
        method=BaselineMethod.HIGH_5_OF_10,
        load=load,
        event=event,
        day_kind=day_kind,
        quality=quality,
        excluded_days=excluded_days,
        settings=settings,
    )


def ten_of_ten_adjusted_baseline(
    *,
    load: pd.Series,
    event: EventWindow,
    day_kind: DayKindFn,
    quality: pd.Series | None = None,
    excluded_days: Mapping[date, str] | None = None,
    settings: BaselineSettings = DEFAULT_SETTINGS,
) -> BaselineResult:
    return compute_baseline(
        method=BaselineMethod.TEN_OF_TEN_ADJUSTED,
        load=load,
        event=event,
        day_kind=day_kind,
        quality=quality,
        excluded_days=excluded_days,
        settings=settings,
    )


def regression_baseline(
    *,
    load: pd.Series,
    event: EventWindow,
    day_kind: DayKindFn,
    temperature: pd.Series | None,
    quality: pd.Series | None = None,
    excluded_days: Mapping[date, str] | None = None,
    settings: BaselineSettings = DEFAULT_SETTINGS,
) -> BaselineResult:
    return compute_baseline(
        method=BaselineMethod.REGRESSION,
        load=load,
        event=event,
        day_kind=day_kind,
        quality=quality,
        excluded_days=excluded_days,
        temperature=temperature,
        settings=settings,
    )


def compare_baselines(
    *,
    load: pd.Series,
    event: EventWindow,
    day_kind: DayKindFn,
    quality: pd.Series | None = None,
    excluded_days: Mapping[date, str] | None = None,
    temperature: pd.Series | None = None,
    settings: BaselineSettings = DEFAULT_SETTINGS,
) -> BaselineComparison:
    """All four methods for one account-event, from one pass over the inputs (the staff view)."""
    ctx = _context(
        load=load,
        quality=quality,
        event=event,
        day_kind=day_kind,
        excluded_days=excluded_days,
        settings=settings,
        history_days=max(_history_days(method, settings) for method in BaselineMethod),
    )
    return BaselineComparison(results={method: _dispatch(ctx, method, temperature) for method in BaselineMethod})


__all__ = [
    "compare_baselines",
    "compute_baseline",
    "high_5_of_10_baseline",
    "regression_baseline",
    "similar_working_days_baseline",
    "ten_of_ten_adjusted_baseline",
]
