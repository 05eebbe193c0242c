"""Payment gateways. A gateway creates a checkout for an order, signs its asynchronous notifications
and answers status queries.

* ``HostedCheckoutGateway``: a real acquirer's hosted checkout page (the customer pays on the
  gateway's site; it notifies us server to server, signed with HMAC-SHA256 over the canonical fields,
  and answers order queries). Production must use it, or another gateway with ``is_test = False``.
* ``SandboxGateway``: keeps its own books (SandboxTransaction) and behaves like a real one: it notifies
  several times, possibly before the customer is back on our pages. No real money moves, so it is a
  *test* gateway: production refuses to start with it (billing.checks), and what it posts is marked
  ``is_sandbox`` in the ledger and never counts as collected money.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import urllib.parse
import urllib.request
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


class SignedGateway:
    """Shared by every gateway that signs its notifications with HMAC-SHA256 over SIGNED_FIELDS."""

    name = ""
    is_test = False  # True: no real money moves; refused in production, postings marked is_sandbox

    def secret(self) -> bytes:
        return settings.PAYMENT_GATEWAY_SECRET.encode()

    def create_checkout(self, *, order_no: str, amount: Decimal, return_url: str) -> str:
        """Where to send the customer to pay ``order_no``."""
        raise NotImplementedError

    def query(self, *, order_no: str) -> GatewayStatus | None:
        """The order's state at the gateway, or None when the gateway does not know the order."""
        raise NotImplementedError

    def sign(self, params: dict[str, str]) -> str:
        return hmac.new(self.secret(), canonical_string(params).encode(), hashlib.sha256).hexdigest()

    def signature_ok(self, params: dict[str, str]) -> bool:
        return hmac.compare_digest(self.sign(params), str(params.get("sign", "")))

    def verify(self, *, params: dict[str, str]) -> Notification:
        """Signature first (constant time), then the fields' shapes; merchant/order/amount are checked
        against our own records by the caller."""
        if not self.signature_ok(params):
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


class HostedCheckoutGateway(SignedGateway):
    """An acquirer's hosted checkout: we redirect the customer to ``PAYMENT_GATEWAY_CHECKOUT_URL`` with
    the signed order, the gateway notifies ``/payments/notify/hosted`` and answers signed queries at
    ``PAYMENT_GATEWAY_QUERY_URL`` (JSON ``{"status", "txn_id", "sign", …}``)."""

    name = "hosted"
    is_test = False

    def _order_params(self, *, order_no: str, amount: Decimal) -> dict[str, str]:
        return {"merchant_id": settings.PAYMENT_MERCHANT_ID, "order_no": order_no, "amount": f"{amount:.2f}"}

    def create_checkout(self, *, order_no: str, amount: Decimal, return_url: str) -> str:
        params = self._order_params(order_no=order_no, amount=amount)
        params["notify_url"] = reverse("payments:notify", args=[self.name])
        params["return_url"] = return_url
        params["sign"] = self.sign(params)
        return f"{settings.PAYMENT_GATEWAY_CHECKOUT_URL}?{urllib.parse.urlencode(params)}"

    def query(self, *, order_no: str) -> GatewayStatus | None:
        params = {"merchant_id": settings.PAYMENT_MERCHANT_ID, "order_no": order_no}
        params["sign"] = self.sign(params)
        request = urllib.request.Request(  # noqa: S310 - the URL is our configured https gateway
            settings.PAYMENT_GATEWAY_QUERY_URL,
            data=urllib.parse.urlencode(params).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            answer = {key: str(value) for key, value in json.loads(response.read(65536)).items()}
        if not self.signature_ok(answer) or answer.get("merchant_id") != settings.PAYMENT_MERCHANT_ID:
            raise InvalidNotification("the gateway's query answer is not signed for us")
        status = answer.get("status", "")
        if status == "not_found":
            return None
        return GatewayStatus(
            status=status if status in ("paid", "failed") else "created", txn_id=answer.get("txn_id", "")
        )


class SandboxGateway(SignedGateway):
    name = "sandbox"
    is_test = True

    def secret(self) -> bytes:
        # Production configures PAYMENT_GATEWAY_SECRET (the real gateway's key); the sandbox on a
        # developer machine derives its own so the embedded default works out of the box.
        if settings.PAYMENT_GATEWAY_SECRET:
            return settings.PAYMENT_GATEWAY_SECRET.encode()
        return hmac.new(settings.SECRET_KEY.encode(), b"sandbox-payment-gateway", hashlib.sha256).digest()

    def create_checkout(self, *, order_no: str, amount: Decimal, return_url: str) -> str:
        SandboxTransaction.objects.create(
            order_no=order_no,
            merchant_id=settings.PAYMENT_MERCHANT_ID,
            amount=amount,
            txn_id=f"SBX{secrets.token_hex(10).upper()}",
            notify_url=reverse("payments:notify", args=[self.name]),
            return_url=return_url,
        )
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

    def query(self, *, order_no: str) -> GatewayStatus | None:
        """The order's state at the gateway, or None when the gateway does not know the order."""
        found = SandboxTransaction.objects.filter(order_no=order_no).values_list("status", "txn_id").first()
        return GatewayStatus(status=found[0], txn_id=found[1]) if found else None


def gateway_class() -> type[SignedGateway]:
    return import_string(settings.PAYMENT_GATEWAY)


def get_gateway() -> SignedGateway:
    return gateway_class()()
