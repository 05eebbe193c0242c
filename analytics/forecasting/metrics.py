"""Forecast error measures. Arrays of actuals and forecasts of the same shape; pairs where either side is
missing (NaN) are left out, and MAPE also leaves out actuals of zero (a relative error is undefined there)."""

from __future__ import annotations

import numpy as np


def _pairs(actual, forecast) -> tuple[np.ndarray, np.ndarray]:
    actual = np.asarray(actual, dtype=float).ravel()
    forecast = np.asarray(forecast, dtype=float).ravel()
    if actual.shape != forecast.shape:
        raise ValueError(f"actual and forecast differ in length: {actual.shape[0]} vs {forecast.shape[0]}")
    keep = np.isfinite(actual) & np.isfinite(forecast)
    return actual[keep], forecast[keep]


def mape(actual, forecast) -> float:
    """Mean absolute percentage error, in percent."""
    actual, forecast = _pairs(actual, forecast)
    keep = actual != 0
    if not keep.any():
        return float("nan")
    return float(np.mean(np.abs(actual[keep] - forecast[keep]) / np.abs(actual[keep])) * 100.0)


def rmse(actual, forecast) -> float:
    actual, forecast = _pairs(actual, forecast)
    return float(np.sqrt(np.mean((actual - forecast) ** 2))) if len(actual) else float("nan")


def mae(actual, forecast) -> float:
    actual, forecast = _pairs(actual, forecast)
    return float(np.mean(np.abs(actual - forecast))) if len(actual) else float("nan")


def pinball(actual, forecast, *, quantile: float) -> float:
    """Mean pinball (quantile) loss in the unit of the series: q·(y−f) when under-forecast, (1−q)·(f−y) over."""
    if not 0.0 < quantile < 1.0:
        raise ValueError("quantile must lie strictly between 0 and 1")
    actual, forecast = _pairs(actual, forecast)
    if not len(actual):
        return float("nan")
    diff = actual - forecast
    return float(np.mean(np.maximum(quantile * diff, (quantile - 1.0) * diff)))


def coverage(actual, lower, upper) -> float:
    """Share of actuals inside [lower, upper] (0..1); for P10–P90 a calibrated forecast gives about 0.8."""
    actual = np.asarray(actual, dtype=float).ravel()
    lower = np.asarray(lower, dtype=float).ravel()
    upper = np.asarray(upper, dtype=float).ravel()
    keep = np.isfinite(actual) & np.isfinite(lower) & np.isfinite(upper)
    if not keep.any():
        return float("nan")
    inside = (actual[keep] >= lower[keep]) & (actual[keep] <= upper[keep])
    return float(np.mean(inside))


def seasonal_naive(load, *, slots_per_day: int, days: int = 7) -> np.ndarray:
    """The forecast 'same slot one week earlier': the series shifted by `days` × slots_per_day."""
    load = np.asarray(load, dtype=float).ravel()
    shift = days * slots_per_day
    out = np.full_like(load, np.nan)
    if shift < len(load):
        out[shift:] = load[:-shift]
    return out
