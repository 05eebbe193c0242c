"""Staff pages of analytics, mounted at staff/analytics/ (staff console look, each page behind its own
permission): the overview dashboard, line loss, load forecasts and customer segments. Each area keeps
its own URL namespace."""

from django.urls import include, path

from analytics.views import dashboard, forecasting, lineloss, segments

# staff/analytics/: sales, collection, arrears and the panels other apps register.
dashboard_patterns = [
    path("", dashboard.index, name="index"),
    path("export/<slug:key>.<str:fmt>", dashboard.export, name="export"),
]

# staff/analytics/line-loss/: the monthly area ranking, one area's days and the suspects.
lineloss_patterns = [
    path("", lineloss.ranking, name="ranking"),
    path("areas/<str:code>/", lineloss.area_detail, name="area"),
    path("suspects/", lineloss.suspects, name="suspects"),
]

# staff/analytics/forecasts/: a scope's forecasts against the actual load.
forecasting_patterns = [path("", forecasting.forecasts_page, name="forecasts")]

# staff/analytics/segments/: centroids, sizes and k-selection scores of the current runs.
segments_patterns = [path("", segments.dashboard, name="dashboard")]

urlpatterns = [
    path("", include((dashboard_patterns, "analytics_dashboard"))),
    path("line-loss/", include((lineloss_patterns, "analytics_lineloss"))),
    path("forecasts/", include((forecasting_patterns, "analytics_forecasting"))),
    path("segments/", include((segments_patterns, "analytics_segments"))),
]
