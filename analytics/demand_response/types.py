"""Value types of the demand-response maths: enums, settings and results (frozen, no behaviour).

Conventions shared by every function in this package (docs/demand-response.md says why):

* Load is **average kW per interval** (kWh in the interval × 60 / interval_minutes).
* Timestamps are aware and mark the **interval start**; days are local days in Asia/Shanghai
  (UTC+8 all year: the mainland has no DST, so a fixed offset is exact).
* Interval length is 15, 30 or 60 minutes and is read from the load's index.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum, StrEnum

import pandas as pd

from core.time import SHANGHAI as SHANGHAI  # re-exported for callers of this package


class DayKind(Enum):
    """What the caller's mainland calendar says a date is."""

    WORKING = "working"
    NON_WORKING = "non_working"  # weekends and statutory holidays
    ADJUSTED_WORKING = "adjusted_working"  # 调休: a weekend day worked by State Council decree


class BaselineMethod(StrEnum):
    SIMILAR_WORKING_DAYS = "similar_working_days"
    HIGH_5_OF_10 = "high_5_of_10"
    TEN_OF_TEN_ADJUSTED = "ten_of_ten_adjusted"
    REGRESSION = "regression"


class AdjustmentKind(StrEnum):
    RATIO = "ratio"  # multiplicative (CAISO, NYISO)
    DIFFERENCE = "difference"  # additive


class AdjustmentAnchor(StrEnum):
    BEFORE_NOTICE = "before_notice"  # window ends gap hours before min(start, notice): the customer cannot move it
    BEFORE_START = "before_start"  # window ends gap hours before the event start, whatever the notice


class NonWorkingPool(StrEnum):
    """Which non-working days stand in for a non-working event day."""

    ANY = "any"  # weekends and holidays together (default)
    SAME_SUBKIND = "same_subkind"  # holidays only from holidays, weekend days only from weekend days


class Direction(StrEnum):
    SHAVE = "shave"  # 削峰: load below baseline is the response
    FILL = "fill"  # 填谷: load above baseline is the response


class Quality(int, Enum):
    """Billing interval-reading quality codes."""

    ACTUAL = 0
    ESTIMATED = 1
    EDITED = 2


class SkipReason(StrEnum):
    """Why a day that was examined was not used; the value is the stable code shown to staff."""

    NON_WORKING = "non_working"
    WORKING = "working"
    ADJUSTED_WORKING = "adjusted_working"
    OTHER_SUBKIND = "other_subkind"
    CALENDAR_MISMATCH = "calendar_mismatch"
    PRIOR_EVENT = "prior_event"
    MISSING_DATA = "missing_data"
    ESTIMATED_DATA = "estimated_data"
    ZERO_LOAD = "zero_load"
    ABNORMAL = "abnormal"
    NOT_IN_TOP = "not_in_top"
    BEYOND_LOOKBACK = "beyond_lookback"


@dataclass(frozen=True)
class EventWindow:
    """One event for one account: [start, end) on one local day, and when the customer was told."""

    start: datetime
    end: datetime
    notice_at: datetime


@dataclass(frozen=True)
class SkippedDay:
    day: date
    code: SkipReason
    text: str


@dataclass(frozen=True)
class BaselineSettings:
    """Per-program choices; defaults and their sources are in docs/demand-response.md."""

    # Which days count as which kind.
    adjusted_working_counts_as_working: bool = False
    non_working_pool: NonWorkingPool = NonWorkingPool.ANY
    lookback_days: int = 45

    # Data problems: a day is disqualified if any event-window interval is missing (or estimated), or
    # more than this share of the whole day is; edited (2) counts as good data.
    max_bad_day_fraction: float = 0.10
    estimated_disqualifies: bool = True
    zero_load_kw: float = 0.0  # a window whose every interval is at or below this (abs) is "zero load"

    # SIMILAR_WORKING_DAYS (Jiangsu-style).
    similar_working_days: int = 5
    similar_non_working_days: int = 3
    min_working_days: int = 3
    min_non_working_days: int = 2
    drop_abnormal_days: bool = True
    abnormal_deviation: float = 0.25

    # HIGH_5_OF_10 (PJM / Beijing style): (how many to keep, out of how many eligible days).
    high_working: tuple[int, int] = (5, 10)
    high_non_working: tuple[int, int] = (2, 3)

    # TEN_OF_TEN_ADJUSTED (CAISO / NYISO style).
    ten_of_ten_working_days: int = 10
    ten_of_ten_non_working_days: int = 4
    adjustment_kind: AdjustmentKind = AdjustmentKind.RATIO
    adjustment_hours: float = 2.0
    adjustment_gap_hours: float = 1.0
    adjustment_anchor: AdjustmentAnchor = AdjustmentAnchor.BEFORE_NOTICE
    adjustment_cap: float = 0.20
    # Also adjust the high-5-of-10 baseline (NYISO's weather-sensitive adjustment); off by default.
    adjust_high_5_of_10: bool = False

    # REGRESSION (CalTRACK-hourly style).
    regression_weeks: int = 8
    regression_min_days: int = 28
    regression_min_coverage: float = 0.90
    temperature_knots_c: tuple[float, ...] = (12.0, 18.0, 24.0)
    min_points_per_temperature_segment: int = 20

    def __post_init__(self) -> None:
        if not 2 <= self.similar_non_working_days <= 3:
            raise ValueError("similar_non_working_days must be 2 or 3")
        for keep, pool in (self.high_working, self.high_non_working):
            if not 0 < keep <= pool:
                raise ValueError("high-of-N settings need 0 < keep <= pool")
        if self.adjustment_cap < 0 or self.abnormal_deviation <= 0:
            raise ValueError("caps and deviations must be positive")
        if self.adjustment_hours <= 0 or self.adjustment_gap_hours < 0:
            raise ValueError("adjustment window must have a positive length and a non-negative gap")
        if list(self.temperature_knots_c) != sorted(self.temperature_knots_c):
            raise ValueError("temperature knots must be ascending")


DEFAULT_SETTINGS = BaselineSettings()


@dataclass(frozen=True)
class Adjustment:
    """The same-day adjustment of a baseline, with what it was computed from."""

    kind: AdjustmentKind
    anchor: AdjustmentAnchor
    window_start: datetime
    window_end: datetime
    actual_mean_kw: float | None
    baseline_mean_kw: float | None
    raw: float | None  # factor (ratio) or offset in kW (difference), before the cap
    applied: float  # what was applied: 1.0 / 0.0 when not applied
    capped: bool
    note: str | None = None


@dataclass(frozen=True)
class RegressionFit:
    """What the regression learnt, for the staff view and for tests."""

    knots_c: tuple[float, ...]  # knots left after merging sparse temperature segments
    slopes_kw_per_c: tuple[float, ...]  # one slope per segment, lowest first
    fit_days: int
    fit_points: int
    r_squared: float
    cv_rmse: float


@dataclass(frozen=True)
class BaselineResult:
    method: BaselineMethod
    values: pd.Series  # kW per interval of the event window, indexed by interval start (local)
    days_used: tuple[date, ...]
    days_skipped: tuple[SkippedDay, ...]
    insufficient: bool
    fallback_reason: str | None = None
    fallback_from: BaselineMethod | None = None
    unadjusted: pd.Series | None = None
    adjustment: Adjustment | None = None
    regression: RegressionFit | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class BaselineComparison:
    """All four methods for one account-event, side by side (the staff view)."""

    results: Mapping[BaselineMethod, BaselineResult] = field(default_factory=dict)

    def frame(self) -> pd.DataFrame:
        """Baseline kW per interval, one column per method."""
        return pd.DataFrame({str(method): result.values for method, result in self.results.items()})
