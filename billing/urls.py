"""Business-hall pages of the billing app (namespace ``billing_hall``: usage, bills, paying, payments,
quote), and the payment gateway's endpoints, which marketing_portal/urls.py mounts under ``payments/``
in their own namespace ``payments``: ``include((payment_patterns, "payments"))``."""

from django.urls import path

from billing.views import bills, pay, payments, quote, usage

app_name = "billing_hall"

urlpatterns = [
    path("usage/", usage.usage, name="usage"),
    path("bills/", bills.bills, name="bills"),
    path("bills/<int:bill_id>/", bills.bill_view, name="bill"),
    path("bills/<int:bill_id>/pdf", bills.bill_pdf, name="bill_pdf"),
    path("bills/pay", pay.pay, name="pay"),
    path("bills/payments/", pay.payments, name="payments"),
    path("bills/payments/return", pay.payment_return, name="payment_return"),
    path("bills/quote/", quote.quote, name="quote"),
]

payment_patterns = [
    path("notify/<slug:gateway>", payments.gateway_notify, name="notify"),
    path("sandbox/checkout/<str:order_no>", payments.sandbox_checkout, name="sandbox_checkout"),
]
