"""Celery tasks of the security app: load, call one service, nothing else."""

from __future__ import annotations

from celery import shared_task

from core import clock
from security.services.audit_retention import archive_and_prune


@shared_task(name="security.archive_audit_events")
def archive_audit_events_task() -> int:
    """Daily (beat): export audit events past AUDIT_RETENTION_DAYS, then prune them."""
    return archive_and_prune(as_of=clock.now()).rows
