"""The account ledger, payments and their allocation to bills.

The balance is never stored: it is the sum of ledger entries (positive = owed by the customer).
Every entry has a unique ``posting_key`` naming the event it records ("bill:42:charge",
"payment:7"), so posting the same event twice is refused by the database itself.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.fields import MONEY_COLUMN

MONEY = MONEY_COLUMN


class LedgerEntry(models.Model):
    class Kind(models.TextChoices):
        CHARGE = "charge", _("Bill charge")
        REVERSAL = "reversal", _("Bill reversal (void)")
        PAYMENT = "payment", _("Payment")
        ADJUSTMENT = "adjustment", _("Adjustment")
        LATE_FEE = "late_fee", _("Late-payment fee")
        CREDIT = "credit", _("Credit (e.g. demand response)")

    account = models.ForeignKey(
        "customers.Account", on_delete=models.PROTECT, related_name="ledger_entries", verbose_name=_("account")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, db_index=True)
    amount = models.DecimalField(
        _("amount (CNY)"), help_text=_("Positive: owed by the customer; negative: paid or credited."), **MONEY
    )
    description = models.CharField(_("description"), max_length=200)
    bill = models.ForeignKey(
        "billing.Bill",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
        verbose_name=_("bill"),
    )
    payment = models.ForeignKey(
        "billing.Payment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
        verbose_name=_("payment"),
    )
    posting_key = models.CharField(_("posting key"), max_length=100, unique=True)
    occurred_on = models.DateField(_("date"))
    is_sandbox = models.BooleanField(
        _("sandbox"), default=False, help_text=_("Posted by a test payment gateway: no real money moved.")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["account", "occurred_on", "id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="ledger_entry_not_zero")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.occurred_on} {self.kind} {self.amount}"


class Payment(models.Model):
    class Channel(models.TextChoices):
        ONLINE = "online", _("Online (business hall)")
        COUNTER = "counter", _("Service counter")
        BANK = "bank", _("Bank collection")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the gateway")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        UNKNOWN = "unknown", _("Outcome unknown (to reconcile)")

    account = models.ForeignKey(
        "customers.Account", on_delete=models.PROTECT, related_name="payments", verbose_name=_("account")
    )
    amount = models.DecimalField(_("amount (CNY)"), **MONEY)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    order_no = models.CharField(_("our order number"), max_length=40, unique=True)
    gateway_txn_id = models.CharField(_("gateway transaction"), max_length=64, null=True, blank=True, unique=True)
    reference = models.CharField(_("external reference"), max_length=100, blank=True)
    is_sandbox = models.BooleanField(
        _("sandbox"), default=False, help_text=_("Taken through a test payment gateway: no real money moved.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive")]

    def __str__(self) -> str:
        return f"{self.order_no} {self.amount} {self.status}"


class PaymentAllocation(models.Model):
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("payment")
    )
    bill = models.ForeignKey(
        "billing.Bill", on_delete=models.PROTECT, related_name="allocations", verbose_name=_("bill")
    )
    amount = models.DecimalField(**MONEY, verbose_name=_("amount"))

    class Meta:
        ordering = ["payment", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
            models.UniqueConstraint(fields=["payment", "bill"], name="allocation_unique_payment_bill"),
        ]

    def __str__(self) -> str:
        return f"{self.payment_id} → bill {self.bill_id}: {self.amount}"


class SandboxTransaction(models.Model):
    """The built-in sandbox gateway's own books, so it can be queried like a real gateway."""

    class Status(models.TextChoices):
        CREATED = "created", _("Created")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")

    order_no = models.CharField(max_length=40, unique=True, verbose_name=_("order number"))
    merchant_id = models.CharField(max_length=40, verbose_name=_("merchant ID"))
    amount = models.DecimalField(**MONEY, verbose_name=_("amount"))
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.CREATED, verbose_name=_("status"))
    txn_id = models.CharField(max_length=64, unique=True, verbose_name=_("transaction ID"))
    notify_url = models.CharField(max_length=300, verbose_name=_("notify URL"))
    return_url = models.CharField(max_length=300, verbose_name=_("return URL"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    def __str__(self) -> str:
        return f"sandbox {self.order_no} {self.status}"


class PrepaidAccount(models.Model):
    """An account paid in advance (预付费): top-ups are payments that leave credit on the ledger, bills
    draw it down, and the customer is alerted when the credit falls below their threshold."""

    account = models.OneToOneField(
        "customers.Account", on_delete=models.CASCADE, related_name="prepaid", verbose_name=_("account")
    )
    low_balance_threshold = models.DecimalField(_("alert below (CNY)"), max_digits=10, decimal_places=2, default=50)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("prepaid account")
        verbose_name_plural = _("prepaid accounts")
        constraints = [
            models.CheckConstraint(condition=Q(low_balance_threshold__gte=0), name="prepaid_threshold_not_negative")
        ]

    def __str__(self) -> str:
        return f"prepaid {self.account_id} (alert < {self.low_balance_threshold})"
