"""REGRESSION: recovers the model it generated the data from, and falls back when it cannot fit."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analytics.demand_response import (
    DEFAULT_SETTINGS,
    BaselineMethod,
    SkipReason,
    compare_baselines,
    regression_baseline,
)

from .helpers import at, d, daily_load, event_on, mainland_day_kind, weekday_day_kind

EVENT_DAY = d("2026-06-16")  # a Tuesday; no holiday in the eight weeks before it on the fake calendar


def truth(temps: np.ndarray) -> np.ndarray:
    """Piecewise-linear temperature response, slopes −0.8 / 0 / 0.3 / 1.5 kW/°C split at 12, 18, 24 °C."""
    return (
        -0.8 * np.minimum(temps, 12.0)
        + 0.0 * np.clip(temps - 12.0, 0, 6)
        + 0.3 * np.clip(temps - 18.0, 0, 6)
        + 1.5 * np.maximum(temps - 24.0, 0)
    )


def synthetic(minutes: int = 60, clip: tuple[float, float] | None = None):
    first = EVENT_DAY - dt.timedelta(days=70)
    index = pd.date_range(at(first, 0), at(EVENT_DAY + dt.timedelta(days=1), 0), freq=f"{minutes}min", inclusive="left")
    rng = np.random.default_rng(7)
    hourly = pd.date_range(index[0], index[-1], freq="1h")
    temperature = pd.Series(rng.uniform(2.0, 36.0, len(hourly)), index=hourly)
    if clip is not None:
        temperature = temperature.clip(*clip)
    per_day = 24 * 60 // minutes
    slot = (index.hour * 60 + index.minute) // minutes
    # A distinct intercept for every interval-of-week: weekday w, slot s → 40 + 3w + 0.5s.
    intercept = 40 + 3 * index.day_of_week.to_numpy() + 0.5 * slot.to_numpy()
    temps = temperature.reindex(index.floor("1h")).to_numpy()
    load = pd.Series(intercept + truth(temps), index=index)
    return load, temperature, per_day


@pytest.mark.parametrize("minutes", [60, 30])
def test_regression_recovers_known_intercepts_and_slopes(minutes):
    load, temperature, _ = synthetic(minutes)
    result = regression_baseline(
        load=load, temperature=temperature, event=event_on(EVENT_DAY), day_kind=weekday_day_kind
    )
    assert result.method is BaselineMethod.REGRESSION and result.fallback_reason is None
    fit = result.regression
    assert fit.knots_c == (12.0, 18.0, 24.0)
    assert fit.slopes_kw_per_c == pytest.approx((-0.8, 0.0, 0.3, 1.5), abs=1e-6)
    assert fit.r_squared == pytest.approx(1.0) and fit.cv_rmse == pytest.approx(0.0, abs=1e-9)
    assert fit.fit_days == 56  # 8 weeks, nothing excluded
    # Prediction on the event window = the true model at the event day's temperatures (the event day's
    # own load is not used: here it equals the model, so compare with it).
    assert result.values.to_numpy() == pytest.approx(load.loc[result.values.index].to_numpy(), abs=1e-6)


def test_regression_drops_excluded_and_bad_days_from_the_fit():
    load, temperature, _ = synthetic()
    load = load.drop(at(d("2026-06-01"), 15))  # a Monday with a hole in its window
    result = regression_baseline(
        load=load,
        temperature=temperature,
        event=event_on(EVENT_DAY),
        day_kind=weekday_day_kind,
        excluded_days={d("2026-06-10"): "event 3"},
    )
    assert result.regression.fit_days == 54
    skipped = {s.day: s.code for s in result.days_skipped}
    assert skipped == {d("2026-06-10"): SkipReason.PRIOR_EVENT, d("2026-06-01"): SkipReason.MISSING_DATA}
    assert result.regression.slopes_kw_per_c == pytest.approx((-0.8, 0.0, 0.3, 1.5), abs=1e-6)


def test_sparse_temperature_segment_is_merged():
    # Only 14–22 °C in the data: the (−∞, 12] and (24, ∞) segments are empty, so knots 12 and 24 go,
    # leaving one knot at 18 with slopes 0 and 0.3.
    load, temperature, _ = synthetic(clip=(14.0, 22.0))
    result = regression_baseline(
        load=load, temperature=temperature, event=event_on(EVENT_DAY), day_kind=weekday_day_kind
    )
    assert result.regression.knots_c == (18.0,)
    assert result.regression.slopes_kw_per_c == pytest.approx((0.0, 0.3), abs=1e-6)


def test_falls_back_to_similar_days_without_temperature():
    load = daily_load(last=d("2026-10-20"))
    result = regression_baseline(
        load=load, temperature=None, event=event_on(d("2026-10-20")), day_kind=mainland_day_kind
    )
    assert result.method is BaselineMethod.SIMILAR_WORKING_DAYS
    assert result.fallback_from is BaselineMethod.REGRESSION
    assert result.fallback_reason == "no temperature data"
    # The similar-days answer: 19, 16, 15, 14, 13 Oct = 148, 145, 144, 143, 142 → 722 / 5 = 144.4.
    assert result.values.iloc[0] == pytest.approx(144.4)


def test_falls_back_when_temperature_covers_too_little():
    load, temperature, _ = synthetic()
    thin = temperature[temperature.index.hour % 2 == 0]  # half of the hours
    result = regression_baseline(load=load, temperature=thin, event=event_on(EVENT_DAY), day_kind=weekday_day_kind)
    assert result.fallback_from is BaselineMethod.REGRESSION
    assert result.fallback_reason.startswith("load and temperature cover 50%")


def test_falls_back_with_too_few_days():
    load, temperature, _ = synthetic()
    load = load[load.index >= at(EVENT_DAY - dt.timedelta(days=20), 0)]
    settings = dataclasses.replace(DEFAULT_SETTINGS, regression_min_days=28)
    result = regression_baseline(
        load=load, temperature=temperature, event=event_on(EVENT_DAY), day_kind=weekday_day_kind, settings=settings
    )
    assert result.fallback_reason == "only 20 usable days in 8 weeks (need 28)"


def test_falls_back_on_a_holiday_event_day():
    load = daily_load(last=d("2026-10-05"))
    temperature = pd.Series(20.0, index=pd.date_range(load.index[0], load.index[-1], freq="1h"))
    result = regression_baseline(
        load=load, temperature=temperature, event=event_on(d("2026-10-05")), day_kind=mainland_day_kind
    )
    assert result.fallback_from is BaselineMethod.REGRESSION
    assert "statutory holiday" in result.fallback_reason


def test_compare_baselines_gives_all_four_side_by_side():
    load, temperature, _ = synthetic()
    comparison = compare_baselines(
        load=load, temperature=temperature, event=event_on(EVENT_DAY), day_kind=weekday_day_kind
    )
    assert set(comparison.results) == set(BaselineMethod)
    frame = comparison.frame()
    assert list(frame.columns) == [str(m) for m in BaselineMethod]
    assert len(frame) == 4
    assert comparison.results[BaselineMethod.REGRESSION].regression is not None
    # Each entry is what the single-method call gives.
    single = regression_baseline(
        load=load, temperature=temperature, event=event_on(EVENT_DAY), day_kind=weekday_day_kind
    )
    assert frame[str(BaselineMethod.REGRESSION)].tolist() == pytest.approx(single.values.tolist())
