"""Day-ahead quantile load forecaster (P10/P50/P90) and its backtest.

Model: scikit-learn HistGradientBoostingRegressor on the features of `features.py`. P50 is the mean of three
members — quantile loss at 0.5, squared error, and squared error on the change against the last day of the
same kind (working / not working). P10 and P90 come from quantile-loss models with larger leaves, fitted
without the last four training weeks and then shifted so that those held-out weeks fall outside each bound
10 % of the time (split-conformal calibration). The target is the slot's load divided by the mean load of
the seven days before, so the trees learn shapes and ratios rather than absolute levels (they cannot
extrapolate a level they never saw, e.g. a system that grew since training). Quantiles are sorted per slot
to stay monotone.

Forecasting day D uses load strictly before D's midnight and temperature of D and earlier; load on/after D
in the input is cut off before any feature is built.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import pickle
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sklearn
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from analytics.forecasting import metrics
from analytics.forecasting.features import (
    LOOKBACK_DAYS,
    TZ,
    DayGrid,
    ForecastDataError,
    build_features,
    build_grid,
    infer_resolution_minutes,
    to_local_series,
)

__all__ = [
    "DEFAULT_PARAMS",
    "MIN_HISTORY_DAYS",
    "BacktestResult",
    "ForecastDataError",
    "QuantileForecaster",
    "SeriesData",
    "backtest",
]

FORMAT = "marketing-portal/quantile-forecaster"
FORMAT_VERSION = 3
QUANTILES = {"p10": 0.1, "p50": 0.5, "p90": 0.9}
# Fewer days with load than this before the first forecast day and there is nothing to learn from:
# two weeks give every weekday twice and the one-week lag once.
MIN_HISTORY_DAYS = 14
# Training rows start on the grid's 8th day, the first with a one-week lag.
FIRST_TRAIN_DAY = 7

DEFAULT_PARAMS: dict = {
    # The three P50 members (median, mean, mean of the change against the last day of the same kind).
    "max_iter": 250,
    "learning_rate": 0.08,
    "max_leaf_nodes": 31,
    "min_samples_leaf": 100,
    "l2_regularization": 1.0,
    # P10/P90: fitted on the training days themselves, tail quantiles of boosted trees come out too narrow;
    # fewer, larger leaves keep them closer to what is seen out of sample.
    "tail_max_iter": 100,
    "tail_max_leaf_nodes": 15,
    "tail_min_samples_leaf": 200,
    # Split-conformal calibration of P10/P90: the tail models are fitted on the training days except the
    # last `calibration_days`, and their bounds are then shifted so that on those held-out days 10 % of
    # the load falls below P10 and 10 % above P90 — quantile models judged on their own training days
    # are too sure of themselves (the band covered ~68 % instead of 80 % before; docs/benchmarks.md).
    "calibration_days": 28,
    # Older history than this is not trained on (a system changes; and it bounds training time).
    "max_train_days": 730,
    # More training rows than this and only every k-th slot of each day is trained on (the offset moves
    # one slot a day, so every slot of the day is still seen): neighbouring 15-minute slots are nearly
    # the same row twice, and the fit's cost grows with rows. A year of half-hourly data is not thinned.
    "max_train_rows": 20_000,
    "random_state": 0,
    # OpenMP threads while training/predicting. On cores shared with other work two threads spin-wait
    # for each other and ran several times slower than one (docs/benchmarks.md); scale by processes.
    "threads": 1,
}
_POINT_KEYS = ("max_iter", "learning_rate", "max_leaf_nodes", "min_samples_leaf", "l2_regularization", "random_state")
_TAIL_KEYS = {
    "tail_max_iter": "max_iter",
    "tail_max_leaf_nodes": "max_leaf_nodes",
    "tail_min_samples_leaf": "min_samples_leaf",
}
# P50 is the mean of these members' forecasts: each alone is about 3 % worse (MAPE) on the Victoria
# benchmark than their average (docs/benchmarks.md).
P50_MEMBERS = ("p50_median", "p50_mean", "p50_change")


@dataclass(frozen=True)
class SeriesData:
    load: pd.Series  # aware (Asia/Shanghai) DatetimeIndex of interval starts, regular 15/30/60 min, float
    temperature: pd.Series | None = None  # same resolution index, may extend into the forecast day(s); °C
    workday: pd.Series | None = None  # index of datetime.date -> 0/1 overriding the calendar


@dataclass(frozen=True)
class _Prepared:
    load: pd.Series
    temperature: pd.Series | None
    workday: pd.Series | None
    resolution_minutes: int


def _prepare(data: SeriesData) -> _Prepared:
    load = to_local_series(data.load, name="load").dropna()
    if load.empty:
        raise ForecastDataError("load: the series has no values")
    assert isinstance(load.index, pd.DatetimeIndex)  # to_local_series made it one
    resolution = infer_resolution_minutes(load.index, name="load")
    temperature = None
    if data.temperature is not None:
        temperature = _on_grid(to_local_series(data.temperature, name="temperature").dropna(), resolution)
    return _Prepared(load=load, temperature=temperature, workday=data.workday, resolution_minutes=resolution)


def _on_grid(temperature: pd.Series, resolution_minutes: int) -> pd.Series | None:
    """Temperature on the load's grid: weather often comes hourly while load is 15/30-minute, so values
    between observations are interpolated in time (over gaps of up to three hours, not further)."""
    if temperature.empty:
        return None
    start = temperature.index[0].floor(f"{resolution_minutes}min")
    grid = pd.date_range(start, temperature.index[-1], freq=f"{resolution_minutes}min")
    if grid.equals(temperature.index):
        return temperature
    merged = temperature.reindex(temperature.index.union(grid))
    limit = max(1, (180 // resolution_minutes))
    filled = merged.interpolate(method="time", limit=limit, limit_area="inside").reindex(grid)
    return filled.dropna()


def _midnight(day: dt.date) -> pd.Timestamp:
    return pd.Timestamp(day, tz=TZ)


def _merged_params(params: dict | None) -> dict:
    merged = dict(DEFAULT_PARAMS)
    if params:
        unknown = set(params) - set(DEFAULT_PARAMS)
        if unknown:
            raise ValueError(f"unknown forecaster parameters: {', '.join(sorted(unknown))}")
        merged.update(params)
    return merged


def _train(X: pd.DataFrame, y: np.ndarray, params: dict, *, slots: int) -> dict:
    """y is load / level, rows day-major with `slots` rows a day. Five models: three P50 members and the
    P10/P90 quantiles, plus the P10/P90 calibration shift."""
    with threadpool_limits(limits=max(1, int(params["threads"]))):
        return _train_members(X, y, params, slots)


def _train_members(X: pd.DataFrame, y: np.ndarray, params: dict, slots: int) -> dict:
    calibration_rows = _calibration_days(len(y) // slots, params) * slots
    in_calibration = np.zeros(len(y), dtype=bool)
    if calibration_rows:
        in_calibration[-calibration_rows:] = True
    keep = np.isfinite(y) & _thinned(len(y), slots, int(params["max_train_rows"]))
    X_cal, y_cal = X[keep & in_calibration], y[keep & in_calibration]
    X_tail, y_tail = X[keep & ~in_calibration], y[keep & ~in_calibration]
    X, y = X[keep], y[keep]
    point = {key: params[key] for key in _POINT_KEYS}
    tail = dict(point, **{target: params[source] for source, target in _TAIL_KEYS.items()})
    point["min_samples_leaf"] = scarce_data_leaf(configured=point["min_samples_leaf"], rows=len(y), floor=20, share=20)
    tail["min_samples_leaf"] = scarce_data_leaf(
        configured=tail["min_samples_leaf"], rows=len(y_tail), floor=40, share=7
    )
    same_kind = X["lag_same_kind"].to_numpy()
    has_same_kind = np.isfinite(same_kind)

    def fit(loss: str, options: dict, features: pd.DataFrame, target: np.ndarray, quantile: float | None = None):
        extra = {"quantile": quantile} if quantile is not None else {}
        model = HistGradientBoostingRegressor(loss=loss, early_stopping=False, **extra, **options)
        return model.fit(features, target)

    models = {
        "p50_median": fit("quantile", point, X, y, 0.5),
        "p50_mean": fit("squared_error", point, X, y),
        "p50_change": fit("squared_error", point, X[has_same_kind], (y - same_kind)[has_same_kind]),
        "p10": fit("quantile", tail, X_tail, y_tail, 0.1),
        "p90": fit("quantile", tail, X_tail, y_tail, 0.9),
        "tail_shift": (0.0, 0.0),
    }
    if len(y_cal):
        # How far below P10 / above P90 the held-out load goes at the 90th percentile: moving the bounds
        # out (or in) by that much leaves 10 % outside each side on those days.
        below = np.quantile(models["p10"].predict(X_cal) - y_cal, 0.9)
        above = np.quantile(y_cal - models["p90"].predict(X_cal), 0.9)
        models["tail_shift"] = (float(below), float(above))
    return models


def scarce_data_leaf(*, configured: int, rows: int, floor: int, share: int) -> int:
    """The leaf size for ``rows`` training rows: the configured one once there are ``share`` × that many
    rows (about six weeks of half-hourly data for the P50 members), less before, down to ``floor``. With
    two weeks of history (672 rows) leaves of 100 allow six leaves a tree, too coarse to follow a day's
    shape: elecdemand 15 Jan–28 Feb MAPE 8.91 % → 8.39 %, taylor 1.61 % → 1.58 %; from March on, with the
    configured leaves in use, nothing changes (docs/benchmarks.md)."""
    return min(configured, max(floor, rows // share))


def _thinned(rows: int, slots: int, max_rows: int) -> np.ndarray:
    """Mask keeping every k-th slot of each day (offset by the day) so that about `max_rows` remain."""
    step = max(1, int(np.ceil(rows / max_rows))) if max_rows > 0 else 1
    position = np.arange(rows)
    return (position % slots + position // slots) % step == 0


def _calibration_days(train_days: int, params: dict) -> int:
    """Held-out days for calibrating P10/P90; none when the tails would keep fewer than three weeks."""
    wanted = int(params["calibration_days"])
    return wanted if wanted > 0 and train_days - wanted >= 21 else 0


def _fit_predict_block(
    X_train: pd.DataFrame, y_train: np.ndarray, X_rows: pd.DataFrame, level_rows: np.ndarray, params: dict, slots: int
) -> np.ndarray:
    """One backtest block: train on the days before it, forecast its days (a process-pool job)."""
    models = _train(X_train, y_train, params, slots=slots)
    return _predict(models, X_rows, level_rows, threads=params["threads"])


def _predict(models: dict, X: pd.DataFrame, level: np.ndarray, *, threads: int = 1) -> np.ndarray:
    """(rows, 3) P10/P50/P90 in load units, sorted per row so the quantiles never cross."""
    with threadpool_limits(limits=max(1, int(threads))):
        return _predict_members(models, X, level)


def _predict_members(models: dict, X: pd.DataFrame, level: np.ndarray) -> np.ndarray:
    same_kind = X["lag_same_kind"].to_numpy()
    members = np.column_stack(
        [
            models["p50_median"].predict(X),
            models["p50_mean"].predict(X),
            models["p50_change"].predict(X) + same_kind,  # NaN without a day of the same kind: left out
        ]
    )
    with np.errstate(all="ignore"):
        p50 = np.nanmean(members, axis=1)
    below, above = models["tail_shift"]
    ratios = np.column_stack([models["p10"].predict(X) - below, p50, models["p90"].predict(X) + above])
    return np.sort(ratios, axis=1) * level[:, None]


def _history_days(load: pd.Series, before: dt.date) -> int:
    return int(load[load.index < _midnight(before)].index.normalize().nunique())  # type: ignore[attr-defined]  # pandas-stubs: a DatetimeIndex typed as Index


@dataclass
class QuantileForecaster:
    params: dict  # hyper-parameters
    feature_names: list[str]
    resolution_minutes: int
    trained_until: dt.date  # exclusive: trained on data strictly before this day
    uses_temperature: bool = False
    train_days: int = 0
    train_rows: int = 0
    models: dict = field(default_factory=dict, repr=False)

    @classmethod
    def fit(cls, *, data: SeriesData, until: dt.date, params: dict | None = None) -> QuantileForecaster:
        """Train on every day strictly before `until`."""
        merged = _merged_params(params)
        prepared = _prepare(data)
        load = prepared.load[prepared.load.index < _midnight(until)]
        history = _history_days(load, until)
        if history < MIN_HISTORY_DAYS:
            raise ForecastDataError(
                f"too little history before {until.isoformat()}: {history} days with load, at least {MIN_HISTORY_DAYS} needed"
            )
        first_day = max(
            load.index[0].date(), until - dt.timedelta(days=int(merged["max_train_days"]) + FIRST_TRAIN_DAY)
        )
        last_day = until - dt.timedelta(days=1)
        temperature = prepared.temperature
        uses_temperature = temperature is not None and bool((temperature.index < _midnight(until)).any())
        grid = build_grid(
            load=load,
            temperature=temperature if uses_temperature else None,
            workday=prepared.workday,
            first_day=first_day,
            last_day=last_day,
            resolution_minutes=prepared.resolution_minutes,
        )
        rows = np.arange(FIRST_TRAIN_DAY, len(grid.days))
        X, level = build_features(grid, day_indices=rows, with_temperature=uses_temperature)
        y = grid.load[rows].ravel() / level
        models = _train(X, y, merged, slots=grid.slots)
        return cls(
            params=merged,
            feature_names=list(X.columns),
            resolution_minutes=prepared.resolution_minutes,
            trained_until=until,
            uses_temperature=uses_temperature,
            train_days=len(rows),
            train_rows=int((np.isfinite(y) & _thinned(len(y), grid.slots, int(merged["max_train_rows"]))).sum()),
            models=models,
        )

    def predict_day(self, *, data: SeriesData, day: dt.date) -> pd.DataFrame:
        """P10/P50/P90 for every slot of `day` (index: the slots' aware starts). Load on/after `day` is ignored."""
        prepared = _prepare(data)
        if prepared.resolution_minutes != self.resolution_minutes:
            raise ForecastDataError(
                f"load: resolution {prepared.resolution_minutes} min, the model was trained at {self.resolution_minutes} min"
            )
        load = prepared.load[prepared.load.index < _midnight(day)]
        temperature = None
        if self.uses_temperature:
            temperature = prepared.temperature
            if temperature is not None:
                temperature = temperature[temperature.index < _midnight(day + dt.timedelta(days=1))]
            on_day = 0 if temperature is None else int((temperature.index >= _midnight(day)).sum())
            if on_day == 0:
                raise ForecastDataError(f"temperature: the model uses temperature and {day.isoformat()} has none")
        grid = build_grid(
            load=load,
            temperature=temperature,
            workday=prepared.workday,
            first_day=day - dt.timedelta(days=LOOKBACK_DAYS),
            last_day=day,
            resolution_minutes=self.resolution_minutes,
        )
        X, level = build_features(
            grid, day_indices=np.array([len(grid.days) - 1]), with_temperature=self.uses_temperature
        )
        if not np.isfinite(level).all():
            raise ForecastDataError(f"load: no values in the seven days before {day.isoformat()}")
        return _forecast_frame(
            day, grid, _predict(self.models, X[self.feature_names], level, threads=self.params.get("threads", 1))
        )

    def to_bytes(self) -> bytes:
        state = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "sklearn_version": sklearn.__version__,
            "params": self.params,
            "feature_names": self.feature_names,
            "resolution_minutes": self.resolution_minutes,
            "trained_until": self.trained_until.isoformat(),
            "uses_temperature": self.uses_temperature,
            "train_days": self.train_days,
            "train_rows": self.train_rows,
            "models": self.models,
        }
        return pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def from_bytes(cls, blob: bytes) -> QuantileForecaster:
        """Only for blobs from our own storage (pickle runs code): the caller checks their digest first."""
        state = pickle.loads(blob)  # noqa: S301 — integrity is verified by the registry before loading
        if not isinstance(state, dict) or state.get("format") != FORMAT:
            raise ValueError("not a forecaster artefact")
        if state.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"forecaster artefact format {state.get('format_version')}, this code reads {FORMAT_VERSION}"
            )
        return cls(
            params=state["params"],
            feature_names=state["feature_names"],
            resolution_minutes=state["resolution_minutes"],
            trained_until=dt.date.fromisoformat(state["trained_until"]),
            uses_temperature=state["uses_temperature"],
            train_days=state["train_days"],
            train_rows=state["train_rows"],
            models=state["models"],
        )

    def describe(self) -> dict:
        return {
            "format_version": FORMAT_VERSION,
            "model": "HistGradientBoostingRegressor: P50 = mean of median, mean and change-vs-same-kind members; P10/P90 quantile",
            "sklearn_version": sklearn.__version__,
            "params": dict(self.params),
            "features": list(self.feature_names),
            "quantiles": dict(QUANTILES),
            "resolution_minutes": self.resolution_minutes,
            "trained_until": self.trained_until.isoformat(),
            "uses_temperature": self.uses_temperature,
            "train_days": self.train_days,
            "train_rows": self.train_rows,
            # In units of the target (load ÷ the last seven days' mean load): how far P10 was moved down
            # and P90 up by the calibration on held-out days (negative: moved in).
            "p10_p90_calibration_shift": list(self.models.get("tail_shift", (0.0, 0.0))),
            # What was trained with, when scarce data shrank the configured leaves (scarce_data_leaf).
            "min_samples_leaf_used": {
                name: int(self.models[name].min_samples_leaf) for name in ("p50_median", "p10") if name in self.models
            },
        }


def _forecast_frame(day: dt.date, grid: DayGrid, quantiles: np.ndarray) -> pd.DataFrame:
    index = pd.date_range(_midnight(day), periods=grid.slots, freq=pd.Timedelta(minutes=grid.resolution_minutes))
    return pd.DataFrame(quantiles, index=index, columns=list(QUANTILES))


# ---------------------------------------------------------------------------------------------------------
# Backtest


@dataclass
class BacktestResult:
    metrics: dict
    per_day: pd.DataFrame  # one row per test day: mape, rmse, seasonal_naive_mape, coverage_p10_p90, …
    forecasts: pd.DataFrame  # one row per slot: actual, p10, p50, p90, seasonal_naive


def backtest(
    *,
    data: SeriesData,
    test_from: dt.date,
    test_to: dt.date | None = None,
    retrain_every_days: int = 7,
    params: dict | None = None,
    progress: Callable[[str], None] | None = None,
    workers: int = 1,
) -> BacktestResult:
    """Forecast every day of test_from..test_to (inclusive; default the last day with load) as at its midnight.

    The model is retrained every `retrain_every_days` on the days strictly before the block it forecasts,
    so a model never sees the day it forecasts. Features are built once for all days — a row of day D reads
    only load before D (see features.py), which is what predict_day would compute for D. The blocks are
    independent, so ``workers`` > 1 trains them in that many processes (one thread each).
    """
    if retrain_every_days < 1:
        raise ValueError("retrain_every_days must be at least 1")
    merged = _merged_params(params)
    prepared = _prepare(data)
    load = prepared.load
    last_load_day = load.index[-1].date()
    test_to = test_to or last_load_day
    if test_to > last_load_day:
        test_to = last_load_day
    if test_from > test_to:
        raise ForecastDataError(
            f"no load to test on from {test_from.isoformat()} (the data ends {last_load_day.isoformat()})"
        )
    history = _history_days(load, test_from)
    if history < MIN_HISTORY_DAYS:
        raise ForecastDataError(
            f"too little history before {test_from.isoformat()}: {history} days with load, at least {MIN_HISTORY_DAYS} needed"
        )
    uses_temperature = prepared.temperature is not None
    grid = build_grid(
        load=load[load.index < _midnight(test_to + dt.timedelta(days=1))],
        temperature=prepared.temperature,
        workday=prepared.workday,
        first_day=load.index[0].date(),
        last_day=test_to,
        resolution_minutes=prepared.resolution_minutes,
    )
    slots = grid.slots
    X, level = build_features(grid, day_indices=np.arange(len(grid.days)), with_temperature=uses_temperature)
    target = grid.load.ravel() / level
    predictions = np.full((len(grid.days) * slots, 3), np.nan)

    first_test, last_test = grid.day_index(test_from), grid.day_index(test_to)
    blocks = list(range(first_test, last_test + 1, retrain_every_days))
    jobs = []
    for block_start in blocks:
        block_end = min(block_start + retrain_every_days, last_test + 1)
        train_from = max(FIRST_TRAIN_DAY, block_start - int(merged["max_train_days"]))
        jobs.append((block_start, block_end, train_from))

    def work(job):
        block_start, block_end, train_from = job
        train = slice(train_from * slots, block_start * slots)
        rows = slice(block_start * slots, block_end * slots)
        return X.iloc[train], target[train], X.iloc[rows], level[rows], merged, slots

    if workers > 1 and len(jobs) > 1:
        # spawn, not fork: forking a process that runs threads (a web server, a test runner's browser
        # driver) can copy a held lock into the child and hang it. The blocks are pickled to the children.
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
        results = pool.map(_fit_predict_block, *zip(*(work(job) for job in jobs), strict=True))
    else:
        pool = None
        results = (_fit_predict_block(*work(job)) for job in jobs)
    try:
        for number, (job, block_predictions) in enumerate(zip(jobs, results, strict=True), start=1):
            block_start, block_end, train_from = job
            predictions[block_start * slots : block_end * slots] = block_predictions
            if progress:
                progress(
                    f"block {number}/{len(blocks)}: trained on {block_start - train_from} days before "
                    f"{grid.days[block_start].isoformat()}, forecast {block_end - block_start} day(s)"
                )
    finally:
        if pool is not None:
            pool.shutdown()

    test_rows = slice(first_test * slots, (last_test + 1) * slots)
    actual = grid.load.ravel()
    naive = metrics.seasonal_naive(actual, slots_per_day=slots)
    index = pd.date_range(
        _midnight(test_from),
        periods=(last_test - first_test + 1) * slots,
        freq=pd.Timedelta(minutes=grid.resolution_minutes),
    )
    forecasts = pd.DataFrame(
        {
            "actual": actual[test_rows],
            "p10": predictions[test_rows, 0],
            "p50": predictions[test_rows, 1],
            "p90": predictions[test_rows, 2],
            "seasonal_naive": naive[test_rows],
        },
        index=index,
    )
    per_day = _per_day(forecasts)
    evaluated = forecasts.dropna(subset=["actual"])
    summary = _summary(evaluated, per_day)
    summary.update(
        {
            "test_from": test_from.isoformat(),
            "test_to": test_to.isoformat(),
            "resolution_minutes": grid.resolution_minutes,
            "uses_temperature": uses_temperature,
            "retrain_every_days": retrain_every_days,
            "retrainings": len(blocks),
        }
    )
    return BacktestResult(metrics=summary, per_day=per_day, forecasts=forecasts)


def _summary(f: pd.DataFrame, per_day: pd.DataFrame) -> dict:
    model_mape = metrics.mape(f["actual"], f["p50"])
    naive_mape = metrics.mape(f["actual"], f["seasonal_naive"])
    return {
        "mape": _round(model_mape),
        "rmse": _round(metrics.rmse(f["actual"], f["p50"])),
        "mae": _round(metrics.mae(f["actual"], f["p50"])),
        "pinball_p10": _round(metrics.pinball(f["actual"], f["p10"], quantile=0.1)),
        "pinball_p50": _round(metrics.pinball(f["actual"], f["p50"], quantile=0.5)),
        "pinball_p90": _round(metrics.pinball(f["actual"], f["p90"], quantile=0.9)),
        "coverage_p10_p90": _round(metrics.coverage(f["actual"], f["p10"], f["p90"])),
        "days": len(per_day),
        "points": len(f),
        "seasonal_naive_mape": _round(naive_mape),
        "seasonal_naive_rmse": _round(metrics.rmse(f["actual"], f["seasonal_naive"])),
        "mape_ratio_to_naive": _round(model_mape / naive_mape) if naive_mape else None,
        "worst_day": per_day["mape"].idxmax().isoformat()  # type: ignore[attr-defined]  # a date label
        if per_day["mape"].notna().any()
        else None,
        "worst_day_mape": _round(per_day["mape"].max()) if per_day["mape"].notna().any() else None,
    }


def _per_day(forecasts: pd.DataFrame) -> pd.DataFrame:
    rows = {}
    for day, f in forecasts.groupby(forecasts.index.date):  # type: ignore[attr-defined]  # pandas-stubs: a DatetimeIndex typed as Index
        if not f["actual"].notna().any():
            continue
        rows[day] = {
            "mape": metrics.mape(f["actual"], f["p50"]),
            "rmse": metrics.rmse(f["actual"], f["p50"]),
            "seasonal_naive_mape": metrics.mape(f["actual"], f["seasonal_naive"]),
            "coverage_p10_p90": metrics.coverage(f["actual"], f["p10"], f["p90"]),
            "actual_mean": float(f["actual"].mean()),
        }
    frame = pd.DataFrame.from_dict(
        rows, orient="index", columns=["mape", "rmse", "seasonal_naive_mape", "coverage_p10_p90", "actual_mean"]
    )
    frame.index.name = "day"
    return frame


def _round(value: float | None, digits: int = 6) -> float | None:
    if value is None or not np.isfinite(value):
        return None
    return round(float(value), digits)
