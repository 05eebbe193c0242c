"""The CRM contact log."""

from __future__ import annotations

from django.db.models import QuerySet

from customers.access import customers_visible_to, staff_may_view
from customers.models import Interaction


def interactions_visible_to(*, user) -> QuerySet[Interaction]:
    """CRM notes are internal: portal customers never see them; staff see those of customers they may see."""
    if not staff_may_view(user=user, permission="customers.view_interaction"):
        return Interaction.objects.none()
    return Interaction.objects.filter(customer__in=customers_visible_to(user=user)).select_related(
        "customer", "account", "staff"
    )
