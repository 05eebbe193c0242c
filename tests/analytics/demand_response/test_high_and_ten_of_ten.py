"""HIGH_5_OF_10 and TEN_OF_TEN_ADJUSTED by hand, on the real 2026 calendar.

Event Tue 20 Oct 14:00–18:00. Its ten most recent eligible working days are 19, 16, 15, 14, 13, 12, 9,
8 Oct, 30 and 29 Sep (10 Oct is 调休, 1–7 Oct National Day, 17/18 and 11 Oct weekends).
"""

from __future__ import annotations

import dataclasses

import pytest

from analytics.demand_response import (
    DEFAULT_SETTINGS,
    AdjustmentAnchor,
    AdjustmentKind,
    BaselineMethod,
    SkipReason,
    compute_baseline,
    high_5_of_10_baseline,
    ten_of_ten_adjusted_baseline,
)

from .helpers import at, d, daily_load, event_on, mainland_day_kind

TEN = [
    "2026-10-19",
    "2026-10-16",
    "2026-10-15",
    "2026-10-14",
    "2026-10-13",
    "2026-10-12",
    "2026-10-09",
    "2026-10-08",
    "2026-09-30",
    "2026-09-29",
]


def test_high_5_of_10_takes_the_five_highest_and_breaks_ties_by_recency():
    # Window averages: 29 Sep 90, 30 Sep 80, 13 Oct 70, 15 Oct 60, then a three-way tie at 40 for the
    # fifth place (19, 9, 8 Oct) — the most recent, 19 Oct, wins. Others lower.
    # Baseline = (90 + 80 + 70 + 60 + 40) / 5 = 340 / 5 = 68 kW.
    levels = dict(zip(TEN, [40, 10, 60, 20, 70, 30, 40, 40, 80, 90], strict=True))
    load = daily_load(
        last=d("2026-10-20"), level=lambda day: 5.0, overrides={d(k): float(v) for k, v in levels.items()}
    )
    result = high_5_of_10_baseline(load=load, event=event_on(d("2026-10-20")), day_kind=mainland_day_kind)
    assert result.method is BaselineMethod.HIGH_5_OF_10
    assert result.days_used == (d("2026-09-29"), d("2026-09-30"), d("2026-10-13"), d("2026-10-15"), d("2026-10-19"))
    assert result.values.tolist() == pytest.approx([68.0] * 4)
    skipped = {s.day: s for s in result.days_skipped}
    assert skipped[d("2026-10-09")].code is SkipReason.NOT_IN_TOP
    assert "ranks 6 of 10" in skipped[d("2026-10-09")].text
    assert "ranks 7 of 10" in skipped[d("2026-10-08")].text
    # Days beyond the ten were never examined.
    assert d("2026-09-28") not in skipped


def test_high_2_of_3_on_a_non_working_day():
    # Event Sat 17 Oct: the three non-working days are 11 Oct (30), 7 Oct (10), 6 Oct (20) → top two 30, 20 → 25.
    overrides = {d("2026-10-11"): 30.0, d("2026-10-07"): 10.0, d("2026-10-06"): 20.0}
    load = daily_load(last=d("2026-10-17"), level=lambda day: 5.0, overrides=overrides)
    result = high_5_of_10_baseline(load=load, event=event_on(d("2026-10-17")), day_kind=mainland_day_kind)
    assert result.days_used == (d("2026-10-06"), d("2026-10-11"))
    assert result.values.iloc[0] == pytest.approx(25.0)


def flat_with_event_day(event_day_hours: dict[int, float]):
    """Every day flat at 100 kW; the event day (20 Oct) takes the given per-hour values."""
    load = daily_load(last=d("2026-10-20"), level=lambda day: 100.0)
    for hour, value in event_day_hours.items():
        load[at(d("2026-10-20"), hour)] = value
    return load


def ten(load, *, notice=None, **changes):
    settings = dataclasses.replace(DEFAULT_SETTINGS, **changes)
    return ten_of_ten_adjusted_baseline(
        load=load,
        event=event_on(d("2026-10-20"), notice=notice or at(d("2026-10-20"), 11)),
        day_kind=mainland_day_kind,
        settings=settings,
    )


def test_ten_of_ten_mean_and_ratio_capped_up_at_plus_20_percent():
    # Notice 11:00, event 14:00: window ends 1 h before the earlier (11:00) → [08:00, 10:00).
    # Event-day load there 135 vs baseline 100 → raw 1.35, capped 1.20 → 100 × 1.20 = 120 kW.
    result = ten(flat_with_event_day({8: 135.0, 9: 135.0}))
    assert result.days_used == tuple(sorted(d(x) for x in TEN))
    assert result.unadjusted.tolist() == pytest.approx([100.0] * 4)
    adj = result.adjustment
    assert (adj.window_start, adj.window_end) == (at(d("2026-10-20"), 8), at(d("2026-10-20"), 10))
    assert adj.raw == pytest.approx(1.35) and adj.applied == pytest.approx(1.20) and adj.capped
    assert result.values.tolist() == pytest.approx([120.0] * 4)


def test_ratio_capped_down_at_minus_20_percent():
    # 70 / 100 = 0.70 → capped at 0.80 → 80 kW.
    result = ten(flat_with_event_day({8: 70.0, 9: 70.0}))
    assert result.adjustment.raw == pytest.approx(0.70)
    assert result.adjustment.applied == pytest.approx(0.80)
    assert result.values.tolist() == pytest.approx([80.0] * 4)


def test_ratio_inside_the_cap_is_applied_as_is():
    # (110 + 120) / 2 = 115 → 1.15, not capped → 115 kW.
    result = ten(flat_with_event_day({8: 110.0, 9: 120.0}))
    assert result.adjustment.applied == pytest.approx(1.15) and not result.adjustment.capped
    assert result.values.iloc[0] == pytest.approx(115.0)


def test_load_moved_after_notice_does_not_move_the_adjustment_but_load_before_does():
    # Notice 11:00 → window [08:00, 10:00). Raising 10:00–13:00 (after the window, around notice) to 160
    # leaves the factor 1.0; raising 09:00 to 120 gives (100 + 120) / 2 / 100 = 1.10.
    after = ten(flat_with_event_day({10: 160.0, 11: 160.0, 12: 160.0, 13: 160.0}))
    assert after.adjustment.applied == pytest.approx(1.0)
    assert after.values.iloc[0] == pytest.approx(100.0)
    before = ten(flat_with_event_day({9: 120.0}))
    assert before.adjustment.applied == pytest.approx(1.10)
    assert before.values.iloc[0] == pytest.approx(110.0)


def test_before_start_anchor_ignores_the_notice():
    # Anchor at start 14:00 → window [11:00, 13:00): the 11–13 load of 160 now counts → 1.6 → capped 1.2.
    result = ten(flat_with_event_day({11: 160.0, 12: 160.0}), adjustment_anchor=AdjustmentAnchor.BEFORE_START)
    assert (result.adjustment.window_start, result.adjustment.window_end) == (
        at(d("2026-10-20"), 11),
        at(d("2026-10-20"), 13),
    )
    assert result.values.iloc[0] == pytest.approx(120.0)


def test_day_ahead_notice_puts_the_window_on_the_day_before():
    # Notice Mon 19 Oct 16:00 → window [19 Oct 13:00, 15:00). All days 100 kW except 19 Oct at 110.
    # Unadjusted: (110 + 9 × 100) / 10 = 101. Adjustment: actual 110 on 19 Oct 13–15 against the
    # baseline's same hours, i.e. each baseline day's previous day 13–15 (18, 15, 14, 13, 12, 11, 8, 7 Oct,
    # 29, 28 Sep — all 100) → 1.10 → 101 × 1.10 = 111.1 kW.
    load = daily_load(last=d("2026-10-20"), level=lambda day: 100.0, overrides={d("2026-10-19"): 110.0})
    result = ten(load, notice=at(d("2026-10-19"), 16))
    assert result.unadjusted.iloc[0] == pytest.approx(101.0)
    assert (result.adjustment.window_start, result.adjustment.window_end) == (
        at(d("2026-10-19"), 13),
        at(d("2026-10-19"), 15),
    )
    assert result.adjustment.baseline_mean_kw == pytest.approx(100.0)
    assert result.adjustment.applied == pytest.approx(1.10)
    assert result.values.iloc[0] == pytest.approx(111.1)


def test_additive_adjustment_is_capped_at_20_percent_of_the_window_baseline():
    # 135 − 100 = +35 kW, cap 0.2 × 100 = 20 → +20 → 120 kW; −30 stays −30 (inside the cap) → 70 kW.
    up = ten(flat_with_event_day({8: 135.0, 9: 135.0}), adjustment_kind=AdjustmentKind.DIFFERENCE)
    assert up.adjustment.raw == pytest.approx(35.0) and up.adjustment.applied == pytest.approx(20.0)
    assert up.values.iloc[0] == pytest.approx(120.0)
    down = ten(flat_with_event_day({8: 85.0, 9: 85.0}), adjustment_kind=AdjustmentKind.DIFFERENCE)
    assert down.adjustment.applied == pytest.approx(-15.0) and not down.adjustment.capped
    assert down.values.iloc[0] == pytest.approx(85.0)


def test_missing_event_day_load_in_the_window_leaves_the_baseline_unadjusted():
    load = flat_with_event_day({8: 135.0}).drop(at(d("2026-10-20"), 9))
    result = ten(load)
    assert result.adjustment.applied == 1.0 and result.adjustment.raw is None
    assert "missing" in result.adjustment.note
    assert result.values.iloc[0] == pytest.approx(100.0)


def test_ten_of_ten_on_a_weekend_uses_four_days():
    # Sat 17 Oct: 11 Oct, 7, 6, 5 Oct (10 Oct 调休 skipped) at 40, 30, 20, 10 → 25 kW before adjustment.
    overrides = {d("2026-10-11"): 40.0, d("2026-10-07"): 30.0, d("2026-10-06"): 20.0, d("2026-10-05"): 10.0}
    load = daily_load(last=d("2026-10-17"), level=lambda day: 5.0, overrides=overrides)
    result = ten_of_ten_adjusted_baseline(load=load, event=event_on(d("2026-10-17")), day_kind=mainland_day_kind)
    assert result.days_used == (d("2026-10-05"), d("2026-10-06"), d("2026-10-07"), d("2026-10-11"))
    assert result.unadjusted.iloc[0] == pytest.approx(25.0)


def test_high_5_of_10_can_take_the_nyiso_style_adjustment():
    load = flat_with_event_day({8: 110.0, 9: 110.0})
    settings = dataclasses.replace(DEFAULT_SETTINGS, adjust_high_5_of_10=True)
    result = compute_baseline(
        method=BaselineMethod.HIGH_5_OF_10,
        load=load,
        event=event_on(d("2026-10-20"), notice=at(d("2026-10-20"), 11)),
        day_kind=mainland_day_kind,
        settings=settings,
    )
    assert result.adjustment is not None and result.adjustment.applied == pytest.approx(1.10)
    assert result.values.iloc[0] == pytest.approx(110.0)
