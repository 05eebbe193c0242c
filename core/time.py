"""The one local time zone and conversions to it.

Every business date (billing periods, working days, meter-days, event days) is a date in
Asia/Shanghai (settings.TIME_ZONE). Mainland China has kept UTC+8 without daylight saving since 1991,
so a fixed offset is exact for our data and much cheaper than ZoneInfo in hot loops.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

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


def local_time_named(moment: dt.datetime) -> str:
    """``moment`` in the viewer's (Django's current) time zone, with the zone named and its offset,
    e.g. "2026-12-07 23:50:01 Asia/Shanghai (UTC+08:00)": stored times are UTC, shown times are local."""
    zone = timezone.get_current_timezone()
    local = moment.astimezone(zone)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M:%S} {getattr(zone, 'key', None) or local.tzname()} (UTC{offset[:3]}:{offset[3:]})"
