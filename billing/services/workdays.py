"""The mainland China working-day calendar (statutory holidays and adjusted working days, 调休),
from the maintained ``chinesecalendar`` package."""

from __future__ import annotations

import datetime as dt

import chinese_calendar


def is_working_day(day: dt.date) -> bool:
    """True on ordinary weekdays and on adjusted working weekends; False on weekends and holidays."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        # Years the package does not cover yet: fall back to Monday–Friday.
        return day.weekday() < 5
