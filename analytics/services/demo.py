"""seed_demo's analytics step (AnalyticsConfig.demo_seeder): each topic's demo figures, in turn."""

from __future__ import annotations

import datetime as dt

from analytics.services.forecasting import seed_forecasting_demo
from analytics.services.lineloss import seed_line_loss_demo
from analytics.services.segments import seed_segments_demo


def seed_analytics_demo(*, seed: int, as_of: dt.date, customers: int, curves: int | None, progress: bool) -> str:
    results = [
        seed_line_loss_demo(as_of=as_of),
        seed_segments_demo(seed=seed, as_of=as_of, customers=customers, curves=curves, progress=progress),
        seed_forecasting_demo(seed=seed, as_of=as_of, customers=customers, curves=curves, progress=progress),
    ]
    return "\n".join(str(result) for result in results)
