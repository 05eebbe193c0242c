"""Segmentation's part of seed_demo: both day types of the three whole months before the demo's as-of."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from analytics.models import SegmentationRun
from analytics.models.segments import DayType
from analytics.services.segments import default_window, run_segmentation
from core.time import local_midnight


@dataclass(frozen=True)
class SegmentsDemoResult:
    runs: list[SegmentationRun]
    seconds: float

    def __str__(self) -> str:
        parts = [
            f"{run.day_type} k={run.k}, {run.accounts_clustered:,} accounts"
            if run.k
            else f"{run.day_type} {run.status}"
            for run in self.runs
        ]
        return f"Segments: {'; '.join(parts)} ({self.seconds:.1f} s)."


def seed_segments_demo(
    *, seed: int, as_of: dt.date, customers: int, curves: int | None, progress: bool
) -> SegmentsDemoResult:
    """seed_demo's last step (AnalyticsConfig.demo_seeder): segment the demo curves of the three whole
    months before ``as_of``'s month, working days and days off, so the staff page, the admin and the
    hall's comparison have something to show. About 1–2 s on the default demo (docs/benchmarks.md)."""
    started = time.perf_counter()
    moment = local_midnight(as_of)
    window_start, window_end = default_window(as_of=moment)
    runs = [
        run_segmentation(window_start=window_start, window_end=window_end, day_type=day_type, as_of=moment)
        for day_type in DayType.values
    ]
    return SegmentsDemoResult(runs=runs, seconds=time.perf_counter() - started)
