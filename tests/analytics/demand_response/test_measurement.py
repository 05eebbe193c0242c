"""measure_performance by hand: clipping vs netting, Decimal rounding, the 0.5000 threshold, flags."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from analytics.demand_response import Direction, Quality
from analytics.demand_response.measurement import measure_performance

from .helpers import at, d

DAY = d("2026-07-15")


def series(values, *, minutes=60, start_hour=14):
    index = pd.date_range(at(DAY, start_hour), periods=len(values), freq=f"{minutes}min")
    return pd.Series(values, index=index, dtype=float)


def test_per_interval_clipping_against_netting():
    # Baseline 10 kW for 4 h; actual 6, 8, 12, 10 → shave response 4, 2, −2, 0.
    # Clipped: 4 + 2 + 0 + 0 = 6 kWh, 6 / 4 h = 1.5 kW, 1.5 / 3 kW committed = 0.5.
    # Netted: 4 + 2 − 2 + 0 = 4 kWh, 1.0 kW, ratio 0.3333.
    baseline, actual = series([10, 10, 10, 10]), series([6, 8, 12, 10])
    clipped = measure_performance(
        baseline=baseline, actual=actual, direction=Direction.SHAVE, committed_kw=3, interval_minutes=60
    )
    assert clipped.response_kw.tolist() == [4, 2, -2, 0]
    assert clipped.paid_kw.tolist() == [4, 2, 0, 0]
    assert clipped.verified_kwh == Decimal("6.000")
    assert clipped.verified_avg_kw == Decimal("1.500")
    assert clipped.ratio_to_committed == Decimal("0.5000")
    assert clipped.window_hours == Decimal("4.0")
    netted = measure_performance(
        baseline=baseline, actual=actual, direction=Direction.SHAVE, committed_kw=3, interval_minutes=60, netting=True
    )
    assert netted.verified_kwh == Decimal("4.000")
    assert netted.verified_avg_kw == Decimal("1.000")
    assert netted.ratio_to_committed == Decimal("0.3333")


def test_netting_clips_a_negative_total_to_zero():
    # Response −1, −1, +1 → net −1 kWh → 0; clipped would be 1 kWh.
    baseline, actual = series([5, 5, 5]), series([6, 6, 4])
    netted = measure_performance(
        baseline=baseline, actual=actual, direction=Direction.SHAVE, committed_kw=1, interval_minutes=60, netting=True
    )
    assert netted.verified_kwh == Decimal("0.000")
    assert netted.ratio_to_committed == Decimal("0.0000")


def test_ratio_exactly_one_half_at_fifteen_minutes():
    # 16 quarter-hours (4 h), baseline 10, actual 5 → 5 kW each → 5 × 16 × 0.25 = 20.000 kWh,
    # 20 / 4 = 5.000 kW, 5 / 10 committed = 0.5000 exactly (the usual 50 % payment threshold).
    baseline, actual = series([10.0] * 16, minutes=15), series([5.0] * 16, minutes=15)
    result = measure_performance(
        baseline=baseline, actual=actual, direction=Direction.SHAVE, committed_kw=Decimal("10"), interval_minutes=15
    )
    assert result.verified_kwh == Decimal("20.000")
    assert result.verified_avg_kw == Decimal("5.000")
    assert result.ratio_to_committed == Decimal("0.5000")
    assert result.data_complete and result.flags == ()


def test_valley_filling_counts_load_above_baseline():
    # Fill: actual − baseline = 3, 1, −1 → clipped 4 kWh over 3 h = 1.333 kW.
    result = measure_performance(
        baseline=series([20, 20, 20]),
        actual=series([23, 21, 19]),
        direction=Direction.FILL,
        committed_kw=2,
        interval_minutes=60,
    )
    assert result.response_kw.tolist() == [3, 1, -1]
    assert result.verified_kwh == Decimal("4.000")
    assert result.verified_avg_kw == Decimal("1.333")
    assert result.ratio_to_committed == Decimal("0.6667")


def test_half_up_rounding_at_the_thousandth():
    # One hour of 1.2345 kW response → 1.2345 kWh → ROUND_HALF_UP → 1.235 (banker's rounding gives 1.234).
    result = measure_performance(
        baseline=series([11.2345]),
        actual=series([10.0]),
        direction=Direction.SHAVE,
        committed_kw=1,
        interval_minutes=60,
    )
    assert result.verified_kwh == Decimal("1.235")


def test_missing_and_estimated_intervals_are_flagged_and_missing_ones_pay_nothing():
    # Actual missing at 15:00, estimated at 16:00. Response 4 + (none) + 4 + 4 = 12 kWh over the full
    # 4 h → 3.000 kW: the missing hour lowers the average.
    baseline = series([10, 10, 10, 10])
    actual = series([6, 6, 6, 6]).drop(at(DAY, 15))
    quality = pd.Series([int(Quality.ACTUAL), int(Quality.ESTIMATED), int(Quality.ACTUAL)], index=actual.index)
    result = measure_performance(
        baseline=baseline,
        actual=actual,
        quality=quality,
        direction=Direction.SHAVE,
        committed_kw=4,
        interval_minutes=60,
    )
    assert [(f.timestamp, f.code) for f in result.flags] == [
        (at(DAY, 15), "actual_missing"),
        (at(DAY, 16), "actual_estimated"),
    ]
    assert not result.data_complete
    assert result.verified_kwh == Decimal("12.000")
    assert result.verified_avg_kw == Decimal("3.000")
    assert result.ratio_to_committed == Decimal("0.7500")


def test_nothing_committed_gives_no_ratio():
    result = measure_performance(
        baseline=series([1.0]), actual=series([0.5]), direction=Direction.SHAVE, committed_kw=0, interval_minutes=60
    )
    assert result.ratio_to_committed is None


def test_interval_minutes_is_checked():
    with pytest.raises(ValueError):
        measure_performance(
            baseline=series([1.0]), actual=series([1.0]), direction=Direction.SHAVE, committed_kw=1, interval_minutes=20
        )
