"""Staff security pages, under /staff/security/."""

from django.urls import path

from security.views import two_factor

app_name = "two_factor"

urlpatterns = [
    path("2fa/setup/", two_factor.setup, name="setup"),
    path("2fa/verify/", two_factor.verify, name="verify"),
]
