"""Forecasting operations: training a scope's model into the registry, issuing a day-ahead forecast,
the private artefact store, and queueing both for every active scope (the nightly and daily fan-outs).
Default scopes are in ``analytics.services.forecast_scopes``, weather ingestion in
``analytics.services.weather``.

The engine (``analytics.forecasting``) is pure pandas/scikit-learn; this module feeds it the scope's
series from the database (``analytics.selectors.forecasting``) and records what it produced.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
from pathlib import Path
from typing import Any

import pandas as pd
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from threadpoolctl import threadpool_limits

from analytics.forecasting.model import QuantileForecaster, SeriesData, backtest
from analytics.models import Forecast, ForecastModel, ForecastScope, ForecastSlot
from analytics.selectors.forecasting import active_scope_ids, scope_load_series, scope_temperature_series
from core.tasks import enqueue_on_commit
from core.time import SHANGHAI_NAME, local_date

logger = logging.getLogger(__name__)

QUEUE = "analytics"
TRAIN_TASK = "analytics.forecast_train_scope"
ISSUE_TASK = "analytics.forecast_issue"
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
    return load[load.index >= pd.Timestamp(first.date(), tz=SHANGHAI_NAME)]  # type: ignore[union-attr]  # a Timestamp


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
    days = int(load.notna().groupby(load.index.date).any().sum())  # type: ignore[attr-defined]  # pandas-stubs: a DatetimeIndex typed as Index
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
    until = local_date(as_of)
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
        day_index = temperature.index >= pd.Timestamp(day, tz=SHANGHAI_NAME)
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
                    slot_start=start.to_pydatetime(),  # type: ignore[attr-defined]  # a Timestamp label
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


# --- queueing every active scope ---------------------------------------------------------------------


def enqueue_training(*, as_of: dt.datetime, scope_ids: list[int] | None = None) -> int:
    """One training task per scope (default: every active scope) on the history before ``as_of``'s local
    day, sent when the surrounding transaction commits; returns how many were queued. Workers share the
    scopes: each is its own task."""
    ids = active_scope_ids() if scope_ids is None else list(scope_ids)
    for scope_id in ids:
        enqueue_on_commit(TRAIN_TASK, queue=QUEUE, kwargs={"scope_id": scope_id, "as_of": as_of.isoformat()})
    return len(ids)


def enqueue_issuing(*, as_of: dt.datetime) -> int:
    """One task per active scope issuing its forecast for the local day after ``as_of``'s; returns how
    many were queued."""
    day = (local_date(as_of) + dt.timedelta(days=1)).isoformat()
    ids = active_scope_ids()
    for scope_id in ids:
        enqueue_on_commit(
            ISSUE_TASK, queue=QUEUE, kwargs={"scope_id": scope_id, "day": day, "as_of": as_of.isoformat()}
        )
    return len(ids)
