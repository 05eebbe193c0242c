"""Staff page of customer segmentation, mounted at staff/analytics/segments/."""

from django.urls import path

from analytics.views import segments

app_name = "analytics_segments"

urlpatterns = [path("", segments.dashboard, name="dashboard")]
