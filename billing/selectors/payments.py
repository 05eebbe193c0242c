"""Payments as the business hall shows them: an account's history and one payment by order number."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from billing.models import Payment, PaymentAllocation
from customers.access import accounts_visible_to
from customers.models import Account


def payments_visible_to(*, user) -> QuerySet[Payment]:
    """The API's payments: those of every account ``user`` reaches."""
    return Payment.objects.filter(account__in=accounts_visible_to(user=user)).select_related("account")


def payments_for_account(*, account: Account) -> QuerySet[Payment]:
    """Newest first, with the bills each payment went to."""
    return (
        Payment.objects.filter(account=account)
        .prefetch_related(Prefetch("allocations", queryset=PaymentAllocation.objects.select_related("bill")))
        .order_by("-created_at", "-id")
    )


def access_payment(*, user, order_no: str) -> Payment:
    """A payment of an account ``user`` may reach, by our order number; otherwise 404."""
    payment = (
        Payment.objects.filter(order_no=order_no, account__in=accounts_visible_to(user=user))
        .select_related("account")
        .prefetch_related(Prefetch("allocations", queryset=PaymentAllocation.objects.select_related("bill")))
        .first()
    )
    if payment is None:
        raise Http404("No such payment")
    return payment
