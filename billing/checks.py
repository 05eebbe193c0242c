"""System checks for billing: no free money in production."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register
from django.utils.module_loading import import_string

PAYMENTS_TAG = "payments"


@register(PAYMENTS_TAG)
def check_payment_gateway(app_configs=None, **kwargs) -> list[Error]:
    """Production (PAYMENT_REFUSE_TEST_GATEWAY) must not run a gateway that moves no real money: with the
    sandbox anyone who reaches its checkout page could mark bills paid."""
    try:
        gateway = import_string(settings.PAYMENT_GATEWAY)
    except ImportError as exc:
        return [Error(f"PAYMENT_GATEWAY {settings.PAYMENT_GATEWAY!r} cannot be imported: {exc}.", id="billing.E002")]
    errors = []
    if settings.PAYMENT_REFUSE_TEST_GATEWAY and getattr(gateway, "is_test", True):
        errors.append(
            Error(
                f"PAYMENT_GATEWAY {settings.PAYMENT_GATEWAY!r} is a test gateway; production refuses it.",
                hint="Set PAYMENT_GATEWAY=billing.services.gateways.HostedCheckoutGateway with the acquirer's "
                "PAYMENT_GATEWAY_CHECKOUT_URL, PAYMENT_GATEWAY_QUERY_URL and PAYMENT_GATEWAY_SECRET.",
                id="billing.E001",
            )
        )
    if not getattr(gateway, "is_test", True) and gateway.name == "hosted":
        for name in ("PAYMENT_GATEWAY_CHECKOUT_URL", "PAYMENT_GATEWAY_QUERY_URL"):
            if not getattr(settings, name, "").startswith("https://"):
                errors.append(Error(f"{name} must be the gateway's https:// address.", id="billing.E003"))
    return errors
