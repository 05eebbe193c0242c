"""The dashboard's money panel, so the customers app's dashboard view need not know about billing
(imports point the other way): the template asks for it with {% amount_due_panel %}."""

from __future__ import annotations

from django import template

from billing.services.dashboard import amount_due, month_to_date_cost
from billing.views import hall

register = template.Library()


@register.inclusion_tag("billing/_dashboard_panel.html", takes_context=True)
def amount_due_panel(context) -> dict:
    """The current account's amount due, its due date and overdue state, and this month's cost so far."""
    account = context.get("current_account")
    if account is None:
        return {"show": False}
    today = hall.hall_today()
    return {
        "show": True,
        "account": account,
        "due": amount_due(account=account, today=today),
        "month": month_to_date_cost(account=account, today=today),
    }
