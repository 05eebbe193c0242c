"""Template helpers for service requests shown on other apps' pages (the dashboard's panel): the
customers app may not import services, so the panel fetches its own rows."""

from __future__ import annotations

from django import template

from customers.access import is_portal_customer
from services.selectors.requests import open_request_rows

register = template.Library()


@register.simple_tag(takes_context=True)
def my_open_service_requests(context, limit: int = 5) -> list:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not is_portal_customer(user):
        return []
    return open_request_rows(user=user, limit=limit)
