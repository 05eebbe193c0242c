"""Business-hall pages of the billing app: usage, bills, payments."""

from django.urls import path

from billing import views

app_name = "billing_hall"

urlpatterns = [
    path("usage/", views.usage, name="usage"),
    path("bills/", views.bills, name="bills"),
    path("bills/<int:bill_id>/", views.bill_view, name="bill"),
    path("bills/<int:bill_id>/pdf", views.bill_pdf, name="bill_pdf"),
    path("bills/pay", views.pay, name="pay"),
    path("bills/payments/", views.payments, name="payments"),
    path("bills/payments/return", views.payment_return, name="payment_return"),
    path("bills/quote/", views.quote, name="quote"),
]
