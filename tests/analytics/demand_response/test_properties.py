"""Properties (Hypothesis) and input validation."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.demand_response import (
    BaselineMethod,
    Direction,
    EventWindow,
    compute_baseline,
)
from analytics.demand_response.measurement import measure_performance

from .helpers import at, d, daily_load, event_on, mainland_day_kind


@settings(max_examples=25, deadline=None)
@given(
    level=st.floats(min_value=0.5, max_value=5000, allow_nan=False),
    method=st.sampled_from(
        [BaselineMethod.SIMILAR_WORKING_DAYS, BaselineMethod.HIGH_5_OF_10, BaselineMethod.TEN_OF_TEN_ADJUSTED]
    ),
    start=st.integers(min_value=9, max_value=20),
    minutes=st.sampled_from([15, 30, 60]),
)
def test_baseline_of_a_constant_load_is_that_constant(level, method, start, minutes):
    load = daily_load(last=d("2026-10-20"), level=lambda day: level, minutes=minutes)
    result = compute_baseline(
        method=method,
        load=load,
        event=event_on(d("2026-10-20"), start=start, end=start + 2),
        day_kind=mainland_day_kind,
    )
    assert not result.insufficient
    assert result.values.to_numpy() == pytest.approx(np.full(len(result.values), level))


@settings(max_examples=50, deadline=None)
@given(values=st.lists(st.floats(min_value=0, max_value=1e4, allow_nan=False), min_size=1, max_size=16))
def test_no_response_when_actual_equals_baseline(values):
    index = pd.date_range(at(d("2026-07-01"), 12), periods=len(values), freq="15min")
    load = pd.Series(values, index=index)
    for direction in Direction:
        result = measure_performance(
            baseline=load, actual=load, direction=direction, committed_kw=1, interval_minutes=15
        )
        assert result.verified_kwh == 0


@settings(max_examples=50, deadline=None)
@given(
    pairs=st.lists(
        st.tuples(
            st.floats(min_value=0, max_value=1e3, allow_nan=False),
            st.floats(min_value=0, max_value=1e3, allow_nan=False),
        ),
        min_size=1,
        max_size=16,
    )
)
def test_netting_never_pays_more_than_clipping(pairs):
    index = pd.date_range(at(d("2026-07-01"), 12), periods=len(pairs), freq="30min")
    baseline = pd.Series([p[0] for p in pairs], index=index)
    actual = pd.Series([p[1] for p in pairs], index=index)
    kwargs = dict(baseline=baseline, actual=actual, direction=Direction.SHAVE, committed_kw=1, interval_minutes=30)
    assert measure_performance(**kwargs, netting=True).verified_kwh <= measure_performance(**kwargs).verified_kwh


def test_naive_times_are_refused():
    load = daily_load(last=d("2026-10-20"))
    naive = EventWindow(
        start=dt.datetime(2026, 10, 20, 14), end=dt.datetime(2026, 10, 20, 18), notice_at=dt.datetime(2026, 10, 20, 9)
    )
    with pytest.raises(ValueError, match="naive"):
        compute_baseline(method=BaselineMethod.SIMILAR_WORKING_DAYS, load=load, event=naive, day_kind=mainland_day_kind)


def test_event_off_the_interval_grid_is_refused():
    load = daily_load(last=d("2026-10-20"))
    event = dataclasses.replace(event_on(d("2026-10-20")), start=at(d("2026-10-20"), 14, 30))
    with pytest.raises(ValueError, match="boundary"):
        compute_baseline(method=BaselineMethod.SIMILAR_WORKING_DAYS, load=load, event=event, day_kind=mainland_day_kind)


def test_event_across_midnight_is_refused():
    load = daily_load(last=d("2026-10-21"))
    event = EventWindow(start=at(d("2026-10-20"), 22), end=at(d("2026-10-21"), 2), notice_at=at(d("2026-10-20"), 9))
    with pytest.raises(ValueError, match="one local day"):
        compute_baseline(method=BaselineMethod.SIMILAR_WORKING_DAYS, load=load, event=event, day_kind=mainland_day_kind)


def test_odd_interval_is_refused():
    index = pd.date_range(at(d("2026-10-01"), 0), periods=500, freq="20min")
    with pytest.raises(ValueError, match="interval of 20 min"):
        compute_baseline(
            method=BaselineMethod.SIMILAR_WORKING_DAYS,
            load=pd.Series(1.0, index=index),
            event=event_on(d("2026-10-06")),
            day_kind=mainland_day_kind,
        )


def test_timestamps_in_another_zone_mean_the_same_instants():
    # The same load indexed in UTC gives the same baseline: days are decided in Shanghai time.
    load = daily_load(last=d("2026-10-12"))
    local = compute_baseline(
        method=BaselineMethod.SIMILAR_WORKING_DAYS,
        load=load,
        event=event_on(d("2026-10-12")),
        day_kind=mainland_day_kind,
    )
    utc = compute_baseline(
        method=BaselineMethod.SIMILAR_WORKING_DAYS,
        load=load.tz_convert("UTC"),
        event=event_on(d("2026-10-12")),
        day_kind=mainland_day_kind,
    )
    assert utc.days_used == local.days_used
    assert utc.values.tolist() == local.values.tolist()
