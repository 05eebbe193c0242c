"""Accounts (户号) and the business-hall user's bindings to them."""

from __future__ import annotations

from django.db.models import QuerySet

from customers.access import accounts_visible_to
from customers.models import Account, PortalBinding


def account_list(*, user) -> QuerySet[Account]:
    return accounts_visible_to(user=user).select_related("customer", "area")


def bindings_of(*, user) -> QuerySet[PortalBinding]:
    """The user's bindings, restricted to accounts the access layer lets them reach."""
    return (
        PortalBinding.objects.filter(user=user, account__in=accounts_visible_to(user=user))
        .select_related("account", "account__area")
        .order_by("account__number")
    )
