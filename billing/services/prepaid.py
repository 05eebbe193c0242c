"""Prepaid accounts (预付费): credit = minus the ledger balance; top-ups are ordinary payments."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError

from billing.models import PrepaidAccount
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


def low_balance_accounts() -> list[tuple[PrepaidAccount, Decimal]]:
    """Prepaid accounts whose credit is below their threshold, with the credit."""
    result = []
    for prepaid in PrepaidAccount.objects.select_related("account"):
        left = credit(account=prepaid.account)
        if left < prepaid.low_balance_threshold:
            result.append((prepaid, left))
    return result
