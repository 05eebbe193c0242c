"""Business-hall page of the tariff advice, mounted at the root next to billing.urls."""

from django.urls import path

from analytics.views import hall_tariffadvice

app_name = "analytics_hall_tariffadvice"

urlpatterns = [
    path("tariff-advice/", hall_tariffadvice.advice, name="advice"),
]
