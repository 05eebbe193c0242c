"""Analytics' part of /api/v1/: customer segments, line loss, and forecasting (scopes, the model
registry, forecasts, weather)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from analytics.api.forecasting import ForecastModelViewSet, ForecastScopeViewSet, ForecastViewSet, WeatherViewSet
from analytics.api.lineloss import LineLossAreasView, LineLossSuspectsView
from analytics.api.segments import AccountSegmentView, SegmentListView

router = SimpleRouter(trailing_slash=False)
router.register("forecast-scopes", ForecastScopeViewSet, basename="forecast-scope")
router.register("forecast-models", ForecastModelViewSet, basename="forecast-model")
router.register("forecasts", ForecastViewSet, basename="forecast")
router.register("weather", WeatherViewSet, basename="weather")

urlpatterns = [
    path("segments", SegmentListView.as_view(), name="segments"),
    path("accounts/<str:number>/segment", AccountSegmentView.as_view(), name="account-segment"),
    path("line-loss/areas", LineLossAreasView.as_view(), name="line-loss-areas"),
    path("line-loss/suspects", LineLossSuspectsView.as_view(), name="line-loss-suspects"),
    *router.urls,
]
