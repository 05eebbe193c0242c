"""staff/analytics/line-loss/: line-loss ranking, area days and suspects (staff console pages)."""

from django.urls import path

from analytics.views import lineloss

app_name = "analytics_lineloss"

urlpatterns = [
    path("", lineloss.ranking, name="ranking"),
    path("areas/<str:code>/", lineloss.area_detail, name="area"),
    path("suspects/", lineloss.suspects, name="suspects"),
]
