#!/usr/bin/env python
"""Benchmark day-ahead forecasting of many transformer-area scopes on 2 cores.

    .venv/bin/python bench/forecast.py [--scopes 1000] [--days 365] [--workers 2] [--resolution 15]

Data: synthetic, generated in memory (no database): per scope a year of 15-minute load with its own
level, evening/day peak mix, weekday/weekend ratio, an annual heating/cooling swing driven by a shared
synthetic temperature, Chinese holidays damped to weekend level, and noise. Each worker process takes
scopes from a pool (ProcessPoolExecutor, default 2 workers = the machine's 2 cores) and per scope:

1. the engine (``analytics.forecasting.model.QuantileForecaster``): ``fit`` on the whole year
   (with temperature), then ``predict_day`` for the next day (P10/P50/P90);
2. the reference, in the same process on the same series: a plain scikit-learn Ridge on simple
   features (same slot yesterday and last week, slot of day, weekday) — fit and one-day forecast.

Prints seconds per scope for training and forecasting for both, the engine ÷ reference ratios, the
wall time, and the mean day-ahead MAPE of both on the forecast day (a sanity check, not the
accuracy benchmark — that is ``forecast_backtest`` on real data, docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

TZ = "Asia/Shanghai"
FIRST_DAY = dt.date(2025, 11, 1)


def _holidays(first: dt.date, days: int) -> np.ndarray:
    from core.calendar import is_working_day

    return np.array([not is_working_day(first + dt.timedelta(days=d)) for d in range(days)])


def synthetic_scope(seed: int, *, days: int, resolution: int) -> tuple[pd.Series, pd.Series]:
    """One transformer area's load (kWh per slot) and the temperature it sees, days + 1 (the forecast day)."""
    rng = np.random.default_rng(seed)
    per_day = 24 * 60 // resolution
    total_days = days + 1
    index = pd.date_range(pd.Timestamp(FIRST_DAY, tz=TZ), periods=total_days * per_day, freq=f"{resolution}min")
    hour = (np.arange(len(index)) % per_day) * resolution / 60
    day_of_year = np.repeat(np.arange(total_days), per_day) + FIRST_DAY.timetuple().tm_yday
    # Temperature: annual swing, daily swing, weather noise that persists over days.
    weather = np.repeat(np.cumsum(rng.normal(0, 0.8, total_days)) * 0.3, per_day)
    temperature = (
        17 - 11 * np.cos(2 * np.pi * (day_of_year - 20) / 365) + 4 * np.sin(2 * np.pi * (hour - 9) / 24) + weather
    )
    level = rng.uniform(20, 120)  # kWh per slot at the area's base
    evening, daytime = rng.uniform(0.3, 0.9), rng.uniform(0.1, 0.7)
    shape = 1 + evening * np.exp(-((hour - 19.5) ** 2) / 5) + daytime * np.exp(-((hour - 11) ** 2) / 8)
    off = np.repeat(_holidays(FIRST_DAY, total_days), per_day)
    weekday_ratio = np.where(off, rng.uniform(0.75, 0.95), 1.0)
    weather_load = 1 + 0.02 * np.clip(temperature - 24, 0, None) + 0.012 * np.clip(14 - temperature, 0, None)
    noise = 1 + rng.normal(0, 0.03, len(index))
    load = level * shape * weekday_ratio * weather_load * noise
    return pd.Series(load, index=index, name="load"), pd.Series(temperature, index=index, name="temperature")


def _ridge_design(load: np.ndarray, per_day: int, weekdays: np.ndarray, rows: np.ndarray) -> np.ndarray:
    slot = np.tile(np.eye(per_day), (len(rows), 1))
    d1 = np.concatenate([load[(r - 1) * per_day : r * per_day] for r in rows])
    d7 = np.concatenate([load[(r - 7) * per_day : (r - 6) * per_day] for r in rows])
    wd = np.repeat(np.eye(7)[weekdays[rows]], per_day, axis=0)
    return np.column_stack([d1, d7, slot, wd])


def reference_ridge(load: pd.Series, *, days: int, per_day: int) -> tuple[float, float, np.ndarray]:
    from sklearn.linear_model import Ridge

    values = load.to_numpy()
    weekdays = np.array([(FIRST_DAY + dt.timedelta(days=d)).weekday() for d in range(days + 1)])
    started = time.perf_counter()
    train_rows = np.arange(7, days)
    X = _ridge_design(values, per_day, weekdays, train_rows)
    y = values[7 * per_day : days * per_day]
    model = Ridge(alpha=1.0).fit(X, y)
    trained = time.perf_counter()
    prediction = model.predict(_ridge_design(values, per_day, weekdays, np.array([days])))
    predicted = time.perf_counter()
    return trained - started, predicted - trained, prediction


def one_scope(args: tuple[int, int, int]) -> dict:
    seed, days, resolution = args
    from analytics.forecasting.model import QuantileForecaster, SeriesData

    per_day = 24 * 60 // resolution
    load, temperature = synthetic_scope(seed, days=days, resolution=resolution)
    forecast_day = FIRST_DAY + dt.timedelta(days=days)
    history = load.iloc[: days * per_day]
    actual = load.iloc[days * per_day :].to_numpy()
    data = SeriesData(load=history, temperature=temperature)
    started, cpu_started = time.perf_counter(), time.process_time()
    model = QuantileForecaster.fit(data=data, until=forecast_day)
    trained, cpu_trained = time.perf_counter(), time.process_time()
    frame = model.predict_day(data=data, day=forecast_day)
    predicted, cpu_predicted = time.perf_counter(), time.process_time()
    ridge_cpu = time.process_time()
    ridge_train, ridge_predict, ridge_prediction = reference_ridge(load, days=days, per_day=per_day)
    return {
        "train": trained - started,
        "predict": predicted - trained,
        "train_cpu": cpu_trained - cpu_started,
        "predict_cpu": cpu_predicted - cpu_trained,
        "ridge_cpu": time.process_time() - ridge_cpu,
        "ridge_train": ridge_train,
        "ridge_predict": ridge_predict,
        "mape": float(np.mean(np.abs(frame["p50"].to_numpy() - actual) / actual) * 100),
        "ridge_mape": float(np.mean(np.abs(ridge_prediction - actual) / actual) * 100),
    }


def _init_worker() -> None:
    # One BLAS/OpenMP thread per process: the pool already uses every core.
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketing_portal.settings.test")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scopes", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--resolution", type=int, default=15, choices=[15, 30])
    options = parser.parse_args()
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"  # inherited by the workers before they import numpy
    print(
        f"machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{options.scopes} scopes × {options.days} days of {options.resolution}-minute load (synthetic, in memory), "
        f"{options.workers} worker processes"
    )
    jobs = [(seed, options.days, options.resolution) for seed in range(options.scopes)]
    started = time.perf_counter()
    results = []
    with ProcessPoolExecutor(max_workers=options.workers, initializer=_init_worker) as pool:
        for done, result in enumerate(pool.map(one_scope, jobs, chunksize=1), start=1):
            results.append(result)
            if done % max(1, options.scopes // 20) == 0 or done == options.scopes:
                elapsed = time.perf_counter() - started
                print(f"  {done}/{options.scopes} scopes, {elapsed:.0f} s", flush=True)
    wall = time.perf_counter() - started
    mean = {key: float(np.mean([r[key] for r in results])) for key in results[0]}
    engine_cpu = mean["train_cpu"] + mean["predict_cpu"]
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print(f"wall time: {wall:.1f} s for {options.scopes} scopes ({wall / options.scopes:.3f} s per scope on the pool)")
    print(
        f"CPU seconds per scope (not inflated by other load on the machine): engine train {mean['train_cpu']:.2f}, "
        f"forecast {mean['predict_cpu']:.3f}; reference train + forecast {mean['ridge_cpu']:.2f}; "
        f"ratio {engine_cpu / mean['ridge_cpu']:.1f}×"
    )
    print(
        f"on {options.workers} otherwise idle cores: {engine_cpu * 1000 / options.workers / 60:.0f} min per 1,000 scopes "
        f"(engine), {mean['ridge_cpu'] * 1000 / options.workers / 60:.1f} min (reference)"
    )
    print(
        f"engine    train {mean['train']:.3f} s/scope, forecast {mean['predict']:.4f} s/scope, MAPE {mean['mape']:.2f} %"
    )
    print(
        f"reference train {mean['ridge_train']:.3f} s/scope, forecast {mean['ridge_predict']:.4f} s/scope, "
        f"MAPE {mean['ridge_mape']:.2f} % (plain Ridge: yesterday, last week, slot, weekday)"
    )
    print(
        f"ratio engine ÷ reference: train {mean['train'] / mean['ridge_train']:.1f}×, "
        f"forecast {mean['predict'] / mean['ridge_predict']:.1f}×"
    )


if __name__ == "__main__":
    main()
