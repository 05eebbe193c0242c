"""Payments as the business hall shows them: an account's history and one payment by order number."""

from __future__ import annotations

from django.db.models import F, Prefetch, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404

from billing.models import Payment, PaymentAllocation
from customers.access import accounts_visible_to
from customers.models import Account


def _with_bills_paid(payments: QuerySet[Payment]) -> QuerySet[Payment]:
    return payments.prefetch_related(
        Prefetch(
            "allocations", queryset=PaymentAllocation.objects.select_related("bill").order_by("bill__period_start")
        )
    )


def by_settlement_time(payments: QuerySet[Payment]) -> QuerySet[Payment]:
    """Newest first by when the money settled (``settled_at``); a payment still waiting for its gateway
    counts from when it was started. The record's ``created_at`` is bookkeeping, not the payment's time."""
    return payments.annotate(happened_at=Coalesce("settled_at", "created_at")).order_by(F("happened_at").desc(), "-id")


def payments_visible_to(*, user) -> QuerySet[Payment]:
    """The API's payments: those of every account ``user`` reaches, with the bills each one paid."""
    return by_settlement_time(
        _with_bills_paid(Payment.objects.filter(account__in=accounts_visible_to(user=user)).select_related("account"))
    )


def payments_for_account(*, account: Account) -> QuerySet[Payment]:
    """Newest settlement first, with the bills each payment went to."""
    return by_settlement_time(_with_bills_paid(Payment.objects.filter(account=account)))


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
