"""Reads shared by the API, business-hall pages and admin.

Every queryset starts from ``customers.access`` (or, for models it does not cover yet, from the same
rule: portal customers reach nothing here, staff and integrators what their model permissions allow).
"""

from __future__ import annotations

from django.db.models import QuerySet

from customers.access import accounts_visible_to, customers_visible_to, is_portal_customer
from customers.models import Account, Customer, Feeder, Interaction, TransformerArea


def customer_list(*, user) -> QuerySet[Customer]:
    return customers_visible_to(user=user).prefetch_related("tags")


def account_list(*, user) -> QuerySet[Account]:
    return accounts_visible_to(user=user).select_related("customer", "area")


def _staff_may_view(*, user, permission: str) -> bool:
    return user.is_authenticated and user.is_active and not is_portal_customer(user) and user.has_perm(permission)


def interactions_visible_to(*, user) -> QuerySet[Interaction]:
    """CRM notes are internal: portal customers never see them; staff see those of customers they may see."""
    if not _staff_may_view(user=user, permission="customers.view_interaction"):
        return Interaction.objects.none()
    return Interaction.objects.filter(customer__in=customers_visible_to(user=user)).select_related(
        "customer", "account", "staff"
    )


def transformer_areas_visible_to(*, user) -> QuerySet[TransformerArea]:
    if not _staff_may_view(user=user, permission="customers.view_transformerarea"):
        return TransformerArea.objects.none()
    return TransformerArea.objects.select_related("feeder")


def feeders_visible_to(*, user) -> QuerySet[Feeder]:
    if not _staff_may_view(user=user, permission="customers.view_feeder"):
        return Feeder.objects.none()
    return Feeder.objects.all()
