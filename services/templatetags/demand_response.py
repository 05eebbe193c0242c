"""Template filters of the demand-response pages."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def plain(value) -> str:
    """A Decimal without trailing zeros ("2.500" → "2.5", "30.000" → "30"); empty for None."""
    if value is None:
        return ""
    number = Decimal(value)
    text = f"{number.normalize():f}"
    return text
