"""The one place that decides which accounts and customers a user may reach.

Customers reach the accounts bound to them; staff and integrators reach what their role's model
permissions allow. Every page, API view and admin queryset goes through these functions, and a
miss is reported as "not found" so nobody can probe which account numbers exist.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from customers.models import Account, Customer

# The business hall's account switcher keeps the selected account number in the session.
CURRENT_ACCOUNT_SESSION_KEY = "current_account"


def is_portal_customer(user) -> bool:
    return user.is_authenticated and not user.is_staff and getattr(user, "kind", "") == "customer"


def staff_may_view(*, user, permission: str) -> bool:
    """Staff and integrators holding ``permission``; never a portal customer, whatever they hold."""
    return user.is_authenticated and user.is_active and not is_portal_customer(user) and user.has_perm(permission)


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


def bound_accounts_for_request(request: HttpRequest) -> list[Account]:
    """A portal customer's bound accounts (with their area), by number: one query per request, shared
    by the account switcher, the current account and the views. Empty for anyone else."""
    cached: list[Account] | None = getattr(request, "_bound_accounts", None)
    if cached is None:
        user = request.user
        cached = (
            list(accounts_visible_to(user=user).select_related("area").order_by("number"))
            if is_portal_customer(user)
            else []
        )
        request._bound_accounts = cached  # type: ignore[attr-defined]  # a per-request memo
    return cached


def current_account_for_request(request: HttpRequest) -> Account | None:
    """The account the business hall acts on for this request (switcher selection, else the first
    bound one); looked up once per request, whoever asks (context processor, view, template tag)."""
    if not hasattr(request, "_current_account"):
        selected_number = request.session.get(CURRENT_ACCOUNT_SESSION_KEY)
        if is_portal_customer(request.user):
            # Picked from the bound accounts already loaded for the switcher: no query of its own.
            accounts = bound_accounts_for_request(request)
            selected = next((a for a in accounts if a.number == selected_number), None) if selected_number else None
            request._current_account = selected or (accounts[0] if accounts else None)  # type: ignore[attr-defined]
        else:
            request._current_account = current_account(  # type: ignore[attr-defined]
                user=request.user, selected_number=selected_number
            )
    return request._current_account  # type: ignore[attr-defined]


def customer_required(view: Callable) -> Callable:
    """Signed-in portal customers only; staff and integrators are pointed to their own tools."""

    @wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_portal_customer(request.user):
            return render(request, "customers/not_customer.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped
