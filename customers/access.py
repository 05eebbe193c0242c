"""The one place that decides which accounts and customers a user may reach.

Customers reach the accounts bound to them; staff and integrators reach what their role's model
permissions allow. Every page, API view and admin queryset goes through these functions, and a
miss is reported as "not found" so nobody can probe which account numbers exist.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from customers.models import Account, Customer


def is_portal_customer(user) -> bool:
    return user.is_authenticated and not user.is_staff and getattr(user, "kind", "") == "customer"


def accounts_visible_to(*, user) -> QuerySet[Account]:
    if not user.is_authenticated or not user.is_active:
        return Account.objects.none()
    if is_portal_customer(user):
        return Account.objects.filter(bindings__user=user)
    if user.has_perm("customers.view_account"):
        return Account.objects.all()
    return Account.objects.none()


def customers_visible_to(*, user) -> QuerySet[Customer]:
    if not user.is_authenticated or not user.is_active:
        return Customer.objects.none()
    if is_portal_customer(user):
        # A portal user sees the holders of the accounts they are the owner of, never of "member" bindings.
        return Customer.objects.filter(accounts__bindings__user=user, accounts__bindings__role="owner").distinct()
    if user.has_perm("customers.view_customer"):
        return Customer.objects.all()
    return Customer.objects.none()


def current_account(*, user, selected_number: str | None) -> Account | None:
    """The account the business hall's switcher has selected (its number kept in the session), if the
    user may still reach it; otherwise their first bound account; None when they have none."""
    accounts = accounts_visible_to(user=user).select_related("area").order_by("number")
    selected = accounts.filter(number=selected_number).first() if selected_number else None
    return selected or accounts.first()


def access_account(*, user, account_number: str) -> Account:
    """Fetch an account by number if ``user`` may reach it; otherwise 404 (never 403: no probing)."""
    account = accounts_visible_to(user=user).select_related("customer", "area").filter(number=account_number).first()
    if account is None:
        raise Http404("No such account")
    return account
