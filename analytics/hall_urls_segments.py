"""Business-hall page of customer segmentation, mounted at the root next to billing's pages."""

from django.urls import path

from analytics.views import hall_segments

app_name = "analytics_hall_segments"

urlpatterns = [path("usage/compare/", hall_segments.compare, name="compare")]
