"""Line-loss tasks (queue ``analytics``): one service call each."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import OperationalError

from analytics.services.lineloss import compute_line_loss
from core import clock
from core.time import local_date

__all__ = ["compute_line_loss_task"]

# The nightly run recomputes this many days back: meter data arriving late (collection retries,
# uploaded files, staff edits) change the last days' loss after the first computation.
RERUN_DAYS = 4


@shared_task(
    name="analytics.compute_line_loss",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def compute_line_loss_task(
    *, start: str | None = None, end: str | None = None, area_ids: list[int] | None = None
) -> str:
    """Days ``start`` ≤ day < ``end`` (ISO dates); without them, the RERUN_DAYS days up to yesterday."""
    as_of = clock.now()
    today = local_date(as_of)
    end_day = dt.date.fromisoformat(end) if end else today
    start_day = dt.date.fromisoformat(start) if start else end_day - dt.timedelta(days=RERUN_DAYS)
    return str(compute_line_loss(start=start_day, end=end_day, area_ids=area_ids, as_of=as_of))
