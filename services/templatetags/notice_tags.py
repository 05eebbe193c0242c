"""The dashboard's outage-notice panel, so the customers app's dashboard view need not know about
services (imports point the other way): the template asks for it with {% outage_notices_panel %}."""

from __future__ import annotations

from django import template

from core import clock
from customers.access import bound_accounts_for_request, is_portal_customer
from services.selectors.notices import current_notices_with_accounts

register = template.Library()
PANEL_SIZE = 3


@register.inclusion_tag("services/notices/_panel.html", takes_context=True)
def outage_notices_panel(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not is_portal_customer(user):
        return {"show": False}
    items = current_notices_with_accounts(user=user, as_of=clock.now(), accounts=bound_accounts_for_request(request))
    return {
        "show": True,
        "items": items[:PANEL_SIZE],
        "more": max(len(items) - PANEL_SIZE, 0),
        "current_account": context.get("current_account"),
    }
