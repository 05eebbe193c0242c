"""Staff overview dashboard, mounted at staff/analytics/."""

from django.urls import path

from analytics.views import dashboard

app_name = "analytics_dashboard"

urlpatterns = [
    path("", dashboard.index, name="index"),
    path("export/<slug:key>.<str:fmt>", dashboard.export, name="export"),
]
