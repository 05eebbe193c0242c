"""Payment gateways. A gateway creates a checkout for an order, signs its asynchronous notifications
and answers status queries. The sandbox keeps its own books (SandboxTransaction) and behaves like a
real one: it notifies several times, possibly before the customer is back on our pages."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.urls import reverse
from django.utils.module_loading import import_string

from billing.models import SandboxTransaction

SIGNED_FIELDS = ("merchant_id", "order_no", "amount", "status", "txn_id")


class InvalidNotification(Exception):
    """Signature, merchant, order or amount does not check out; nothing may be posted."""


@dataclass(frozen=True)
class Notification:
    merchant_id: str
    order_no: str
    amount: Decimal
    status: str  # "paid" | "failed"
    txn_id: str


def canonical_string(params: dict[str, str]) -> str:
    return "&".join(f"{name}={params.get(name, '')}" for name in SIGNED_FIELDS)


@dataclass(frozen=True)
class GatewayStatus:
    status: str  # "paid" | "failed" | "created" (not finished)
    txn_id: str


class SandboxGateway:
    name = "sandbox"

    def secret(self) -> bytes:
        # Production configures PAYMENT_GATEWAY_SECRET (the real gateway's key); the sandbox on a
        # developer machine derives its own so the embedded default works out of the box.
        if settings.PAYMENT_GATEWAY_SECRET:
            return settings.PAYMENT_GATEWAY_SECRET.encode()
        return hmac.new(settings.SECRET_KEY.encode(), b"sandbox-payment-gateway", hashlib.sha256).digest()

    def sign(self, params: dict[str, str]) -> str:
        return hmac.new(self.secret(), canonical_string(params).encode(), hashlib.sha256).hexdigest()

    def create_checkout(self, *, order_no: str, amount: Decimal, return_url: str) -> str:
        SandboxTransaction.objects.create(
            order_no=order_no, merchant_id=settings.PAYMENT_MERCHANT_ID, amount=amount,
            txn_id=f"SBX{secrets.token_hex(10).upper()}", notify_url=reverse("payments:notify", args=[self.name]), return_url=return_url,
        )  # fmt: skip
        return reverse("payments:sandbox_checkout", args=[order_no])

    def signed_notification(self, *, transaction: SandboxTransaction) -> dict[str, str]:
        params = {
            "merchant_id": transaction.merchant_id,
            "order_no": transaction.order_no,
            "amount": f"{transaction.amount:.2f}",
            "status": transaction.status,
            "txn_id": transaction.txn_id,
        }
        return {**params, "sign": self.sign(params)}

    def verify(self, *, params: dict[str, str]) -> Notification:
        """Signature first (constant time), then the fields' shapes; merchant/order/amount are checked
        against our own records by the caller."""
        expected = self.sign(params)
        if not hmac.compare_digest(expected, str(params.get("sign", ""))):
            raise InvalidNotification("bad signature")
        try:
            amount = Decimal(params["amount"])
        except (KeyError, InvalidOperation):
            raise InvalidNotification("bad amount") from None
        if params.get("status") not in ("paid", "failed"):
            raise InvalidNotification("bad status")
        return Notification(
            merchant_id=params["merchant_id"],
            order_no=params["order_no"],
            amount=amount,
            status=params["status"],
            txn_id=params["txn_id"],
        )

    def query(self, *, order_no: str) -> GatewayStatus | None:
        """The order's state at the gateway, or None when the gateway does not know the order."""
        found = SandboxTransaction.objects.filter(order_no=order_no).values_list("status", "txn_id").first()
        return GatewayStatus(status=found[0], txn_id=found[1]) if found else None


def get_gateway():
    return import_string(settings.PAYMENT_GATEWAY)()
