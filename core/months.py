"""Calendar-month arithmetic on dates (billing periods, statements, dashboards)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after ``day``'s month (negative: before)."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def next_month(day: dt.date) -> dt.date:
    return add_months(day, 1)


def month_span(month: dt.date) -> tuple[dt.date, dt.date]:
    """[first day, first day of the next month) of ``month``'s month."""
    start = month_start(month)
    return start, next_month(start)


def iter_months(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    """First days of the months from ``first``'s to ``last``'s, both included."""
    month = month_start(first)
    while month <= last:
        yield month
        month = next_month(month)
