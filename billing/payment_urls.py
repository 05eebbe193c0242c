from django.urls import path

from billing import payment_views

app_name = "payments"

urlpatterns = [
    path("notify/<slug:gateway>", payment_views.gateway_notify, name="notify"),
    path("sandbox/checkout/<str:order_no>", payment_views.sandbox_checkout, name="sandbox_checkout"),
]
