"""Prepaid accounts (预付费): credit = minus the ledger balance; top-ups are ordinary payments."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from billing.models import LedgerEntry, PrepaidAccount
from billing.services.ledger import balance
from core.money import round_money
from customers.models import Account


def credit(*, account: Account) -> Decimal:
    """Money left on a prepaid account (negative when it already owes)."""
    return -balance(account=account)


def set_low_balance_threshold(*, account: Account, threshold: Decimal) -> PrepaidAccount:
    """The customer's own alert level for a prepaid account."""
    if threshold < 0 or threshold > Decimal("100000"):
        raise ValidationError({"threshold": "Choose an amount between 0 and 100,000 CNY."})
    prepaid = PrepaidAccount.objects.filter(account=account).first()
    if prepaid is None:
        raise ValidationError({"threshold": "This account is not prepaid."})
    prepaid.low_balance_threshold = round_money(threshold)
    prepaid.save(update_fields=["low_balance_threshold"])
    return prepaid


def prepaid_credits(*, account_ids: Iterable[int] | None = None) -> list[tuple[PrepaidAccount, Decimal]]:
    """Every prepaid account (of ``account_ids``, default all) with its credit, in one query: the same
    figure as ``credit`` (minus the ledger balance, to the fen)."""
    ledger_total = (
        LedgerEntry.objects.filter(account_id=OuterRef("account_id"))
        .order_by()
        .values("account_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    prepaid = PrepaidAccount.objects.select_related("account").annotate(
        ledger_total=Coalesce(
            Subquery(ledger_total), Value(Decimal(0)), output_field=DecimalField(max_digits=16, decimal_places=2)
        )
    )
    if account_ids is not None:
        prepaid = prepaid.filter(account_id__in=list(account_ids))
    return [(row, -round_money(row.ledger_total)) for row in prepaid.order_by("account_id")]


def low_balance_accounts() -> list[tuple[PrepaidAccount, Decimal]]:
    """Prepaid accounts whose credit is below their threshold, with the credit."""
    return [(prepaid, left) for prepaid, left in prepaid_credits() if left < prepaid.low_balance_threshold]
