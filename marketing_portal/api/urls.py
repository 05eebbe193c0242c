"""/api/v1/: each app registers its viewsets in its own api/urls.py router."""

from django.urls import include, path

urlpatterns = [
    path("", include("customers.api.urls")),
    path("", include("billing.api.urls")),
    path("", include("analytics.api.urls")),
    path("", include("services.api.urls")),
]
