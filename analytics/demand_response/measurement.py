"""Verified response of one account in one event: baseline against actual load, to Decimal at the edge.

Loads are average kW per interval. Floats inside; the figures that reach settlement leave as Decimal:
energy and power ROUND_HALF_UP to 0.001 (kWh, kW), the ratio to committed ROUND_HALF_UP to 0.0001.
Money is computed elsewhere from these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._grid import local_index
from .types import Direction, Quality

KWH = Decimal("0.001")
RATIO = Decimal("0.0001")


def _decimal(value: float, step: Decimal) -> Decimal:
    # Round the float to 1e-9 first so binary artefacts (0.49999999999999994) do not decide a half-up.
    return Decimal(f"{value:.9f}").quantize(step, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class DataFlag:
    timestamp: datetime
    code: str  # "actual_missing", "actual_estimated", "baseline_missing"


@dataclass(frozen=True)
class Performance:
    direction: Direction
    netting: bool
    response_kw: pd.Series  # signed per-interval response (positive = in the event's direction); NaN if unknown
    paid_kw: pd.Series  # per interval: clipped at 0 without netting; equal to response_kw with netting
    verified_kwh: Decimal
    verified_avg_kw: Decimal
    window_hours: Decimal
    committed_kw: Decimal
    ratio_to_committed: Decimal | None  # None when nothing was committed
    flags: tuple[DataFlag, ...]
    data_complete: bool


def measure_performance(
    *,
    baseline: pd.Series,
    actual: pd.Series,
    direction: Direction,
    committed_kw: Decimal | float,
    interval_minutes: int,
    quality: pd.Series | None = None,
    netting: bool = False,
) -> Performance:
    """Per-interval response and the verified energy, average power and ratio to the committed kW.

    ``baseline`` defines the event window (one value per interval start). Response is baseline − actual
    (shave) or actual − baseline (fill). Without netting each interval's negative response counts as 0;
    with netting the window is summed first and only a negative total is clipped to 0. An interval with
    no actual or no baseline reading contributes nothing and is flagged; the window's hours always count
    in full, so missing data can only lower the average. ``data_complete`` is false when any interval is
    missing or estimated; the caller then sends the settlement to staff review.
    """
    if interval_minutes not in (15, 30, 60):
        raise ValueError("interval_minutes must be 15, 30 or 60")
    index = local_index(baseline, "baseline")
    base = pd.Series(baseline.to_numpy(dtype=np.float64), index=index)
    act = pd.Series(actual.to_numpy(dtype=np.float64), index=local_index(actual, "actual")).reindex(index)
    response = base - act if direction is Direction.SHAVE else act - base
    flags: list[DataFlag] = []
    estimated = np.zeros(len(index), dtype=np.bool_)
    if quality is not None:
        codes = pd.Series(quality.to_numpy(), index=local_index(quality, "quality")).reindex(index)
        estimated = (codes == int(Quality.ESTIMATED)).to_numpy()
    for position, moment in enumerate(index):
        if np.isnan(act.iloc[position]):
            flags.append(DataFlag(moment.to_pydatetime(), "actual_missing"))
        elif estimated[position]:
            flags.append(DataFlag(moment.to_pydatetime(), "actual_estimated"))
        if np.isnan(base.iloc[position]):
            flags.append(DataFlag(moment.to_pydatetime(), "baseline_missing"))
    hours_each = interval_minutes / 60
    known = response.fillna(0.0)
    if netting:
        paid = known
        kwh = max(float(known.sum()) * hours_each, 0.0)
    else:
        paid = known.clip(lower=0.0)
        kwh = float(paid.sum()) * hours_each
    window_hours = len(index) * hours_each
    committed = Decimal(str(committed_kw))
    verified_kwh = _decimal(kwh, KWH)
    avg_kw = kwh / window_hours if window_hours else 0.0
    ratio = None
    if committed > 0:
        # From the unrounded average, so the ratio does not inherit the kW rounding.
        ratio = (Decimal(f"{avg_kw:.9f}") / committed).quantize(RATIO, rounding=ROUND_HALF_UP)
    return Performance(
        direction=direction,
        netting=netting,
        response_kw=response,
        paid_kw=paid,
        verified_kwh=verified_kwh,
        verified_avg_kw=_decimal(avg_kw, KWH),
        window_hours=Decimal(str(window_hours)),
        committed_kw=committed,
        ratio_to_committed=ratio,
        flags=tuple(flags),
        data_complete=not flags,
    )


@dataclass(frozen=True)
class BatchPerformance:
    """``measure_performance`` for many accounts of one event at once (same rules, no per-interval flags)."""

    response_kw: npt.NDArray[np.float64]  # (accounts, intervals) signed; NaN where unknown
    paid_kw: npt.NDArray[np.float64]  # (accounts, intervals)
    verified_kwh: npt.NDArray[np.float64]  # (accounts,)
    verified_avg_kw: npt.NDArray[np.float64]  # (accounts,)
    missing: npt.NDArray[np.int64]  # (accounts,) intervals without an actual or a baseline value
    estimated: npt.NDArray[np.int64]  # (accounts,) intervals whose actual was estimated
    window_hours: float

    @property
    def data_complete(self) -> npt.NDArray[np.bool_]:
        complete: npt.NDArray[np.bool_] = (self.missing == 0) & (self.estimated == 0)
        return complete


def measure_performance_batch(
    *,
    baseline: npt.NDArray[np.float64],
    actual: npt.NDArray[np.float64],
    direction: Direction,
    interval_minutes: int,
    estimated: npt.NDArray[np.bool_] | None = None,
    netting: bool = False,
) -> BatchPerformance:
    if baseline.shape != actual.shape or baseline.ndim != 2:
        raise ValueError("baseline and actual must both be (accounts, intervals)")
    response = baseline - actual if direction is Direction.SHAVE else actual - baseline
    known = np.nan_to_num(response, nan=0.0)
    hours_each = interval_minutes / 60
    if netting:
        paid = known
        kwh = np.maximum(known.sum(axis=1) * hours_each, 0.0)
    else:
        paid = np.clip(known, 0.0, None)
        kwh = paid.sum(axis=1) * hours_each
    window_hours = baseline.shape[1] * hours_each
    missing = (np.isnan(actual) | np.isnan(baseline)).sum(axis=1)
    est = (
        np.zeros(actual.shape[0], dtype=np.int64) if estimated is None else (estimated & ~np.isnan(actual)).sum(axis=1)
    )
    return BatchPerformance(
        response_kw=response,
        paid_kw=paid,
        verified_kwh=kwh,
        verified_avg_kw=kwh / window_hours if window_hours else np.zeros_like(kwh),
        missing=missing.astype(np.int64),
        estimated=np.asarray(est, dtype=np.int64),
        window_hours=window_hours,
    )
