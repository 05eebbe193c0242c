"""Forecasting engine: calendar features, no leakage, backtest metrics against known answers, artefacts."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from analytics.forecasting import metrics
from analytics.forecasting.features import (
    TZ,
    ForecastDataError,
    build_features,
    build_grid,
    calendar_frame,
    infer_resolution_minutes,
)
from analytics.forecasting.model import QuantileForecaster, SeriesData, backtest
from core.calendar import is_working_day

# Small, quick models: the tests check behaviour, not accuracy at production settings.
FAST = {"max_iter": 40, "min_samples_leaf": 10}


def hourly_series(
    *, start: dt.date, days: int, seed: int = 0, with_temperature: bool = True, weekly_only: bool = False
):
    """Hourly load with a daily shape, lower on days off (mainland calendar) and, unless weekly_only, a
    temperature response."""
    index = pd.date_range(pd.Timestamp(start, tz=TZ), periods=days * 24, freq="1h")
    hour = index.hour.to_numpy()
    off = np.array([0.0 if is_working_day(day) else 1.0 for day in index.date])
    shape = 100 + 30 * np.sin((hour - 6) / 24 * 2 * np.pi) - 15 * off
    rng = np.random.default_rng(seed)
    daily_temp = np.repeat(rng.uniform(5, 35, size=days), 24)
    temperature = daily_temp + 4 * np.sin((hour - 9) / 24 * 2 * np.pi)
    load = shape if weekly_only else shape + 2.0 * np.abs(temperature - 18)
    return pd.Series(load, index=index), (pd.Series(temperature, index=index) if with_temperature else None)


# --------------------------------------------------------------------------------------------- calendar


def test_national_day_is_a_holiday_and_the_adjusted_saturday_a_working_day():
    # 2026 schedule (chinesecalendar): 10-01..10-07 off, Sat 10-10 and Sun 09-20 worked in lieu.
    days = [dt.date(2026, 9, 20) + dt.timedelta(days=i) for i in range(22)]
    cal = calendar_frame(days)
    for day in (dt.date(2026, 10, d) for d in range(1, 8)):
        assert (cal.at[day, "workday"], cal.at[day, "holiday"]) == (0, 1), day
    assert (cal.at[dt.date(2026, 10, 8), "workday"], cal.at[dt.date(2026, 10, 8), "holiday"]) == (1, 0)
    for day in (dt.date(2026, 10, 10), dt.date(2026, 9, 20)):
        assert (cal.at[day, "workday"], cal.at[day, "adjusted_workday"], cal.at[day, "holiday"]) == (1, 1, 0), day
    # An ordinary Sunday is neither working nor a statutory holiday.
    assert (cal.at[dt.date(2026, 10, 11), "workday"], cal.at[dt.date(2026, 10, 11), "holiday"]) == (0, 0)
    assert cal.at[dt.date(2026, 10, 9), "weekday"] == 4


def test_workday_override_wins_over_the_calendar():
    override = pd.Series({dt.date(2026, 10, 1): 1, dt.date(2026, 10, 10): 0, dt.date(2026, 10, 13): 0})
    cal = calendar_frame(
        [dt.date(2026, 10, 1), dt.date(2026, 10, 10), dt.date(2026, 10, 12), dt.date(2026, 10, 13)], workday=override
    )
    assert (cal.at[dt.date(2026, 10, 1), "workday"], cal.at[dt.date(2026, 10, 1), "holiday"]) == (1, 0)
    assert (cal.at[dt.date(2026, 10, 10), "workday"], cal.at[dt.date(2026, 10, 10), "adjusted_workday"]) == (0, 0)
    assert (cal.at[dt.date(2026, 10, 13), "workday"], cal.at[dt.date(2026, 10, 13), "holiday"]) == (0, 1)
    # Days the override does not mention still follow the calendar (Monday 10-12 is worked).
    assert cal.at[dt.date(2026, 10, 12), "workday"] == 1


def test_feature_rows_carry_the_calendar_and_look_back_to_the_last_day_of_the_same_kind():
    load, temperature = hourly_series(start=dt.date(2026, 9, 14), days=28)
    grid = build_grid(
        load=load,
        temperature=temperature,
        workday=None,
        first_day=dt.date(2026, 9, 14),
        last_day=dt.date(2026, 10, 11),
        resolution_minutes=60,
    )
    first_after_holiday = grid.day_index(dt.date(2026, 10, 8))
    adjusted_saturday = grid.day_index(dt.date(2026, 10, 10))
    X, level = build_features(
        grid, day_indices=np.array([first_after_holiday, adjusted_saturday]), with_temperature=True
    )
    assert len(X) == 48 and len(level) == 48
    after, saturday = X.iloc[:24], X.iloc[24:]
    assert after["workday"].eq(1).all() and after["holiday_prev"].eq(1).all() and after["workday_d1"].eq(0).all()
    # The last working day before 10-08 is 09-30, eight days earlier; its 09:00 load, scaled by the level.
    assert after["same_kind_age"].eq(8).all()
    expected = load[pd.Timestamp("2026-09-30 09:00", tz=TZ)] / level[9]
    assert after["lag_same_kind"].iloc[9] == pytest.approx(expected)
    assert saturday[["workday", "adjusted_workday", "holiday", "weekday"]].iloc[0].tolist() == [1, 1, 0, 5]
    assert saturday["temp"].iloc[9] == pytest.approx(temperature[pd.Timestamp("2026-10-10 09:00", tz=TZ)])


def test_resolution_must_be_regular():
    regular = pd.date_range("2026-01-01", periods=10, freq="15min", tz=TZ)
    assert infer_resolution_minutes(regular.delete(4)) == 15  # a gap is fine
    with pytest.raises(ForecastDataError, match="grid"):
        infer_resolution_minutes(regular.insert(3, pd.Timestamp("2026-01-01 00:37", tz=TZ)))
    with pytest.raises(ForecastDataError, match="resolution"):
        infer_resolution_minutes(pd.date_range("2026-01-01", periods=10, freq="7min", tz=TZ))


# --------------------------------------------------------------------------------------------- no leakage


def test_forecast_for_day_d_ignores_load_on_and_after_d():
    load, temperature = hourly_series(start=dt.date(2026, 3, 2), days=35)
    day = dt.date(2026, 4, 1)
    model = QuantileForecaster.fit(data=SeriesData(load=load, temperature=temperature), until=day, params=FAST)
    before = model.predict_day(data=SeriesData(load=load, temperature=temperature), day=day)

    altered = load.copy()
    altered[altered.index >= pd.Timestamp(day, tz=TZ)] *= 10
    after = model.predict_day(data=SeriesData(load=altered, temperature=temperature), day=day)
    pd.testing.assert_frame_equal(before, after)
    # Training is cut the same way: a model fitted on the altered series is the same model.
    refit = QuantileForecaster.fit(data=SeriesData(load=altered, temperature=temperature), until=day, params=FAST)
    pd.testing.assert_frame_equal(
        before, refit.predict_day(data=SeriesData(load=altered, temperature=temperature), day=day)
    )

    # …whereas yesterday's load does matter, so the comparison above could have failed.
    yesterday = load.copy()
    yesterday[
        (yesterday.index >= pd.Timestamp(day - dt.timedelta(days=1), tz=TZ))
        & (yesterday.index < pd.Timestamp(day, tz=TZ))
    ] *= 1.5
    assert not np.allclose(
        before["p50"], model.predict_day(data=SeriesData(load=yesterday, temperature=temperature), day=day)["p50"]
    )


def test_prediction_shape_monotone_quantiles_and_artefact_round_trip():
    load, temperature = hourly_series(start=dt.date(2026, 3, 2), days=30)
    day = dt.date(2026, 3, 30)
    model = QuantileForecaster.fit(data=SeriesData(load=load, temperature=temperature), until=day, params=FAST)
    forecast = model.predict_day(data=SeriesData(load=load, temperature=temperature), day=day)
    assert list(forecast.columns) == ["p10", "p50", "p90"]
    assert forecast.index[0] == pd.Timestamp("2026-03-30 00:00", tz=TZ) and len(forecast) == 24
    assert str(forecast.index.tz) == "Asia/Shanghai"
    assert (forecast["p10"] <= forecast["p50"]).all() and (forecast["p50"] <= forecast["p90"]).all()

    # A model that learnt from temperature will not guess a day without any.
    no_weather = temperature[temperature.index < pd.Timestamp(day, tz=TZ)]
    with pytest.raises(ForecastDataError, match="has none"):
        model.predict_day(data=SeriesData(load=load, temperature=no_weather), day=day)

    restored = QuantileForecaster.from_bytes(model.to_bytes())
    pd.testing.assert_frame_equal(
        forecast, restored.predict_day(data=SeriesData(load=load, temperature=temperature), day=day)
    )
    description = json.loads(json.dumps(restored.describe()))
    assert description["trained_until"] == "2026-03-30" and description["resolution_minutes"] == 60
    assert "temp_mean" in description["features"] and description["uses_temperature"] is True
    assert description["params"]["max_iter"] == 40 and description["sklearn_version"]
    with pytest.raises(ValueError, match="artefact"):
        QuantileForecaster.from_bytes(__import__("pickle").dumps({"format": "something else"}))


def test_works_without_temperature_and_refuses_too_little_history():
    load, _ = hourly_series(start=dt.date(2026, 3, 2), days=30, with_temperature=False)
    model = QuantileForecaster.fit(data=SeriesData(load=load), until=dt.date(2026, 3, 30), params=FAST)
    assert model.uses_temperature is False and not any(name.startswith("temp") for name in model.feature_names)
    assert model.predict_day(data=SeriesData(load=load), day=dt.date(2026, 3, 30))["p50"].notna().all()
    with pytest.raises(ForecastDataError, match="too little history"):
        QuantileForecaster.fit(data=SeriesData(load=load), until=dt.date(2026, 3, 12), params=FAST)


# --------------------------------------------------------------------------------------------- metrics


def test_metric_functions_against_hand_arithmetic():
    actual, forecast = np.array([100.0, 200.0]), np.array([110.0, 180.0])
    assert metrics.mape(actual, forecast) == pytest.approx(10.0)  # (10 % + 10 %) / 2
    assert metrics.rmse(actual, forecast) == pytest.approx(np.sqrt((100 + 400) / 2))
    assert metrics.mae(actual, forecast) == pytest.approx(15.0)
    # q = 0.1: over-forecast by 10 costs 0.9 × 10 = 9, under-forecast by 20 costs 0.1 × 20 = 2 → 5.5
    assert metrics.pinball(actual, forecast, quantile=0.1) == pytest.approx(5.5)
    # q = 0.9: 0.1 × 10 = 1 and 0.9 × 20 = 18 → 9.5
    assert metrics.pinball(actual, forecast, quantile=0.9) == pytest.approx(9.5)
    assert metrics.coverage([1, 2, 3, 4], [0, 2.5, 2, 5], [2, 3, 3, 6]) == pytest.approx(0.5)
    # Missing pairs and zero actuals are left out of MAPE.
    assert metrics.mape([0.0, np.nan, 50.0], [5.0, 1.0, 40.0]) == pytest.approx(20.0)
    naive = metrics.seasonal_naive(np.arange(20.0), slots_per_day=2, days=7)
    assert np.isnan(naive[:14]).all() and naive[14:].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_backtest_on_a_weekly_periodic_series_naive_is_exact_and_the_model_close():
    # July–August 2026: no holiday, so the calendar is weekly too.
    load, _ = hourly_series(start=dt.date(2026, 6, 29), days=42, weekly_only=True)
    result = backtest(
        data=SeriesData(load=load), test_from=dt.date(2026, 8, 3), params={"max_iter": 150, "min_samples_leaf": 10}
    )
    m = result.metrics
    assert m["days"] == 7 and m["points"] == 7 * 24
    assert m["seasonal_naive_mape"] == 0.0
    assert m["mape"] < 1.0
    assert set(m) >= {"mape", "rmse", "pinball_p10", "pinball_p90", "coverage_p10_p90", "days", "seasonal_naive_mape"}
    assert list(result.per_day.index) == [dt.date(2026, 8, 3) + dt.timedelta(days=i) for i in range(7)]


def test_backtest_beats_seasonal_naive_when_temperature_drives_load_and_matches_predict_day():
    load, temperature = hourly_series(start=dt.date(2026, 1, 5), days=84, seed=3)
    data = SeriesData(load=load, temperature=temperature)
    result = backtest(data=data, test_from=dt.date(2026, 3, 16), retrain_every_days=7, params=FAST)
    assert result.metrics["days"] == 14 and result.metrics["retrainings"] == 2
    assert result.metrics["mape"] < 0.5 * result.metrics["seasonal_naive_mape"]
    # Metrics are the metric functions over the forecasts table.
    f = result.forecasts
    assert result.metrics["rmse"] == pytest.approx(metrics.rmse(f["actual"], f["p50"]), abs=1e-6)
    # A backtest day is what fit(until=block start) + predict_day would have said at the time.
    day = dt.date(2026, 3, 18)
    model = QuantileForecaster.fit(data=data, until=dt.date(2026, 3, 16), params=FAST)
    alone = model.predict_day(data=data, day=day)
    np.testing.assert_allclose(alone["p50"].to_numpy(), f.loc[alone.index, "p50"].to_numpy(), rtol=1e-9)


def test_backtest_in_two_processes_gives_the_same_forecasts():
    """The blocks are independent: training them in parallel processes changes the wall time, not the answer."""
    load, temperature = hourly_series(start=dt.date(2026, 1, 5), days=70, seed=5)
    data = SeriesData(load=load, temperature=temperature)
    serial = backtest(data=data, test_from=dt.date(2026, 2, 23), retrain_every_days=7, params=FAST)
    parallel = backtest(data=data, test_from=dt.date(2026, 2, 23), retrain_every_days=7, params=FAST, workers=2)
    assert serial.metrics["retrainings"] == parallel.metrics["retrainings"] == 3  # 21 test days, weekly
    pd.testing.assert_frame_equal(serial.forecasts, parallel.forecasts)


def noisy_hourly_series(*, start: dt.date, days: int, seed: int, noise: float):
    """hourly_series with multiplicative noise, so that the P10–P90 band has something to cover."""
    load, temperature = hourly_series(start=start, days=days, seed=seed)
    rng = np.random.default_rng(seed + 100)
    return load * (1 + rng.normal(0, noise, len(load))), temperature


def test_calibrated_p10_p90_band_covers_about_80_percent_out_of_sample():
    """Quantile trees judged on their own training days come out too narrow; the shift learnt on the four
    held-out weeks brings the out-of-sample coverage to the nominal 80 %."""
    load, temperature = noisy_hourly_series(start=dt.date(2026, 1, 5), days=126, seed=11, noise=0.06)
    data = SeriesData(load=load, temperature=temperature)
    runs = {
        days: backtest(data=data, test_from=dt.date(2026, 4, 13), params={**FAST, "calibration_days": days})
        for days in (0, 28)
    }
    uncalibrated, calibrated = (runs[days].metrics["coverage_p10_p90"] for days in (0, 28))
    assert runs[28].metrics["days"] == 28  # 13 Apr … 10 May: 672 hourly points
    assert abs(calibrated - 0.8) < 0.06
    assert abs(calibrated - 0.8) < abs(uncalibrated - 0.8)
    # The shift moves only the bounds: P50 is the same model either way, except on the few slots where an
    # uncalibrated bound had crossed it and the per-slot sort swapped them.
    same = np.isclose(runs[0].forecasts["p50"], runs[28].forecasts["p50"])
    assert same.mean() > 0.95


def test_calibration_needs_three_weeks_left_for_the_tail_models():
    load, temperature = noisy_hourly_series(start=dt.date(2026, 1, 5), days=60, seed=2, noise=0.05)
    data = SeriesData(load=load, temperature=temperature)
    # 60 days, training from the 8th: 53 days ≥ 28 held out + 21 → calibrated.
    long = QuantileForecaster.fit(data=data, until=dt.date(2026, 3, 6), params=FAST)
    # 40 days before 14 Feb, training from the 8th: 33 days < 28 + 21 → no held-out days, no shift.
    short = QuantileForecaster.fit(data=data, until=dt.date(2026, 2, 14), params=FAST)
    assert long.describe()["p10_p90_calibration_shift"] != [0.0, 0.0]
    assert short.describe()["p10_p90_calibration_shift"] == [0.0, 0.0]


def test_long_fine_series_are_thinned_to_every_other_slot_covering_every_slot():
    # 67 days of hourly load before 7 Aug, trained from the 8th day: 60 days × 24 = 1,440 rows; at most
    # 800 → every 2nd slot, the offset moving one slot a day: 720 rows, each hour of the day on 30 days.
    load, temperature = hourly_series(start=dt.date(2026, 6, 1), days=68, seed=4)
    data = SeriesData(load=load, temperature=temperature)
    thinned = QuantileForecaster.fit(data=data, until=dt.date(2026, 8, 7), params={**FAST, "max_train_rows": 800})
    full = QuantileForecaster.fit(data=data, until=dt.date(2026, 8, 7), params=FAST)
    assert full.train_rows == 1440 and thinned.train_rows == 720
    from analytics.forecasting.model import _thinned

    mask = _thinned(1440, 24, 800).reshape(60, 24)
    assert (mask.sum(axis=0) == 30).all()  # every hour of the day kept on half of the days
    assert (mask.sum(axis=1) == 12).all()  # every day keeps half its hours
    # Still a forecast: the thinned model's P50 is within a few per cent of the full one's.
    day = dt.date(2026, 8, 7)
    ratio = thinned.predict_day(data=data, day=day)["p50"] / full.predict_day(data=data, day=day)["p50"]
    assert ratio.between(0.9, 1.1).all()


def test_leaves_shrink_while_training_data_is_scarce():
    from analytics.forecasting.model import DEFAULT_PARAMS, scarce_data_leaf

    # P50 members: configured 100, reached at 20 × 100 = 2,000 rows (about six weeks of half-hours).
    assert scarce_data_leaf(configured=100, rows=672, floor=20, share=20) == 33  # two weeks: 672 // 20
    assert scarce_data_leaf(configured=100, rows=300, floor=20, share=20) == 20  # never below the floor
    assert scarce_data_leaf(configured=100, rows=2_000, floor=20, share=20) == 100
    assert scarce_data_leaf(configured=100, rows=17_520, floor=20, share=20) == 100  # a year: as configured

    # A model trained on two weeks of hourly load (14 × 24 = 336 rows, too few to hold out calibration
    # days) gets leaves of max(20, 336 // 20 = 16) = 20 for P50 and max(40, 336 // 7 = 48) = 48 for the tails.
    load, temperature = hourly_series(start=dt.date(2026, 3, 2), days=22, seed=5)
    model = QuantileForecaster.fit(
        data=SeriesData(load=load, temperature=temperature), until=dt.date(2026, 3, 23), params={"max_iter": 20}
    )
    assert model.train_rows == 336
    assert model.models["p50_median"].min_samples_leaf == 20 and model.models["p50_mean"].min_samples_leaf == 20
    assert model.models["p10"].min_samples_leaf == 48 and model.models["p90"].min_samples_leaf == 48
    assert DEFAULT_PARAMS["min_samples_leaf"] == 100  # the configured value itself is untouched
    # The registry's description says what was used, next to what was configured.
    described = model.describe()
    assert described["min_samples_leaf_used"] == {"p50_median": 20, "p10": 48}
    assert described["params"]["min_samples_leaf"] == 100
