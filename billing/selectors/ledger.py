"""Ledger entries and prepaid accounts (whose credit is the ledger's balance) of the accounts a user
reaches."""

from __future__ import annotations

from django.db.models import QuerySet

from billing.models import LedgerEntry, PrepaidAccount
from customers.access import accounts_visible_to


def ledger_entries_visible_to(*, user) -> QuerySet[LedgerEntry]:
    """Newest first."""
    return (
        LedgerEntry.objects.filter(account__in=accounts_visible_to(user=user))
        .select_related("account")
        .order_by("-occurred_on", "-id")
    )


def prepaid_accounts_visible_to(*, user) -> QuerySet[PrepaidAccount]:
    return PrepaidAccount.objects.filter(account__in=accounts_visible_to(user=user)).select_related("account")
