"""Business-hall pages of the billing app: usage, bills, payments."""

from django.urls import path

from billing import views

app_name = "billing_hall"

urlpatterns = [
    path("usage/", views.usage, name="usage"),
]
