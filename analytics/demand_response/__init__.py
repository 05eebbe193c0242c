"""Demand-response (需求响应) baseline and measurement maths: pure functions, no Django.

Load is average kW per interval, indexed by aware interval-start timestamps; days are Asia/Shanghai
local days; the mainland calendar and the excluded (prior-event) days come from the caller.
See docs/demand-response.md.
"""

from .baselines import (
    compare_baselines,
    compute_baseline,
    high_5_of_10_baseline,
    regression_baseline,
    similar_working_days_baseline,
    ten_of_ten_adjusted_baseline,
)
from .types import (
    DEFAULT_SETTINGS,
    SHANGHAI,
    Adjustment,
    AdjustmentAnchor,
    AdjustmentKind,
    BaselineComparison,
    BaselineMethod,
    BaselineResult,
    BaselineSettings,
    DayKind,
    Direction,
    EventWindow,
    NonWorkingPool,
    Quality,
    RegressionFit,
    SkippedDay,
    SkipReason,
)

__all__ = [
    "DEFAULT_SETTINGS",
    "SHANGHAI",
    "Adjustment",
    "AdjustmentAnchor",
    "AdjustmentKind",
    "BaselineComparison",
    "BaselineMethod",
    "BaselineResult",
    "BaselineSettings",
    "DayKind",
    "Direction",
    "EventWindow",
    "NonWorkingPool",
    "Quality",
    "RegressionFit",
    "SkipReason",
    "SkippedDay",
    "compare_baselines",
    "compute_baseline",
    "high_5_of_10_baseline",
    "regression_baseline",
    "similar_working_days_baseline",
    "ten_of_ten_adjusted_baseline",
]
