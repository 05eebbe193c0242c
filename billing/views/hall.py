"""What the billing app's business-hall pages share: the customer's today and unit rates as customers
read them. Pages call ``hall.hall_today()`` through the module, so tests can pin the day in one place."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from core import clock


def hall_today() -> dt.date:
    """The customer's calendar day (Asia/Shanghai): decides "overdue" and the tier year."""
    return clock.today()


def rate_text(rate: Decimal) -> str:
    """A unit rate as customers read it: the stored five decimals without trailing zeros, at least two
    ("0.53800" → "0.538", "30.00000" → "30.00")."""
    whole, _sep, decimals = f"{rate:f}".partition(".")
    decimals = decimals.rstrip("0").ljust(2, "0")
    return f"{whole}.{decimals}"


def priced_lines(lines) -> list[dict]:
    return [{"line": line, "rate": rate_text(line.rate)} for line in lines]
