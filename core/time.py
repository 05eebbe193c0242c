"""The one local time zone and conversions to it.

Every business date (billing periods, working days, meter-days, event days) is a date in
Asia/Shanghai (settings.TIME_ZONE). Mainland China has kept UTC+8 without daylight saving since 1991,
so a fixed offset is exact for our data and much cheaper than ZoneInfo in hot loops.
"""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext

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


# --- dates and times that come from outside (query strings, JSON, forms, files) ------------------------

# Years an input date or time may have: a year either side of the stored range stays inside Python's
# datetime (years 1–9999), so next-day, next-month and window arithmetic on any accepted value cannot
# overflow. No business date of this system lies outside.
MIN_INPUT_YEAR = 1900
MAX_INPUT_YEAR = 9998
# UTC offsets of real time zones run from −12:00 to +14:00; PostgreSQL refuses anything past ±15:59
# ("time zone displacement out of range"), Python accepts up to ±23:59.
MIN_UTC_OFFSET = dt.timedelta(hours=-12)
MAX_UTC_OFFSET = dt.timedelta(hours=14)


_Date = TypeVar("_Date", dt.date, dt.datetime)


class InputDateError(ValueError):
    """An outside date or time this system refuses; the message says why and never echoes the value."""


def check_input_date(value: _Date) -> _Date:
    """``value`` if its year is one this system accepts (a datetime: its offset too), else InputDateError."""
    if not MIN_INPUT_YEAR <= value.year <= MAX_INPUT_YEAR:
        raise InputDateError(
            gettext("The year must be between %(min)d and %(max)d.") % {"min": MIN_INPUT_YEAR, "max": MAX_INPUT_YEAR}
        )
    if isinstance(value, dt.datetime):
        offset = value.utcoffset()
        if offset is not None and not MIN_UTC_OFFSET <= offset <= MAX_UTC_OFFSET:
            raise InputDateError(gettext("The UTC offset must be between -12:00 and +14:00."))
    return value


def parse_input_date(text: str) -> dt.date:
    """An ISO 8601 date (YYYY-MM-DD) from outside, range-checked; InputDateError otherwise."""
    try:
        value = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputDateError(gettext("Enter a date as YYYY-MM-DD.")) from None
    return check_input_date(value)


def parse_input_datetime(text: str) -> dt.datetime:
    """An ISO 8601 date-time from outside, aware and range-checked: a time without an offset is
    Asia/Shanghai wall time, like everything local in this system. InputDateError otherwise."""
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputDateError(gettext("Enter an ISO 8601 date-time, e.g. 2026-11-01T08:00:00+08:00.")) from None
    return check_input_date(value if value.tzinfo is not None else value.replace(tzinfo=SHANGHAI))


def validate_input_date(value: dt.date) -> None:
    """Django/DRF validator form of ``check_input_date`` for form fields, serializer fields and filters."""
    try:
        check_input_date(value)
    except InputDateError as exc:
        raise ValidationError(str(exc), code="out_of_range") from None
