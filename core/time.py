"""The one local time zone and conversions to it.

Every business date (billing periods, working days, meter-days, event days) is a date in
Asia/Shanghai (settings.TIME_ZONE). Mainland China has kept UTC+8 without daylight saving since 1991,
so a fixed offset is exact for our data and much cheaper than ZoneInfo in hot loops.
"""

from __future__ import annotations

import datetime as dt

SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
SHANGHAI_NAME = "Asia/Shanghai"  # for pandas' tz_localize / tz_convert, which want a zone name


def local_date(moment: dt.datetime) -> dt.date:
    """The Asia/Shanghai calendar date of an aware moment."""
    return moment.astimezone(SHANGHAI).date()


def local_midnight(day: dt.date) -> dt.datetime:
    """00:00 of ``day`` in Asia/Shanghai, as an aware datetime."""
    return dt.datetime.combine(day, dt.time(), tzinfo=SHANGHAI)


def local_datetime(day: dt.date, at: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, at, tzinfo=SHANGHAI)


def day_span(first: dt.date, last_exclusive: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[first 00:00, last_exclusive 00:00) in local time: the aware bounds of a run of whole days."""
    return local_midnight(first), local_midnight(last_exclusive)
