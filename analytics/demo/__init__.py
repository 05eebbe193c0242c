"""seed_demo's analytics step (AnalyticsConfig.demo_seeder): each topic's demo figures, in turn, through
the same services the app uses (one module per topic here; the services never import this package)."""

from __future__ import annotations

import datetime as dt
import time

from analytics.demo.forecasting import seed_forecasting_demo
from analytics.demo.lineloss import seed_line_loss_demo
from analytics.demo.segments import seed_segments_demo


def seed_analytics_demo(*, seed: int, as_of: dt.date, customers: int, curves: int | None, progress: bool) -> str:
    steps = [
        lambda: seed_line_loss_demo(as_of=as_of),
        lambda: seed_segments_demo(seed=seed, as_of=as_of, customers=customers, curves=curves, progress=progress),
        lambda: seed_forecasting_demo(seed=seed, as_of=as_of, customers=customers, curves=curves, progress=progress),
    ]
    results = []
    for step in steps:
        started = time.perf_counter()
        results.append(f"{step()} ({time.perf_counter() - started:.1f} s)")
    return "\n".join(results)
