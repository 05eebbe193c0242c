"""Template filters of the demand-response pages."""

from __future__ import annotations

from decimal import Decimal

from django import template

from core import clock
from customers.access import current_account_for_request, is_portal_customer
from services.selectors.demand_response import open_invitations

register = template.Library()


@register.filter
def plain(value) -> str:
    """A Decimal without trailing zeros ("2.500" → "2.5", "30.000" → "30"); empty for None."""
    if value is None:
        return ""
    number = Decimal(value)
    text = f"{number.normalize():f}"
    return text


@register.simple_tag(takes_context=True)
def my_dr_invitations(context, limit: int = 3) -> list:
    """The current account's invitations still open for an answer (the dashboard panel)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not is_portal_customer(user):
        return []
    account = current_account_for_request(request)
    if account is None:
        return []
    return list(open_invitations(account=account, now=clock.now())[:limit])
