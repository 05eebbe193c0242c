"""RFC 3339 date-times and ISO 8601 durations of the spec, parsed or refused with a 400 reason."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from core.time import InputDateError, check_input_date
from services.actions.openadr.errors import bad_request

DURATION = re.compile(
    r"^(-?)P(?=\d|T\d)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)([DW]))?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)


def parse_datetime(value: Any, name: str = "start") -> dt.datetime:
    if not isinstance(value, str):
        raise bad_request(f"{name} must be an RFC 3339 date-time.")
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f"{name} must be an RFC 3339 date-time.") from None
    if moment.tzinfo is None:
        raise bad_request(f"{name} must carry a UTC offset (RFC 3339).")
    try:
        return check_input_date(moment)  # a year and an offset PostgreSQL and our arithmetic can hold
    except InputDateError as exc:
        raise bad_request(f"{name}: {exc}") from None


def parse_duration(value: Any, name: str = "duration") -> dt.timedelta:
    """Days, weeks, hours, minutes and seconds (years and months are refused: their length depends on
    the calendar)."""
    match = DURATION.match(value) if isinstance(value, str) else None
    if not match:
        raise bad_request(f"{name} must be an ISO 8601 duration such as PT1H.")
    sign, years, months, count, unit, hours, minutes, seconds = match.groups()
    if years or months:
        raise bad_request(f"{name}: durations in years or months are not supported; use days (P30D).")
    days = int(count or 0) * (7 if unit == "W" else 1)
    delta = dt.timedelta(days=days, hours=int(hours or 0), minutes=int(minutes or 0), seconds=float(seconds or 0))
    return -delta if sign else delta


def format_duration(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"PT{minutes}M"
