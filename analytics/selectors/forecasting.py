"""Reads behind forecasting: which meters and areas make up a scope, the scope's load and temperature
series (aggregated in SQL, returned as pandas Series for the engine), and the rows pages and the API show.

What a scope's load is (the choice, documented in docs/analytics.md "## Forecasting"):

- account: the account's customer meters (an exchanged meter's history included);
- category: the customer meters of every account of that category;
- area: the area's summary meter (台区总表) when the area has one — it measures what the area draws,
  losses included, which is what dispatch plans for; an area without a summary meter is the sum of
  its customer meters;
- feeder and system: the same per-area choice over the feeder's areas or over every area, so the
  system total neither double counts (summary + customers) nor misses areas without a summary meter.

Energy is Σ kwh × multiplier (倍率) per slot of the scope's resolution, summed by PostgreSQL (or SQLite in
the embedded default): one GROUP BY over billing_intervalreading, never a Python loop over rows.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from django.db import NotSupportedError
from django.db.models import Avg, Exists, F, FloatField, Func, IntegerField, OuterRef, Q, QuerySet, Sum

from analytics.models import Forecast, ForecastModel, ForecastScope, ForecastSlot, WeatherObservation
from billing.models import IntervalReading, Meter
from core.time import SHANGHAI_NAME, local_midnight
from customers.models import TransformerArea

VIEW_PERMISSION = "analytics.view_forecast"


def _local_timestamp(day: dt.date) -> pd.Timestamp:
    """00:00 of ``day`` in Asia/Shanghai as a pandas Timestamp on the named zone (what every series here
    is indexed by)."""
    return pd.Timestamp(local_midnight(day)).tz_convert(SHANGHAI_NAME)


class SlotEpoch(Func):
    """Unix seconds of the start of the ``minutes``-long slot holding a timestamp. Flooring epoch seconds
    keeps Asia/Shanghai slot boundaries too: UTC+8 is a whole number of 15/30-minute steps and mainland
    China has no daylight saving time."""

    output_field = IntegerField()

    def __init__(self, expression, *, minutes: int) -> None:
        super().__init__(expression)
        self.seconds = int(minutes) * 60

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError(f"SlotEpoch is not implemented for {connection.vendor}")

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(floor(extract(epoch from {sql}) / {self.seconds}) * {self.seconds})::bigint", params

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"((CAST(strftime('%%s', {sql}) AS INTEGER) / {self.seconds}) * {self.seconds})", params


# --- what a scope is made of ------------------------------------------------------------------------


def scope_areas(*, scope: ForecastScope) -> QuerySet[TransformerArea]:
    """The transformer areas a scope covers (for its weather and for its per-area meter choice)."""
    kind = ForecastScope.Kind
    if scope.kind == kind.SYSTEM:
        return TransformerArea.objects.all()
    # The scope's check constraint sets exactly the column its kind names.
    if scope.kind == kind.FEEDER:
        assert scope.feeder_id is not None
        return TransformerArea.objects.filter(feeder_id=scope.feeder_id)
    if scope.kind == kind.AREA:
        assert scope.area_id is not None
        return TransformerArea.objects.filter(pk=scope.area_id)
    if scope.kind == kind.CATEGORY:
        return TransformerArea.objects.filter(accounts__category=scope.category).distinct()
    return TransformerArea.objects.filter(accounts=scope.account_id)


def scope_meters(*, scope: ForecastScope) -> QuerySet[Meter]:
    """The meters whose readings (× multiplier) add up to the scope's load; see the module docstring."""
    kind = ForecastScope.Kind
    if scope.kind == kind.ACCOUNT:
        assert scope.account_id is not None  # the scope's check constraint
        return Meter.objects.filter(role=Meter.Role.CUSTOMER, account_id=scope.account_id)
    if scope.kind == kind.CATEGORY:
        return Meter.objects.filter(role=Meter.Role.CUSTOMER, account__category=scope.category)
    areas = scope_areas(scope=scope)
    has_summary = Exists(Meter.objects.filter(area=OuterRef("pk"), role=Meter.Role.AREA_SUMMARY))
    with_summary = areas.filter(has_summary).values("pk")
    without_summary = areas.exclude(has_summary).values("pk")
    return Meter.objects.filter(
        Q(role=Meter.Role.AREA_SUMMARY, area__in=with_summary) | Q(role=Meter.Role.CUSTOMER, area__in=without_summary)
    )


def scope_load_rows(*, scope: ForecastScope, start: dt.date, end: dt.date) -> QuerySet:
    """One row per slot with readings in the local days [start, end): ``slot`` (epoch seconds), ``load``
    (Σ kwh × multiplier) and ``readings`` (how many interval readings went into it)."""
    return (
        IntervalReading.objects.filter(
            meter__in=scope_meters(scope=scope),
            interval_start__gte=local_midnight(start),
            interval_start__lt=local_midnight(end),
        )
        .values(slot=SlotEpoch("interval_start", minutes=scope.resolution_minutes))
        .annotate(load=Sum(F("kwh") * F("meter__multiplier"), output_field=FloatField()))
        .order_by("slot")
    )


def _slot_index(*, start: dt.date, end: dt.date, minutes: int) -> pd.DatetimeIndex:
    return pd.date_range(_local_timestamp(start), _local_timestamp(end), freq=f"{minutes}min", inclusive="left")


def _from_epoch(seconds) -> pd.DatetimeIndex:
    return pd.to_datetime(pd.Index(seconds, dtype="int64"), unit="s", utc=True).tz_convert(SHANGHAI_NAME)


def scope_load_series(*, scope: ForecastScope, start: dt.date, end: dt.date) -> pd.Series:
    """The scope's load (kWh per slot) over the local days [start, end) on a regular index of the scope's
    resolution; slots without any reading are NaN (the caller decides how to treat gaps)."""
    rows = list(scope_load_rows(scope=scope, start=start, end=end))
    index = _slot_index(start=start, end=end, minutes=scope.resolution_minutes)
    if not rows:
        return pd.Series(float("nan"), index=index, name="load", dtype="float64")
    found = pd.Series([r["load"] for r in rows], index=_from_epoch([r["slot"] for r in rows]), dtype="float64")
    return found.reindex(index).rename("load")


def scope_temperature_series(*, scope: ForecastScope, start: dt.date, end: dt.date) -> pd.Series:
    """Mean temperature over the scope's areas for local days [start, end) at the scope's resolution:
    observed values where there are any, forecasts for the moments with no observation (the day being
    forecast). Hourly (or coarser) weather is interpolated in time onto the slots; NaN where unknown."""
    areas = scope_areas(scope=scope).values("pk")
    window = Q(area__in=areas, at__gte=local_midnight(start), at__lt=local_midnight(end))
    index = _slot_index(start=start, end=end, minutes=scope.resolution_minutes)

    def averaged(kind: str) -> pd.Series:
        rows = list(
            WeatherObservation.objects.filter(window, kind=kind)
            .values("at")
            .annotate(t=Avg("temperature_c", output_field=FloatField()))
            .order_by("at")
        )
        if not rows:
            return pd.Series(dtype="float64")
        return pd.Series(
            [float(r["t"]) for r in rows], index=pd.DatetimeIndex([r["at"] for r in rows]).tz_convert(SHANGHAI_NAME)
        )

    observed, forecast = averaged(WeatherObservation.Kind.OBSERVED), averaged(WeatherObservation.Kind.FORECAST)
    merged = observed.combine_first(forecast) if len(forecast) else observed
    if merged.empty:
        return pd.Series(float("nan"), index=index, name="temperature", dtype="float64")
    # Interpolate between known points only (never extrapolate past the last one).
    joined = merged.reindex(merged.index.union(index)).interpolate(method="time", limit_area="inside")
    return joined.reindex(index).rename("temperature")


# --- pages and API ----------------------------------------------------------------------------------


def active_scope_ids() -> list[int]:
    return list(ForecastScope.objects.filter(active=True).order_by("pk").values_list("pk", flat=True))


def forecast_scopes(*, active_only: bool = False) -> QuerySet[ForecastScope]:
    scopes = ForecastScope.objects.select_related("feeder", "area", "account")
    return scopes.filter(active=True) if active_only else scopes


def forecast_models(*, scope: ForecastScope | None = None) -> QuerySet[ForecastModel]:
    models = ForecastModel.objects.select_related("scope").order_by("scope_id", "-version")
    return models.filter(scope=scope) if scope is not None else models


def forecast_list() -> QuerySet[Forecast]:
    """Every forecast with its scope, model and slots: the API's list (filtered by its FilterSet)."""
    return (
        Forecast.objects.select_related("scope", "model")
        .prefetch_related("slots")
        .order_by("scope_id", "-day", "-issued_at")
    )


def weather_observations() -> QuerySet[WeatherObservation]:
    return WeatherObservation.objects.select_related("area").order_by("area__code", "at", "kind")


def forecasts_in_range(*, scope: ForecastScope, day_from: dt.date, day_to: dt.date) -> list[Forecast]:
    """The latest-issued forecast of each day in [day_from, day_to] (a retrain may issue a second one)."""
    latest: dict[dt.date, Forecast] = {}
    for forecast in (
        Forecast.objects.filter(scope=scope, day__gte=day_from, day__lte=day_to)
        .select_related("model")
        .order_by("day", "issued_at", "id")
    ):
        latest[forecast.day] = forecast
    return [latest[day] for day in sorted(latest)]


def forecast_vs_actual(*, scope: ForecastScope, day_from: dt.date, day_to: dt.date) -> pd.DataFrame:
    """Per slot of [day_from, day_to]: p10, p50, p90 of the shown forecasts and the actual load (NaN where
    unknown), indexed by aware slot start — what the staff chart and the CSV export show."""
    end = day_to + dt.timedelta(days=1)
    index = _slot_index(start=day_from, end=end, minutes=scope.resolution_minutes)
    forecasts = forecasts_in_range(scope=scope, day_from=day_from, day_to=day_to)
    slots = list(ForecastSlot.objects.filter(forecast__in=forecasts).values_list("slot_start", "p10", "p50", "p90"))
    predicted = pd.DataFrame(
        [row[1:] for row in slots],
        index=pd.DatetimeIndex([row[0] for row in slots], dtype="datetime64[ns, UTC]").tz_convert(SHANGHAI_NAME),
        columns=["p10", "p50", "p90"],
        dtype="float64",
    )
    frame = predicted.reindex(index)
    frame["actual"] = scope_load_series(scope=scope, start=day_from, end=end)
    return frame


def actual_by_slot(*, scope: ForecastScope, day: dt.date) -> dict[dt.datetime, float]:
    series = scope_load_series(scope=scope, start=day, end=day + dt.timedelta(days=1)).dropna()
    # pandas-stubs: items() keys are Hashable; this series' index is a DatetimeIndex.
    return {ts.to_pydatetime(): float(value) for ts, value in series.items()}  # type: ignore[attr-defined]
