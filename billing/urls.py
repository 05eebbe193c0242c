"""Business-hall pages of the billing app (usage now; bills and payments later)."""

from django.urls import path

from billing import views

app_name = "billing_hall"

urlpatterns = [
    path("", views.usage, name="usage"),
]
