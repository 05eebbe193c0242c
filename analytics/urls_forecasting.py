from django.urls import path

from analytics.views import forecasting

app_name = "analytics_forecasting"

urlpatterns = [path("", forecasting.forecasts_page, name="forecasts")]
