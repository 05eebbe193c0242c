from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from billing.urls import payment_patterns
from core.web.bench import bare_view
from core.web.health import healthz

admin.site.site_header = "营销服务平台 · 管理后台 / Marketing Portal admin"
admin.site.site_title = "Marketing Portal admin"
admin.site.index_title = "Staff console"

# /api/v1/: each app registers its viewsets in its own api/urls.py router.
api_patterns = [
    path("", include("customers.api.urls")),
    path("", include("billing.api.urls")),
    path("", include("analytics.api.urls")),
    path("", include("services.api.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("staff/services/", include("services.staff_urls")),
    path("staff/analytics/", include("analytics.staff_urls")),
    path("staff/security/", include("security.urls")),  # two-factor set-up and verification
    path("api/v1/", include(api_patterns)),
    path("openadr3/", include("services.api.openadr.urls")),  # OpenADR 3.1.0 VTN (docs/openadr.md)
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file of its own: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("billing.urls")),
    path("", include("analytics.urls")),
    path("payments/", include((payment_patterns, "payments"))),
    path("", include("services.urls")),  # help/, inbox/, notices/, service-requests/
    path("", include("customers.urls")),
]

if settings.BENCH_WEB:  # bench/web.py's reference: a small JSON object through the same middleware
    urlpatterns.insert(0, path("bench/bare", bare_view, name="bench-bare"))

# The API's error shape under /api/ for errors Django answers itself, the usual pages elsewhere.
handler400 = "core.api.errors.bad_request_json"
handler403 = "core.api.errors.permission_denied_json"
handler404 = "core.api.errors.not_found_json"
handler500 = "core.api.errors.server_error_json"
