"""django-filter FilterSets of analytics' lists (the forecasting API's scopes, models, forecasts and weather).

Line loss's ranking is filtered in one place too, ``analytics.selectors.lineloss.area_month_ranking``,
which the staff page and the API both call with their parsed parameters.
"""

from __future__ import annotations

import django_filters

from analytics.models import Forecast, ForecastModel, ForecastScope, WeatherObservation
from core.api.filters import FilterSet


class ForecastScopeFilterSet(FilterSet):
    class Meta:
        model = ForecastScope
        fields = ["kind", "active", "resolution_minutes"]


class ForecastModelFilterSet(FilterSet):
    class Meta:
        model = ForecastModel
        fields = ["scope", "status"]


class ForecastFilterSet(FilterSet):
    day_from = django_filters.DateFilter(field_name="day", lookup_expr="gte")
    day_to = django_filters.DateFilter(field_name="day", lookup_expr="lte")

    class Meta:
        model = Forecast
        fields = ["scope", "day", "day_from", "day_to"]


class WeatherFilterSet(FilterSet):
    area = django_filters.CharFilter(field_name="area__code")
    at_from = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    at_to = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = WeatherObservation
        fields = ["area", "kind", "at_from", "at_to"]
