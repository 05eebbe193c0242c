"""Forecasting's part of seed_demo: the default scopes, the demo weather, and for the system scope a
trained model with a week of day-ahead forecasts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import connection

from analytics.models import ForecastScope, WeatherObservation
from analytics.services.forecast_scopes import ensure_default_scopes
from analytics.services.forecasting import ForecastError, issue_forecast, train_scope
from billing.demo.metering import demo_hourly_temperature
from billing.models import MeterDayCompleteness
from core.time import local_datetime

DEMO_HISTORY_DAYS = 91  # a quarter is enough to show the model working and keeps seed_demo quick
DEMO_FORECAST_DAYS = 7


def seed_forecasting_demo(*, seed: int, as_of: dt.date, customers: int, **_ignored) -> str:
    """seed_demo's last step for forecasting: the default scopes, and for the system scope a model trained
    on the quarter before ``as_of`` − 7 days that issues the forecasts of those seven days and of ``as_of``
    itself (each for a day the model never saw), so the staff chart has forecast against actual at once."""
    scopes = ensure_default_scopes()
    system = ForecastScope.objects.get(
        kind=ForecastScope.Kind.SYSTEM, resolution_minutes=settings.FORECAST_RESOLUTION_MINUTES
    )
    first_day = as_of - dt.timedelta(days=DEMO_FORECAST_DAYS)
    weather = _seed_demo_weather(seed=seed, as_of=as_of)
    try:
        train_scope(
            scope_id=system.pk,
            as_of=local_datetime(first_day, dt.time(1, 30)),
            history_days=DEMO_HISTORY_DAYS,
        )
        issued = [
            issue_forecast(
                scope_id=system.pk,
                day=first_day + dt.timedelta(days=offset),
                as_of=local_datetime(first_day + dt.timedelta(days=offset - 1), dt.time(10, 30)),
            )
            for offset in range(DEMO_FORECAST_DAYS + 1)
        ]
    except ForecastError as exc:  # e.g. seed_demo --curves 0: no load to learn from
        return f"Forecasting: {scopes.created} scopes; no demo forecast ({exc})."
    return (
        f"Forecasting: {scopes.created} scopes; {weather:,} hourly temperatures; system scope trained and "
        f"{len(issued)} day-ahead forecasts issued ({issued[0].day} to {issued[-1].day})."
    )


def _seed_demo_weather(*, seed: int, as_of: dt.date) -> int:
    """The observed temperature of the areas with load curves (the only ones a forecast can learn from;
    a 10,000-customer seed has hundreds of areas without): the hourly weather the curves were drawn with."""
    hourly = demo_hourly_temperature(as_of=as_of, seed=seed)
    with_curves = (
        MeterDayCompleteness.objects.filter(day=as_of - dt.timedelta(days=1))
        .values_list("meter__area_id", flat=True)
        .distinct()
    )
    areas = sorted(set(with_curves) - {None})
    temperatures = [Decimal(f"{celsius:.2f}") for _, celsius in hourly]
    if connection.vendor == "postgresql":
        # Every area gets the same year (one city's weather): the database repeats it per area, 10x
        # faster than building the 52,560 rows of a 10,000-customer seed as model instances.
        with connection.cursor() as cursor:
            cursor.execute(DEMO_WEATHER_SQL, [[at for at, _ in hourly], temperatures, areas])
    else:
        WeatherObservation.objects.bulk_create(
            [
                WeatherObservation(area_id=area_id, at=at, temperature_c=celsius)
                for area_id in areas
                for (at, _), celsius in zip(hourly, temperatures, strict=True)
            ],
            batch_size=5000,
        )
    return len(areas) * len(hourly)


DEMO_WEATHER_SQL = """
INSERT INTO analytics_weatherobservation (area_id, at, kind, temperature_c)
SELECT a.id, w.at, 'observed', w.t
FROM unnest(%s::timestamptz[], %s::numeric[]) AS w(at, t) CROSS JOIN unnest(%s::bigint[]) AS a(id)
"""
