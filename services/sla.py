"""The SLA rule: time limits in working days on the mainland calendar (core.calendar: statutory
holidays, adjusted working days and the staff's overrides).

A limit of N working days for a step that starts on day S ends at the close of the N-th working day
after S: the day the step starts is not counted (it is usually part-used), which is how the power
supply service rules count "within N working days". A step started on a holiday counts from the next
working day all the same. ``due_at`` is the local midnight that closes the due day.

Pure functions (no database, no clock) beside the catalogue, so the workflow (actions/), the pages'
reads (selectors/), the API and the admin all count the same way.
"""

from __future__ import annotations

import datetime as dt

from core import calendar
from core.time import local_date, local_midnight


def nth_working_day_after(*, day: dt.date, days: int) -> dt.date:
    """The ``days``-th working day strictly after ``day`` (``days`` ≥ 1)."""
    if days < 1:
        raise ValueError("a time limit is at least one working day")
    return calendar.add_working_days(day, days)


def end_of_day(day: dt.date) -> dt.datetime:
    """The local midnight that closes ``day`` (an exclusive bound: due strictly before it)."""
    return local_midnight(day + dt.timedelta(days=1))


def due_at(*, started_at: dt.datetime, working_days: int) -> dt.datetime:
    return end_of_day(nth_working_day_after(day=local_date(started_at), days=working_days))


def working_days_between(*, start: dt.datetime, end: dt.datetime) -> int:
    """Working days after the day of ``start`` up to and including the day of ``end`` (0 on the same day):
    counted as a time limit counts them, the first, part-used day left out."""
    return calendar.working_days_between(local_date(start), local_date(end))


def paused_due_at(*, due: dt.datetime, paused_from: dt.datetime, paused_to: dt.datetime) -> dt.datetime:
    """``due`` moved on by the working days the request waited on the applicant (returned for more
    information): time the customer holds a request does not count against the utility's limit."""
    waited = working_days_between(start=paused_from, end=paused_to)
    if waited == 0:
        return due
    return end_of_day(nth_working_day_after(day=due_day(due), days=waited))


def due_day(due: dt.datetime) -> dt.date:
    """The calendar day a ``due_at`` closes (for display: "due by 13 October")."""
    return local_date(due - dt.timedelta(microseconds=1))


def due_soon(*, due: dt.datetime, as_of: dt.datetime) -> bool:
    """True when the due day is today or the next working day: the last day to act, with a day's warning."""
    if as_of >= due:
        return False
    return due_day(due) <= nth_working_day_after(day=local_date(as_of), days=1)
