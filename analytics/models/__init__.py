from analytics.models.dashboard import DashboardAccess
from analytics.models.forecasting import Forecast, ForecastModel, ForecastScope, ForecastSlot, WeatherObservation
from analytics.models.lineloss import AreaLossDay, AreaLossMonth
from analytics.models.segments import AccountSegment, Segment, SegmentationRun

__all__ = [
    "AccountSegment",
    "AreaLossDay",
    "AreaLossMonth",
    "DashboardAccess",
    "Forecast",
    "ForecastModel",
    "ForecastScope",
    "ForecastSlot",
    "Segment",
    "SegmentationRun",
    "WeatherObservation",
]
