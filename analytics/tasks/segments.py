"""Celery task of customer segmentation: parse the arguments, call the service once."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from analytics.services.segments import default_window, run_segmentation
from core import clock

__all__ = ["run_segmentation_task"]


@shared_task(name="analytics.run_segmentation")
def run_segmentation_task(
    *,
    day_type: str,
    window_start: str | None = None,
    window_end: str | None = None,
    k: int | None = None,
) -> dict:
    """Monthly from beat with only ``day_type``: the three whole months before this one. Dates are ISO
    strings (the JSON serializer); a rerun makes a new run, and the latest finished one is current."""
    as_of = clock.now()
    start, end = default_window(as_of=as_of)
    run = run_segmentation(
        window_start=dt.date.fromisoformat(window_start) if window_start else start,
        window_end=dt.date.fromisoformat(window_end) if window_end else end,
        day_type=day_type,
        as_of=as_of,
        k=k,
    )
    return {"run_id": run.pk, "status": run.status, "k": run.k, "accounts": run.accounts_clustered}
