"""Builders for the hand-computed demand-response tests: synthetic loads with one obvious level a day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

import chinese_calendar
import numpy as np
import pandas as pd

from analytics.demand_response import SHANGHAI, DayKind, EventWindow

START = dt.date(2026, 8, 1)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), SHANGHAI)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def mainland_day_kind(day: dt.date) -> DayKind:
    """The real mainland calendar (chinesecalendar): 2026 has Mid-autumn 25–27 Sep, National Day 1–7 Oct,
    and Sun 20 Sep and Sat 10 Oct as adjusted working days (调休)."""
    if chinese_calendar.is_workday(day):
        return DayKind.ADJUSTED_WORKING if day.weekday() >= 5 else DayKind.WORKING
    return DayKind.NON_WORKING


def weekday_day_kind(day: dt.date) -> DayKind:
    return DayKind.NON_WORKING if day.weekday() >= 5 else DayKind.WORKING


def level_by_day(day: dt.date) -> float:
    """Day d carries 100 + (days since 1 Sep 2026) kW all day: 28 Sep → 127, 9 Oct → 138."""
    return 100.0 + (day - d("2026-09-01")).days


def daily_load(
    *,
    last: dt.date,
    level: Callable[[dt.date], float] = level_by_day,
    first: dt.date = START,
    minutes: int = 60,
    overrides: Mapping[dt.date, float] | None = None,
) -> pd.Series:
    """Constant load per day (kW) from ``first`` to the end of ``last``, at ``minutes`` resolution."""
    index = pd.date_range(at(first, 0), at(last + dt.timedelta(days=1), 0), freq=f"{minutes}min", inclusive="left")
    days = [stamp.date() for stamp in index]
    levels = {day: (overrides or {}).get(day, level(day)) for day in set(days)}
    return pd.Series([levels[day] for day in days], index=index, dtype=np.float64)


def event_on(day: dt.date, *, start: int = 14, end: int = 18, notice: dt.datetime | None = None) -> EventWindow:
    return EventWindow(start=at(day, start), end=at(day, end), notice_at=notice or at(day, 9))
