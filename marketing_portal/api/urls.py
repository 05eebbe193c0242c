"""/api/v1/: each app registers its viewsets in its own api/urls.py router."""

from django.urls import include, path

urlpatterns = [
    path("", include("customers.api.urls")),
    path("", include("billing.api.urls")),
    path("", include("billing.api.tariff_urls")),
    path("", include("billing.api.payment_urls")),
    path("", include("analytics.api.urls")),
    path("", include("services.api.urls_notices")),
    path("", include("services.api.urls_requests")),
]
