"""Time-of-use period of a moment, from a TOU calendar's windows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from core.time import SHANGHAI

MIDNIGHT = dt.time(0)


@dataclass(frozen=True)
class Window:
    months: frozenset[int]  # empty: every month
    start: dt.time
    end: dt.time  # exclusive; 00:00 = end of day
    period: str

    def contains(self, moment: dt.time) -> bool:
        if self.end == MIDNIGHT:
            return moment >= self.start
        return self.start <= moment < self.end


@dataclass(frozen=True)
class CalendarSpec:
    code: str
    default_period: str
    windows: tuple[Window, ...]

    def period_at(self, moment: dt.datetime) -> str:
        """The period of the interval starting at ``moment`` (Asia/Shanghai local time decides)."""
        local = moment.astimezone(SHANGHAI)
        specific = [w for w in self.windows if w.months and local.month in w.months]
        general = [w for w in self.windows if not w.months]
        for window in (*specific, *general):
            if window.contains(local.time()):
                return window.period
        return self.default_period


def calendar_spec(calendar) -> CalendarSpec:
    """From a billing.models.TouCalendar (with its windows)."""
    return CalendarSpec(
        code=calendar.code,
        default_period=calendar.default_period,
        windows=tuple(
            Window(months=w.month_set, start=w.start, end=w.end, period=w.period) for w in calendar.windows.all()
        ),
    )


def kwh_by_period(*, calendar: CalendarSpec, readings: Iterable[tuple[dt.datetime, Decimal]]) -> dict[str, Decimal]:
    """Sum interval kWh per TOU period of each interval's start."""
    totals: dict[str, Decimal] = {}
    for start, kwh in readings:
        period = calendar.period_at(start)
        totals[period] = totals.get(period, Decimal(0)) + kwh
    return totals
