from rest_framework.routers import SimpleRouter

from analytics.api import forecasting

router = SimpleRouter(trailing_slash=False)
router.register("forecast-scopes", forecasting.ForecastScopeViewSet, basename="forecast-scope")
router.register("forecast-models", forecasting.ForecastModelViewSet, basename="forecast-model")
router.register("forecasts", forecasting.ForecastViewSet, basename="forecast")
router.register("weather", forecasting.WeatherViewSet, basename="weather")

urlpatterns = router.urls
