"""Enqueueing Celery tasks from services without importing the task modules (tasks import services,
so services importing tasks would be a cycle): tasks are looked up by their registered name."""

from __future__ import annotations

from typing import Any

from celery import current_app, shared_task
from django.db import transaction

from core import clock
from core.idempotency import expire_records


def enqueue(
    task_name: str, *, queue: str, kwargs: dict[str, Any] | None = None, countdown: float | None = None
) -> None:
    if task_name not in current_app.tasks:
        # A web process imports no task module by itself: load the apps' tasks modules (autodiscovery).
        current_app.loader.import_default_modules()
    current_app.tasks[task_name].apply_async(kwargs=kwargs or {}, queue=queue, countdown=countdown)


def enqueue_on_commit(task_name: str, *, queue: str, kwargs: dict[str, Any] | None = None) -> None:
    """After the surrounding transaction commits (at once outside one): a worker never sees rows that
    are not there yet, and a rolled-back write sends nothing."""
    transaction.on_commit(lambda: enqueue(task_name, queue=queue, kwargs=kwargs))


@shared_task(name="core.expire_idempotency_records")
def expire_idempotency_records_task() -> int:
    """Hourly (beat): delete Idempotency-Key records past IDEMPOTENCY_TTL_HOURS."""
    return expire_records(as_of=clock.now())
