"""The mainland China working-day calendar: statutory holidays and adjusted working days (调休).

Sources, in order: staff-maintained days (``CalendarDay``, in the admin console), then the maintained
``chinesecalendar`` package, then — for years that neither knows (the State Council publishes each
year's schedule in November or December) — weekends plus the fixed-date statutory holidays
(1 January, 1 May, 1–3 October). ``year_coverage`` says which source a year rests on, so pages and
the admin can warn when a year has no published schedule yet. SLA due dates, bill due dates,
estimation day types and demand-response baselines all use this one module.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import threading
import time
from collections.abc import Iterator, Mapping

import chinese_calendar

FIXED_HOLIDAYS = {(1, 1): "元旦", (5, 1): "劳动节", (10, 1): "国庆节", (10, 2): "国庆节", (10, 3): "国庆节"}
# Staff edits reach other processes within this many seconds (this process's cache is cleared at once).
OVERRIDES_TTL_SECONDS = 60


class DayKind(enum.Enum):
    WORKING = "working"  # an ordinary weekday
    ADJUSTED_WORKING = "adjusted_working"  # a weekend day worked in lieu (调休上班)
    NON_WORKING = "non_working"  # a weekend day
    HOLIDAY = "holiday"  # a statutory holiday (incl. the weekdays given off in lieu)

    @property
    def is_working(self) -> bool:
        return self in (DayKind.WORKING, DayKind.ADJUSTED_WORKING)


class Coverage(enum.Enum):
    STAFF = "staff"  # staff have entered the year's schedule (at least one day)
    PACKAGE = "package"  # the chinesecalendar package knows the year
    NONE = "none"  # neither: only weekends and the fixed-date holidays are known


_lock = threading.Lock()
_overrides: dict[dt.date, bool] | None = None
_loaded_at = 0.0
_pinned: Mapping[dt.date, bool] | None = None


def _staff_days() -> Mapping[dt.date, bool]:
    global _overrides, _loaded_at
    if _pinned is not None:
        return _pinned
    with _lock:
        if _overrides is None or time.monotonic() - _loaded_at > OVERRIDES_TTL_SECONDS:
            from core.models import CalendarDay

            _overrides = dict(CalendarDay.objects.values_list("day", "is_working"))
            _loaded_at = time.monotonic()
        return _overrides


@contextlib.contextmanager
def pinned_staff_days(days: Mapping[dt.date, bool]) -> Iterator[None]:
    """Use ``days`` as the staff-maintained days without the database (pure computations' tests,
    backtests over someone else's data)."""
    global _pinned
    previous, _pinned = _pinned, days
    try:
        yield
    finally:
        _pinned = previous


def forget_staff_days() -> None:
    """Called when staff change a day (core.signals) and by tests."""
    global _overrides
    with _lock:
        _overrides = None


def _package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def day_kind(day: dt.date) -> DayKind:
    weekend = day.weekday() >= 5
    staff = _staff_days().get(day)
    if staff is not None:
        working = staff
    else:
        try:
            working = chinese_calendar.is_workday(day)
        except NotImplementedError:
            working = not weekend and (day.month, day.day) not in FIXED_HOLIDAYS
    if working:
        return DayKind.ADJUSTED_WORKING if weekend else DayKind.WORKING
    return DayKind.NON_WORKING if weekend and not _is_holiday(day) else DayKind.HOLIDAY


def _is_holiday(day: dt.date) -> bool:
    staff = _staff_days().get(day)
    if staff is not None:
        return not staff
    try:
        return chinese_calendar.get_holiday_detail(day)[1] is not None
    except NotImplementedError:
        return (day.month, day.day) in FIXED_HOLIDAYS


def is_working_day(day: dt.date) -> bool:
    """True on ordinary weekdays and on adjusted working weekends; False on weekends and holidays."""
    return day_kind(day).is_working


def add_working_days(start: dt.date, count: int) -> dt.date:
    """The ``count``-th working day after ``start`` (``start`` itself not counted); 0 gives ``start``."""
    day = start
    remaining = count
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def next_working_day(day: dt.date) -> dt.date:
    """``day`` if it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days in (start, end]: how many ``add_working_days`` steps lead from start to end."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def year_coverage(year: int) -> Coverage:
    if any(day.year == year for day in _staff_days()):
        return Coverage.STAFF
    if _package_knows(year):
        return Coverage.PACKAGE
    return Coverage.NONE


def years_without_schedule(*, today: dt.date) -> list[int]:
    """The years whose holiday schedule is missing and matters now: this year, and from 1 November the
    next (the State Council publishes it in November or December). Working-day arithmetic in them
    counts only weekends and the fixed-date holidays, so due dates there are provisional."""
    years = [today.year]
    if today.month >= 11:
        years.append(today.year + 1)
    return [year for year in years if year_coverage(year) is Coverage.NONE]


def is_provisional(day: dt.date | None) -> bool:
    """Whether a working-day result falling on ``day`` rests on no published schedule."""
    return day is not None and year_coverage(day.year) is Coverage.NONE
