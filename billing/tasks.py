"""Celery tasks of the billing app: load by id, call one service."""

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from billing.services.billing_run import redrive_stalled_runs, run_billing
from billing.services.ingest import process_batch
from billing.services.ingest.recovery import requeue_stale_batches
from billing.services.late_fees import post_late_fees
from billing.services.partitions import ensure_partitions_ahead
from billing.services.payments import deliver_sandbox_notification, reconcile_payments
from core import clock


@shared_task(
    name="billing.ingest_batch",
    acks_late=True,  # a worker killed mid-batch leaves the message unacknowledged: it is redelivered
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def ingest_batch_task(*, batch_id: int) -> dict:
    batch = process_batch(
        batch_id=batch_id, chunk_rows=settings.INGEST_CHUNK_ROWS, max_attempts=settings.INGEST_MAX_ATTEMPTS
    )
    return {"batch_id": batch.pk, "status": batch.status, "received": batch.received, "rejected": batch.rejected}


@shared_task(name="billing.ensure_interval_partitions")
def ensure_interval_partitions_task(*, months_ahead: int = 3) -> list[str]:
    # Beat runs this daily; "now" is the scheduler's clock, which is what "ahead of time" means.
    return ensure_partitions_ahead(as_of=clock.now(), months_ahead=months_ahead)


@shared_task(name="billing.requeue_stale_batches")
def requeue_stale_batches_task() -> list[int]:
    return requeue_stale_batches(
        as_of=clock.now(),
        stale_after=dt.timedelta(minutes=settings.INGEST_STALE_MINUTES),
        max_attempts=settings.INGEST_MAX_ATTEMPTS,
    )


@shared_task(
    name="billing.run_billing",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def run_billing_task(*, run_id: int) -> dict:
    """Several of these may work on one run at once: chunks are claimed with SKIP LOCKED."""
    result = run_billing(run_id=run_id)
    return {
        "run_id": result.run_id,
        "issued": result.issued,
        "held": result.held,
        "existing": result.existing,
        "skipped": result.skipped,
    }


@shared_task(name="billing.redrive_stalled_runs")
def redrive_stalled_runs_task() -> list[int]:
    return redrive_stalled_runs(
        as_of=clock.now(), stalled_after=dt.timedelta(seconds=settings.BILLING_RUN_STALL_SECONDS)
    )


@shared_task(name="billing.deliver_sandbox_notification", autoretry_for=(OperationalError,), max_retries=5)
def deliver_sandbox_notification_task(*, order_no: str) -> dict:
    """The sandbox gateway's asynchronous notification to our callback service."""
    outcome = deliver_sandbox_notification(order_no=order_no, as_of=clock.now())
    return {"accepted": outcome.accepted, "posted": outcome.posted, "reason": outcome.reason}


@shared_task(name="billing.reconcile_payments")
def reconcile_payments_task() -> list[int]:
    return reconcile_payments(as_of=clock.now(), older_than=dt.timedelta(minutes=15))


@shared_task(name="billing.post_late_fees")
def post_late_fees_task(*, day: str | None = None) -> int:
    """Daily after midnight: yesterday's fees (a rerun or a catch-up for a given day posts nothing twice)."""
    target = dt.date.fromisoformat(day) if day else clock.today() - dt.timedelta(days=1)
    return post_late_fees(day=target)
