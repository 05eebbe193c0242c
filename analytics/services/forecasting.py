"""Forecasting operations: default scopes, training a scope's model into the registry, issuing a
day-ahead forecast, the private artefact store, and weather ingestion.

The engine (``analytics.forecasting``) is pure pandas/scikit-learn; this module feeds it the scope's
series from the database (``analytics.selectors.forecasting``) and records what it produced.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from threadpoolctl import threadpool_limits

from analytics.forecasting.model import QuantileForecaster, SeriesData, backtest
from analytics.models import Forecast, ForecastModel, ForecastScope, ForecastSlot, WeatherObservation
from analytics.selectors.forecasting import SHANGHAI, scope_load_series, scope_temperature_series
from billing.demo.metering import demo_hourly_temperature
from billing.models import MeterDayCompleteness
from customers.models import Account, Feeder, TransformerArea

logger = logging.getLogger(__name__)

ARTEFACT_DIR = "forecast-models"
MIN_HISTORY_DAYS = 28  # four weeks: the weekly lags need one, the model needs a few weeks to learn from
ISSUE_HISTORY_DAYS = 56  # load passed to predict_day: enough for every lag the engine uses
TEMPERATURE_MIN_COVERAGE = 0.9  # below this share of training slots with a temperature, train without it
SHORT_GAP_HOURS = 2


class ForecastError(Exception):
    """A scope cannot be trained or forecast (no data, too little history, no model …); the message says why."""


class ArtefactIntegrityError(ForecastError):
    """A model artefact is missing, outside our private storage, or its SHA-256 is not the registered one."""


# --- the private artefact store ------------------------------------------------------------------------


def artefact_root() -> Path:
    return (Path(settings.PRIVATE_STORAGE_ROOT) / ARTEFACT_DIR).resolve()


def store_artefact(*, scope_id: int, version: int, blob: bytes) -> tuple[str, str]:
    """Write a blob under private storage; returns (path relative to PRIVATE_STORAGE_ROOT, sha256)."""
    digest = hashlib.sha256(blob).hexdigest()
    relative = Path(ARTEFACT_DIR) / f"scope-{scope_id}" / f"v{version}-{digest[:16]}.bin"
    target = Path(settings.PRIVATE_STORAGE_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    partial.write_bytes(blob)
    partial.replace(target)  # atomic: a reader never sees half a file under the final name
    return relative.as_posix(), digest


def read_artefact(*, model: ForecastModel) -> bytes:
    """The artefact's bytes, only from our own storage and only when its SHA-256 is the registered one.
    Unpickling runs code, so a file that is not byte-for-byte what we wrote is never unpickled."""
    root = artefact_root()
    path = (Path(settings.PRIVATE_STORAGE_ROOT) / model.artefact_path).resolve()
    if not path.is_relative_to(root):
        raise ArtefactIntegrityError(f"model {model.pk}: artefact path {model.artefact_path!r} is outside {root}")
    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise ArtefactIntegrityError(f"model {model.pk}: artefact cannot be read: {exc}") from exc
    digest = hashlib.sha256(blob).hexdigest()
    if not hmac.compare_digest(digest, model.artefact_sha256):
        raise ArtefactIntegrityError(
            f"model {model.pk}: artefact SHA-256 {digest} differs from the registered {model.artefact_sha256}; "
            "refusing to load it"
        )
    return blob


def load_forecaster(*, model: ForecastModel) -> QuantileForecaster:
    return QuantileForecaster.from_bytes(read_artefact(model=model))


# --- series for the engine ---------------------------------------------------------------------------


def fill_gaps(load: pd.Series, *, minutes: int) -> tuple[pd.Series, int]:
    """Short gaps (≤ 2 h: a late or lost reading) filled by time interpolation; longer gaps stay NaN — the
    engine skips slots without load rather than learn from invented days. Returns the series and the
    number of slots still missing (recorded with the model, so thin data shows)."""
    if not load.isna().any():
        return load, 0
    limit = SHORT_GAP_HOURS * 60 // minutes
    filled = load.interpolate(method="time", limit=limit, limit_area="inside")
    return filled, int(filled.isna().sum())


def _trim_to_data(load: pd.Series) -> pd.Series:
    """Drop whole leading days before the first reading (a scope whose meters start later)."""
    first = load.first_valid_index()
    if first is None:
        return load.iloc[0:0]
    return load[load.index >= pd.Timestamp(first.date(), tz=SHANGHAI)]


def _temperature_for(*, scope: ForecastScope, start: dt.date, end: dt.date, load_index) -> pd.Series | None:
    """The scope's temperature when it covers enough of the training slots, else None (train without)."""
    temperature = scope_temperature_series(scope=scope, start=start, end=end)
    known = temperature.reindex(load_index).notna().mean() if len(load_index) else 0.0
    if known < TEMPERATURE_MIN_COVERAGE:
        return None
    return temperature.interpolate(method="time", limit_direction="both")


def training_data(*, scope: ForecastScope, until: dt.date, history_days: int) -> tuple[SeriesData, int]:
    """Load (and temperature, when there is enough) of the days before ``until``; raises ForecastError
    for a scope with too little history."""
    load = _trim_to_data(scope_load_series(scope=scope, start=until - dt.timedelta(days=history_days), end=until))
    days = int(load.notna().groupby(load.index.date).any().sum())
    if days < MIN_HISTORY_DAYS:
        raise ForecastError(
            f"scope {scope.pk} ({scope.name}): {days} day(s) with load before {until}, {MIN_HISTORY_DAYS} needed"
        )
    load, missing = fill_gaps(load, minutes=scope.resolution_minutes)
    temperature = _temperature_for(scope=scope, start=load.index[0].date(), end=until, load_index=load.index)
    return SeriesData(load=load, temperature=temperature), missing


# --- training into the registry ----------------------------------------------------------------------


def _one_thread():
    """One OpenMP/BLAS thread for the engine: workers already run one scope per core, and on a shared
    machine the spinning threads of several processes cost far more CPU than they save."""
    return threadpool_limits(limits=1)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def train_scope(
    *, scope_id: int, as_of: dt.datetime, force: bool = False, history_days: int | None = None
) -> ForecastModel:
    """Train the scope's model on the history before ``as_of``'s local day, backtest it on the last days of
    that history (each test day forecast by a model that never saw it), store the artefact privately,
    register it as the next version and retire the previous one. Without ``force``, a scope whose active
    model was already trained up to that day keeps it (a repeated nightly run does nothing)."""
    scope = ForecastScope.objects.get(pk=scope_id)
    until = as_of.astimezone(SHANGHAI).date()
    current = ForecastModel.objects.filter(scope=scope, status=ForecastModel.Status.ACTIVE).first()
    if current is not None and current.window_end == until and not force:
        return current
    data, missing = training_data(scope=scope, until=until, history_days=history_days or settings.FORECAST_HISTORY_DAYS)
    params = dict(settings.FORECAST_MODEL_PARAMS) or None
    first_day = data.load.index[0].date()
    available = (until - first_day).days
    test_days = min(settings.FORECAST_BACKTEST_DAYS, available - MIN_HISTORY_DAYS + 7)
    metrics: dict[str, Any] = {}
    try:
        with _one_thread():
            if test_days > 0:
                result = backtest(
                    data=data,
                    test_from=until - dt.timedelta(days=test_days),
                    test_to=until - dt.timedelta(days=1),
                    retrain_every_days=test_days,  # one model fit before the window: a nightly run stays two fits
                    params=params,
                )
                metrics = _jsonable(dict(result.metrics))
            forecaster = QuantileForecaster.fit(data=data, until=until, params=params)
    except ValueError as exc:  # the engine's ForecastDataError: series it cannot learn from
        raise ForecastError(f"scope {scope.pk} ({scope.name}): {exc}") from exc
    metrics["missing_slots"] = missing
    blob = forecaster.to_bytes()
    described = _jsonable(forecaster.describe())
    uses_temperature = bool(described.get("uses_temperature", data.temperature is not None))
    with transaction.atomic():
        ForecastScope.objects.select_for_update().get(pk=scope.pk)  # one registration per scope at a time
        version = (ForecastModel.objects.filter(scope=scope).aggregate(v=Max("version"))["v"] or 0) + 1
        path, digest = store_artefact(scope_id=scope.pk, version=version, blob=blob)
        ForecastModel.objects.filter(scope=scope, status=ForecastModel.Status.ACTIVE).update(
            status=ForecastModel.Status.RETIRED
        )
        model = ForecastModel.objects.create(
            scope=scope,
            version=version,
            status=ForecastModel.Status.ACTIVE,
            trained_at=as_of,
            window_start=first_day,
            window_end=until,
            resolution_minutes=scope.resolution_minutes,
            features=list(forecaster.feature_names),
            params=_jsonable(dict(forecaster.params)),
            metrics={**metrics, "describe": described},
            uses_temperature=uses_temperature,
            sklearn_version=str(described.get("sklearn_version") or described.get("sklearn") or ""),
            artefact_path=path,
            artefact_sha256=digest,
            artefact_bytes=len(blob),
        )
    logger.info("forecast scope %s: registered model v%s (mape %s)", scope.pk, version, metrics.get("mape"))
    return model


# --- issuing forecasts -------------------------------------------------------------------------------


def _issue_data(*, scope: ForecastScope, model: ForecastModel, day: dt.date) -> SeriesData:
    start = day - dt.timedelta(days=ISSUE_HISTORY_DAYS)
    load = _trim_to_data(scope_load_series(scope=scope, start=start, end=day))
    if not load.notna().any():
        raise ForecastError(f"scope {scope.pk}: no load in the {ISSUE_HISTORY_DAYS} days before {day}")
    load, _ = fill_gaps(load, minutes=scope.resolution_minutes)
    temperature = None
    if model.uses_temperature:
        temperature = scope_temperature_series(scope=scope, start=load.index[0].date(), end=day + dt.timedelta(days=1))
        day_index = temperature.index >= pd.Timestamp(day, tz=SHANGHAI)
        if temperature[day_index].isna().all():
            # No weather forecast for the day: persistence (yesterday's temperatures slot by slot).
            temperature[day_index] = temperature.shift(24 * 60 // scope.resolution_minutes)[day_index].to_numpy()
        temperature = temperature.interpolate(method="time", limit_direction="both")
    return SeriesData(load=load, temperature=temperature)


def issue_forecast(*, scope_id: int, day: dt.date, as_of: dt.datetime) -> Forecast:
    """The scope's forecast for local ``day`` by its active model: issued once per scope, day and model
    (a repeat returns the existing one). Refused when the active model was trained on ``day`` or later:
    a forecast must not have seen the day it forecasts."""
    scope = ForecastScope.objects.get(pk=scope_id)
    model = ForecastModel.objects.filter(scope=scope, status=ForecastModel.Status.ACTIVE).first()
    if model is None:
        raise ForecastError(f"scope {scope.pk} ({scope.name}) has no active model; train it first")
    existing = Forecast.objects.filter(scope=scope, day=day, model=model).first()
    if existing is not None:
        return existing
    if model.window_end > day:
        raise ForecastError(
            f"model v{model.version} of scope {scope.pk} was trained on data up to {model.window_end}; "
            f"it cannot forecast {day} without having seen it"
        )
    data = _issue_data(scope=scope, model=model, day=day)
    forecaster = load_forecaster(model=model)
    try:
        with _one_thread():
            frame = forecaster.predict_day(data=data, day=day)
    except ValueError as exc:
        raise ForecastError(f"scope {scope.pk} ({scope.name}), {day}: {exc}") from exc
    try:
        with transaction.atomic():
            forecast = Forecast.objects.create(
                scope=scope, model=model, day=day, issued_at=as_of, uses_temperature=data.temperature is not None
            )
            ForecastSlot.objects.bulk_create(
                ForecastSlot(
                    forecast=forecast,
                    slot_start=start.to_pydatetime(),
                    p10=float(row.p10),
                    p50=float(row.p50),
                    p90=float(row.p90),
                )
                for start, row in frame[["p10", "p50", "p90"]].iterrows()
            )
    except IntegrityError:
        # A concurrent worker issued the same forecast first; theirs stands.
        return Forecast.objects.get(scope=scope, day=day, model=model)
    return forecast


# --- default scopes --------------------------------------------------------------------------------


@dataclass
class ScopeCounts:
    created: int = 0
    existing: int = 0


def ensure_default_scopes() -> ScopeCounts:
    """The system, every feeder, every transformer area, every customer category and every active account
    at or above FORECAST_ACCOUNT_MIN_KVA contracted capacity get a scope at FORECAST_RESOLUTION_MINUTES
    (existing scopes, active or not, are left as they are). One read of what exists and one bulk insert
    of what is missing: a 10,000-customer grid has over 1,300 scopes."""
    minutes = settings.FORECAST_RESOLUTION_MINUTES
    kind = ForecastScope.Kind

    def scope(*, name: str, **target) -> ForecastScope:
        return ForecastScope(resolution_minutes=minutes, name=name[:120], **target)

    wanted = [scope(kind=kind.SYSTEM, name="全系统 / System")]
    wanted += [
        scope(kind=kind.FEEDER, feeder_id=pk, name=f"馈线 {code} {name}")
        for pk, code, name in Feeder.objects.order_by("code").values_list("pk", "code", "name")
    ]
    wanted += [
        scope(kind=kind.AREA, area_id=pk, name=f"台区 {code} {name}")
        for pk, code, name in TransformerArea.objects.order_by("code").values_list("pk", "code", "name")
    ]
    wanted += [scope(kind=kind.CATEGORY, category=value, name=f"类别 {value}") for value in Account.Category.values]
    large = Account.objects.filter(
        status=Account.Status.ACTIVE, contracted_kva__gte=Decimal(str(settings.FORECAST_ACCOUNT_MIN_KVA))
    ).order_by("number")
    wanted += [
        scope(kind=kind.ACCOUNT, account_id=pk, name=f"户号 {number}")
        for pk, number in large.values_list("pk", "number")
    ]

    existing = set(
        ForecastScope.objects.filter(resolution_minutes=minutes).values_list(
            "kind", "feeder_id", "area_id", "category", "account_id"
        )
    )
    missing = [s for s in wanted if (s.kind, s.feeder_id, s.area_id, s.category, s.account_id) not in existing]
    ForecastScope.objects.bulk_create(missing, batch_size=2000)
    return ScopeCounts(created=len(missing), existing=len(wanted) - len(missing))


def active_scope_ids() -> list[int]:
    return list(ForecastScope.objects.filter(active=True).order_by("pk").values_list("pk", flat=True))


# --- weather -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeatherRow:
    area_id: int
    at: dt.datetime
    kind: str
    temperature_c: Decimal
    issued_at: dt.datetime | None


@dataclass(frozen=True)
class RowError:
    line: int  # CSV line number (header = 1) or 0-based index in a JSON list
    message: str


@dataclass
class WeatherResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RowError] = field(default_factory=list)


WEATHER_FIELDS = ("area", "at", "temperature_c", "kind", "issued_at")


def _parse_moment(text: str, *, name: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(f"{name}: {text!r} is not an ISO 8601 date-time") from exc
    # Naive times are Asia/Shanghai wall time, like everything local in this system.
    return moment.replace(tzinfo=SHANGHAI) if moment.tzinfo is None else moment


def parse_weather_rows(records: list[dict], *, first_line: int) -> tuple[list[WeatherRow], list[RowError]]:
    """Validate raw records (CSV rows or JSON objects) into WeatherRows; each bad record becomes a RowError
    numbered from ``first_line``. The area is given by its code."""
    codes = {str(r.get("area") or "").strip() for r in records}
    areas = dict(TransformerArea.objects.filter(code__in=codes).values_list("code", "pk"))
    rows, errors, seen = [], [], set()
    for line, record in enumerate(records, start=first_line):
        try:
            if not isinstance(record, dict):
                raise ValueError("a row must be an object with area, at, temperature_c[, kind, issued_at]")
            code = str(record.get("area") or "").strip()
            if not code:
                raise ValueError("area: required")
            if code not in areas:
                raise ValueError(f"area: no transformer area with code {code!r}")
            if not str(record.get("at") or "").strip():
                raise ValueError("at: required")
            at = _parse_moment(str(record["at"]), name="at")
            try:
                temperature = Decimal(str(record.get("temperature_c", "")).strip())
            except InvalidOperation:
                raise ValueError(f"temperature_c: {record.get('temperature_c')!r} is not a number") from None
            if not temperature.is_finite() or not Decimal(-60) <= temperature <= Decimal(60):
                raise ValueError(f"temperature_c: {temperature} is outside -60…60 °C")
            kind = str(record.get("kind") or WeatherObservation.Kind.OBSERVED).strip().lower()
            if kind not in WeatherObservation.Kind.values:
                raise ValueError(f"kind: {kind!r} is not one of {', '.join(WeatherObservation.Kind.values)}")
            issued_text = str(record.get("issued_at") or "").strip()
            issued_at = _parse_moment(issued_text, name="issued_at") if issued_text else None
            if kind == WeatherObservation.Kind.FORECAST and issued_at is None:
                raise ValueError("issued_at: required for a forecast")
            if kind == WeatherObservation.Kind.OBSERVED and issued_at is not None:
                raise ValueError("issued_at: only forecasts have one")
            key = (areas[code], at, kind)
            if key in seen:
                raise ValueError(f"duplicate of an earlier row for {code} at {at.isoformat()} ({kind})")
            seen.add(key)
            rows.append(
                WeatherRow(
                    area_id=areas[code],
                    at=at,
                    kind=kind,
                    temperature_c=temperature.quantize(Decimal("0.01")),
                    issued_at=issued_at,
                )
            )
        except ValueError as exc:
            errors.append(RowError(line=line, message=str(exc)))
    return rows, errors


def upsert_weather(*, rows: list[WeatherRow]) -> WeatherResult:
    """Insert or update weather rows by (area, at, kind). Re-sending the same rows changes nothing; a
    forecast replaces a stored one only when it was issued at the same time or later."""
    result = WeatherResult()
    for offset in range(0, len(rows), 5000):
        chunk = rows[offset : offset + 5000]
        existing = {
            (w.area_id, w.at, w.kind): w
            for w in WeatherObservation.objects.filter(
                area_id__in={r.area_id for r in chunk},
                at__gte=min(r.at for r in chunk),
                at__lte=max(r.at for r in chunk),
                kind__in={r.kind for r in chunk},
            )
        }
        to_create, to_update = [], []
        for row in chunk:
            stored = existing.get((row.area_id, row.at, row.kind))
            if stored is None:
                to_create.append(WeatherObservation(**row.__dict__))
            elif stored.temperature_c == row.temperature_c and stored.issued_at == row.issued_at:
                result.unchanged += 1
            elif row.issued_at is not None and stored.issued_at is not None and row.issued_at < stored.issued_at:
                result.unchanged += 1  # an older forecast never overwrites a newer one
            else:
                stored.temperature_c, stored.issued_at = row.temperature_c, row.issued_at
                to_update.append(stored)
        with transaction.atomic():
            WeatherObservation.objects.bulk_create(to_create)
            WeatherObservation.objects.bulk_update(to_update, ["temperature_c", "issued_at"])
        result.created += len(to_create)
        result.updated += len(to_update)
    return result


# --- demo data -------------------------------------------------------------------------------------

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
            as_of=dt.datetime.combine(first_day, dt.time(1, 30), tzinfo=SHANGHAI),
            history_days=DEMO_HISTORY_DAYS,
        )
        issued = [
            issue_forecast(
                scope_id=system.pk,
                day=first_day + dt.timedelta(days=offset),
                as_of=dt.datetime.combine(first_day + dt.timedelta(days=offset - 1), dt.time(10, 30), tzinfo=SHANGHAI),
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
