from .forecasting import Forecast, ForecastModel, ForecastScope, ForecastSlot, WeatherObservation  # noqa: F401
