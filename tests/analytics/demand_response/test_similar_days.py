"""SIMILAR_WORKING_DAYS on the real 2026 mainland calendar, by hand.

Load: day d is flat at 100 + (days since 1 Sep) kW, so a day's window average is its level:
28 Sep 127, 29 Sep 128, 30 Sep 129, 8 Oct 137, 9 Oct 138, 12 Oct 141 …
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from analytics.demand_response import (
    DEFAULT_SETTINGS,
    BaselineMethod,
    NonWorkingPool,
    Quality,
    SkipReason,
    similar_working_days_baseline,
)

from .helpers import at, d, daily_load, event_on, mainland_day_kind

NO_DROP = dataclasses.replace(DEFAULT_SETTINGS, drop_abnormal_days=False)


def reasons(result) -> dict:
    return {skip.day: skip.code for skip in result.days_skipped}


def test_holidays_and_adjusted_saturday_are_skipped_around_national_day():
    # Event Mon 12 Oct. Going back: 11 Oct Sun (weekend), 10 Oct Sat (调休, not working by default),
    # 9 Oct ✓, 8 Oct ✓, 7…1 Oct National Day (holidays), 30 Sep ✓, 29 Sep ✓, 28 Sep ✓ → five days.
    # Baseline = (138 + 137 + 129 + 128 + 127) / 5 = 659 / 5 = 131.8 kW.
    result = similar_working_days_baseline(
        load=daily_load(last=d("2026-10-12")),
        event=event_on(d("2026-10-12")),
        day_kind=mainland_day_kind,
        settings=NO_DROP,
    )
    assert result.method is BaselineMethod.SIMILAR_WORKING_DAYS
    assert result.days_used == (d("2026-09-28"), d("2026-09-29"), d("2026-09-30"), d("2026-10-08"), d("2026-10-09"))
    assert result.values.tolist() == pytest.approx([131.8] * 4)
    assert list(result.values.index) == [at(d("2026-10-12"), h) for h in (14, 15, 16, 17)]
    skipped = reasons(result)
    assert skipped[d("2026-10-11")] is SkipReason.NON_WORKING
    assert skipped[d("2026-10-10")] is SkipReason.ADJUSTED_WORKING
    assert all(skipped[d(f"2026-10-0{n}")] is SkipReason.NON_WORKING for n in range(1, 8))
    assert "statutory holiday" in next(s.text for s in result.days_skipped if s.day == d("2026-10-05"))
    assert "weekend" in next(s.text for s in result.days_skipped if s.day == d("2026-10-04"))
    assert not result.insufficient and result.fallback_reason is None


def test_adjusted_working_day_counts_when_the_program_says_so():
    # With 调休 counted as working, Sat 10 Oct (level 139) joins: 10, 9, 8 Oct, 30, 29 Sep
    # = (139 + 138 + 137 + 129 + 128) / 5 = 671 / 5 = 134.2 kW.
    settings = dataclasses.replace(NO_DROP, adjusted_working_counts_as_working=True)
    result = similar_working_days_baseline(
        load=daily_load(last=d("2026-10-12")),
        event=event_on(d("2026-10-12")),
        day_kind=mainland_day_kind,
        settings=settings,
    )
    assert d("2026-10-10") in result.days_used
    assert result.values.iloc[0] == pytest.approx(134.2)


def test_prior_event_and_missing_data_days_are_replaced_by_earlier_days():
    # 29 Sep is a prior event; 8 Oct lacks its 15:00 reading. Going back past 28 Sep: 27 Sep Sun and
    # 26 Sep Sat (weekend), 25 Sep Fri (Mid-autumn holiday), 24 Sep ✓ (123), 23 Sep ✓ (122).
    # Days: 9 Oct 138, 30 Sep 129, 28 Sep 127, 24 Sep 123, 23 Sep 122 → 639 / 5 = 127.8 kW.
    load = daily_load(last=d("2026-10-12")).drop(at(d("2026-10-08"), 15))
    result = similar_working_days_baseline(
        load=load,
        event=event_on(d("2026-10-12")),
        day_kind=mainland_day_kind,
        excluded_days={d("2026-09-29"): "event 12 (same direction)"},
        settings=NO_DROP,
    )
    assert result.days_used == (d("2026-09-23"), d("2026-09-24"), d("2026-09-28"), d("2026-09-30"), d("2026-10-09"))
    assert result.values.iloc[0] == pytest.approx(127.8)
    skipped = {s.day: s for s in result.days_skipped}
    assert skipped[d("2026-09-29")].code is SkipReason.PRIOR_EVENT
    assert skipped[d("2026-09-29")].text == "excluded: event 12 (same direction)"
    assert skipped[d("2026-10-08")].code is SkipReason.MISSING_DATA
    assert skipped[d("2026-10-08")].text == "1 of 4 event-window intervals missing"
    assert skipped[d("2026-09-25")].code is SkipReason.NON_WORKING


def test_estimated_window_and_a_mostly_estimated_day_disqualify_but_edited_does_not():
    # Quality: 9 Oct 16:00 estimated (in the window) → out; 8 Oct estimated 00:00–02:00 = 3 of 24 h
    # = 12.5 % > 10 % → out; 30 Sep edited all day → kept (edited data is good data).
    # Days then: 30, 29, 28 Sep (129, 128, 127), 24, 23 Sep (123, 122) → 629 / 5 = 125.8 kW.
    load = daily_load(last=d("2026-10-12"))
    quality = pd.Series(int(Quality.ACTUAL), index=load.index)
    quality[at(d("2026-10-09"), 16)] = int(Quality.ESTIMATED)
    for hour in (0, 1, 2):
        quality[at(d("2026-10-08"), hour)] = int(Quality.ESTIMATED)
    quality[(quality.index >= at(d("2026-09-30"), 0)) & (quality.index < at(d("2026-10-01"), 0))] = int(Quality.EDITED)
    result = similar_working_days_baseline(
        load=load, quality=quality, event=event_on(d("2026-10-12")), day_kind=mainland_day_kind, settings=NO_DROP
    )
    skipped = {s.day: s for s in result.days_skipped}
    assert skipped[d("2026-10-09")].code is SkipReason.ESTIMATED_DATA
    assert skipped[d("2026-10-08")].code is SkipReason.ESTIMATED_DATA
    assert "12.5% of the day" in skipped[d("2026-10-08")].text
    assert d("2026-09-30") in result.days_used
    assert result.values.iloc[0] == pytest.approx(125.8)


def test_zero_load_window_is_a_data_problem():
    # 9 Oct reads 0 kW all day (meter bypassed?) → skipped; 28 Sep … 8 Oct fill in:
    # 8 Oct 137, 30 Sep 129, 29 Sep 128, 28 Sep 127, 24 Sep 123 → 644 / 5 = 128.8 kW.
    load = daily_load(last=d("2026-10-12"), overrides={d("2026-10-09"): 0.0})
    result = similar_working_days_baseline(
        load=load, event=event_on(d("2026-10-12")), day_kind=mainland_day_kind, settings=NO_DROP
    )
    assert {s.day: s.code for s in result.days_skipped}[d("2026-10-09")] is SkipReason.ZERO_LOAD
    assert result.values.iloc[0] == pytest.approx(128.8)


def test_abnormal_day_is_dropped_in_one_pass_and_replacements_face_the_same_reference():
    # Flat 100 kW except 16 Oct at 150 and 12 Oct at 60. Event Tue 20 Oct.
    # First five: 19, 16, 15, 14, 13 Oct → window averages 100, 150, 100, 100, 100; reference mean = 110,
    # limit ±25 % = ±27.5 kW → 16 Oct (+36 %) dropped. Replacements, held to the same 110:
    # 12 Oct at 60 (−45 %) dropped too, 9 Oct at 100 kept. Baseline = 100 kW.
    load = daily_load(
        last=d("2026-10-20"), level=lambda day: 100.0, overrides={d("2026-10-16"): 150.0, d("2026-10-12"): 60.0}
    )
    result = similar_working_days_baseline(load=load, event=event_on(d("2026-10-20")), day_kind=mainland_day_kind)
    assert result.days_used == (d("2026-10-09"), d("2026-10-13"), d("2026-10-14"), d("2026-10-15"), d("2026-10-19"))
    assert result.values.tolist() == pytest.approx([100.0] * 4)
    skipped = {s.day: s for s in result.days_skipped}
    assert skipped[d("2026-10-16")].code is SkipReason.ABNORMAL
    assert "+36%" in skipped[d("2026-10-16")].text and "110.000 kW" in skipped[d("2026-10-16")].text
    assert skipped[d("2026-10-12")].code is SkipReason.ABNORMAL
    assert "-45%" in skipped[d("2026-10-12")].text


def test_a_day_within_25_percent_is_kept():
    # 16 Oct at 125: reference (4·100 + 125) / 5 = 105, |125 − 105| = 20 ≤ 26.25 → kept; baseline 105.
    load = daily_load(last=d("2026-10-20"), level=lambda day: 100.0, overrides={d("2026-10-16"): 125.0})
    result = similar_working_days_baseline(load=load, event=event_on(d("2026-10-20")), day_kind=mainland_day_kind)
    assert d("2026-10-16") in result.days_used
    assert result.values.iloc[0] == pytest.approx(105.0)


def test_non_working_event_uses_three_non_working_days_weekends_and_holidays_alike():
    # Event Sat 17 Oct. Back: 16…12 Oct working, 11 Oct Sun ✓ (140), 10 Oct 调休 (skipped), 7 Oct ✓ (136),
    # 6 Oct ✓ (135) → (140 + 136 + 135) / 3 = 137 kW.
    result = similar_working_days_baseline(
        load=daily_load(last=d("2026-10-17")),
        event=event_on(d("2026-10-17")),
        day_kind=mainland_day_kind,
        settings=NO_DROP,
    )
    assert result.days_used == (d("2026-10-06"), d("2026-10-07"), d("2026-10-11"))
    assert result.values.iloc[0] == pytest.approx(137.0)
    assert {s.day: s.code for s in result.days_skipped}[d("2026-10-12")] is SkipReason.WORKING


def test_same_subkind_pool_keeps_weekends_for_weekends():
    # Same event with weekends only from weekends: 11 Oct (140), 4 Oct Sun (133), 3 Oct Sat (132);
    # the weekday holidays 7, 6, 5 Oct are OTHER_SUBKIND. (140 + 133 + 132) / 3 = 135 kW.
    settings = dataclasses.replace(NO_DROP, non_working_pool=NonWorkingPool.SAME_SUBKIND)
    result = similar_working_days_baseline(
        load=daily_load(last=d("2026-10-17")),
        event=event_on(d("2026-10-17")),
        day_kind=mainland_day_kind,
        settings=settings,
    )
    assert result.days_used == (d("2026-10-03"), d("2026-10-04"), d("2026-10-11"))
    assert result.values.iloc[0] == pytest.approx(135.0)
    assert {s.day: s.code for s in result.days_skipped}[d("2026-10-07")] is SkipReason.OTHER_SUBKIND


def test_two_non_working_days_when_configured():
    settings = dataclasses.replace(NO_DROP, similar_non_working_days=2)
    result = similar_working_days_baseline(
        load=daily_load(last=d("2026-10-17")),
        event=event_on(d("2026-10-17")),
        day_kind=mainland_day_kind,
        settings=settings,
    )
    # 11 Oct (140) and 7 Oct (136) → 138 kW.
    assert result.days_used == (d("2026-10-07"), d("2026-10-11"))
    assert result.values.iloc[0] == pytest.approx(138.0)


def test_fewer_days_down_to_the_minimum_then_insufficient():
    # Look-back 10 days before Tue 20 Oct: 19, 16, 15, 14, 13, 12 Oct are working (10 Oct is 调休).
    # Excluding 19, 16, 15 leaves 14, 13, 12 = 3 days = the minimum → used, with a note.
    load = daily_load(last=d("2026-10-20"))
    short = dataclasses.replace(NO_DROP, lookback_days=10)
    three = similar_working_days_baseline(
        load=load,
        event=event_on(d("2026-10-20")),
        day_kind=mainland_day_kind,
        excluded_days={d("2026-10-19"): "e1", d("2026-10-16"): "e2", d("2026-10-15"): "e3"},
        settings=short,
    )
    assert three.days_used == (d("2026-10-12"), d("2026-10-13"), d("2026-10-14"))
    assert not three.insufficient
    assert any("3 of 5 days found" in note for note in three.notes)
    assert three.days_skipped[-1].code is SkipReason.BEYOND_LOOKBACK
    assert three.days_skipped[-1].day == d("2026-10-09")
    # One more exclusion → 2 < 3: insufficient, baseline still the mean of what there is ((142+141)/2).
    two = similar_working_days_baseline(
        load=load,
        event=event_on(d("2026-10-20")),
        day_kind=mainland_day_kind,
        excluded_days={d("2026-10-19"): "e1", d("2026-10-16"): "e2", d("2026-10-15"): "e3", d("2026-10-14"): "e4"},
        settings=short,
    )
    assert two.insufficient
    assert two.values.iloc[0] == pytest.approx(141.5)


def test_event_on_an_adjusted_working_day_uses_working_days_and_says_so():
    # Sat 10 Oct is 调休. Back: 9, 8 Oct, 30, 29, 28 Sep → (138+137+129+128+127)/5 = 131.8 kW.
    result = similar_working_days_baseline(
        load=daily_load(last=d("2026-10-10")),
        event=event_on(d("2026-10-10")),
        day_kind=mainland_day_kind,
        settings=NO_DROP,
    )
    assert result.values.iloc[0] == pytest.approx(131.8)
    assert any("调休" in note for note in result.notes)


def test_fifteen_minute_data_and_a_partial_hour_window():
    # 15-min data, event 14:15–15:45 (6 intervals): the same five days as the first test → 131.8 kW.
    load = daily_load(last=d("2026-10-12"), minutes=15)
    event = event_on(d("2026-10-12"))
    event = dataclasses.replace(event, start=at(d("2026-10-12"), 14, 15), end=at(d("2026-10-12"), 15, 45))
    result = similar_working_days_baseline(load=load, event=event, day_kind=mainland_day_kind, settings=NO_DROP)
    assert len(result.values) == 6
    assert result.values.index[0] == at(d("2026-10-12"), 14, 15)
    assert result.values.tolist() == pytest.approx([131.8] * 6)
