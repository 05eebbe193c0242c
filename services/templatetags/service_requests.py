"""Template helpers for service requests: the dashboard's panel (shown on other apps' pages — the
customers app may not import services, so the panel fetches its own rows) and provisional due dates."""

from __future__ import annotations

import datetime as dt

from django import template

from core.calendar import is_provisional
from core.time import local_date
from customers.access import is_portal_customer
from services.selectors.requests import open_request_rows

register = template.Library()


@register.filter
def provisional(due: dt.date | dt.datetime | None) -> bool:
    """A due date in a year with no holiday schedule yet (core.calendar): shown as provisional."""
    if isinstance(due, dt.datetime):
        due = local_date(due)
    return is_provisional(due)


@register.simple_tag(takes_context=True)
def my_open_service_requests(context, limit: int = 5) -> list:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not is_portal_customer(user):
        return []
    return open_request_rows(user=user, limit=limit)
