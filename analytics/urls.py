"""Business-hall pages of analytics, mounted at the root next to billing's pages: the tariff advice
(/tariff-advice/) and "how my usage compares" (/usage/compare/), each in its own URL namespace."""

from django.urls import include, path

from analytics.views import hall_segments, hall_tariffadvice

tariffadvice_patterns = [path("tariff-advice/", hall_tariffadvice.advice, name="advice")]

segments_patterns = [path("usage/compare/", hall_segments.compare, name="compare")]

urlpatterns = [
    path("", include((tariffadvice_patterns, "analytics_hall_tariffadvice"))),
    path("", include((segments_patterns, "analytics_hall_segments"))),
]
