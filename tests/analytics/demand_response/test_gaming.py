"""Gaming checks: spikes above median + 3·IQR in the baseline days, and a ramp between notice and start."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from analytics.demand_response.gaming import check_gaming

from .helpers import at, d, event_on, weekday_day_kind

EVENT_DAY = d("2026-06-16")  # Tuesday
BASELINE_DAYS = [d("2026-06-09"), d("2026-06-10"), d("2026-06-11"), d("2026-06-12"), d("2026-06-15")]


def noisy_load(seed: int = 3) -> pd.Series:
    """100 kW ± uniform 2 kW every hour for 16 weeks: IQR of 8 same-hour values ≈ 2 kW, threshold ≈ 106."""
    first = EVENT_DAY - dt.timedelta(days=112)
    index = pd.date_range(at(first, 0), at(EVENT_DAY + dt.timedelta(days=1), 0), freq="1h", inclusive="left")
    rng = np.random.default_rng(seed)
    return pd.Series(100 + rng.uniform(-2, 2, len(index)), index=index)


def check(load, **kwargs):
    return check_gaming(
        load=load,
        event=event_on(EVENT_DAY, notice=at(EVENT_DAY, 9)),
        baseline_days=BASELINE_DAYS,
        day_kind=weekday_day_kind,
        **kwargs,
    )


def test_ordinary_load_raises_nothing():
    result = check(noisy_load())
    assert not result.flagged and result.reasons == ()
    assert result.evidence.spikes == ()
    # Pre-event: mean of 09:00–13:00 on the event day against the 10 previous working days ≈ 1.0.
    assert 0.95 < result.evidence.pre_event_ratio < 1.05
    assert len(result.evidence.pre_event_reference_days) == 10


def test_two_consecutive_spikes_on_a_baseline_day_raise_the_flag():
    # 15:00 and 16:00 on 10 Jun at 150 kW: far above ≈ 100 + 3 × 2; a run of 2 hours (≥ 45 min) → flagged.
    load = noisy_load()
    load[at(d("2026-06-10"), 15)] = 150.0
    load[at(d("2026-06-10"), 16)] = 150.0
    result = check(load)
    assert result.flagged
    assert [s.timestamp for s in result.evidence.spikes] == [at(d("2026-06-10"), 15), at(d("2026-06-10"), 16)]
    spike = result.evidence.spikes[0]
    assert spike.load_kw == 150.0
    assert spike.threshold_kw == spike.median_kw + max(3 * spike.iqr_kw, 0.10 * spike.median_kw)
    assert "2026-06-10" in result.reasons[0]


def test_a_single_spike_is_not_enough():
    load = noisy_load()
    load[at(d("2026-06-10"), 15)] = 150.0
    result = check(load)
    assert not result.flagged


def test_spikes_outside_the_baseline_hours_do_not_count():
    # 03:00–04:00 is not in the 14:00–18:00 window of the baseline days.
    load = noisy_load()
    load[at(d("2026-06-10"), 3)] = 150.0
    load[at(d("2026-06-10"), 4)] = 150.0
    assert not check(load).flagged


def test_event_days_are_left_out_of_the_reference():
    # 10 Jun spikes to 150 at 15–16 h, and so did four of its eight reference weeks (3 Jun, 27, 20,
    # 13 May), which were event days. Counted, they would make the reference 4 × ~100 + 4 × 150:
    # median ~125, IQR ~50, threshold ~275 → no flag. Left out as event days, four clean weeks remain
    # (the minimum) and the spikes show.
    load = noisy_load()
    spiked = [d("2026-06-03"), d("2026-05-27"), d("2026-05-20"), d("2026-05-13")]
    for day in [*spiked, d("2026-06-10")]:
        load[at(day, 15)] = 150.0
        load[at(day, 16)] = 150.0
    assert not check(load).flagged
    assert check(load, excluded_days={day: "event" for day in spiked}).flagged


def test_ramp_between_notice_and_start_raises_the_flag_at_125_percent():
    # Event day 09:00–13:00 at 130 kW against ≈ 100 → ratio ≈ 1.30 ≥ 1.25 → flagged.
    load = noisy_load()
    for hour in range(9, 14):
        load[at(EVENT_DAY, hour)] = 130.0
    result = check(load)
    assert result.flagged
    assert result.evidence.pre_event_start == at(EVENT_DAY, 9)
    assert 1.25 <= result.evidence.pre_event_ratio < 1.35
    assert any("from notice to start" in reason for reason in result.reasons)


def test_a_smaller_ramp_is_not_the_pre_event_rule():
    # 115 kW → ratio ≈ 1.15 < 1.25: rule (b) quiet (rule (a) may still see the intervals as spikes).
    load = noisy_load()
    for hour in range(9, 14):
        load[at(EVENT_DAY, hour)] = 115.0
    result = check(load)
    assert result.evidence.pre_event_ratio < 1.25
    assert not any("from notice to start" in reason for reason in result.reasons)


def test_day_ahead_notice_checks_the_event_day_from_midnight():
    load = noisy_load()
    result = check_gaming(
        load=load,
        event=event_on(EVENT_DAY, notice=at(EVENT_DAY - dt.timedelta(days=1), 16)),
        baseline_days=BASELINE_DAYS,
        day_kind=weekday_day_kind,
    )
    assert result.evidence.pre_event_start == at(EVENT_DAY, 0)
