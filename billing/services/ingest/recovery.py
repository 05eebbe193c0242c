"""Batches whose worker vanished: hand them to a worker again.

Redis already redelivers an unacknowledged ingest task after the visibility timeout; this covers what
that cannot: a batch whose task was never delivered (the broker was down when it was enqueued) and a
batch whose worker died after the broker forgot the message. Re-running is safe because
process_batch skips committed chunks.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Max, Q, QuerySet
from django.db.models.functions import Coalesce, Greatest, Now

from billing.models import IngestBatch
from billing.services.ingest.layouts import storable_text
from billing.services.ingest.pipeline import ERROR_MAX_CHARS, enqueue_batch


def stale_batches(*, as_of: dt.datetime, stale_after: dt.timedelta):
    """PENDING batches older than ``stale_after`` and PROCESSING ones with no chunk committed for as long."""
    cutoff = as_of - stale_after
    return (
        IngestBatch.objects.filter(status__in=[IngestBatch.Status.PENDING, IngestBatch.Status.PROCESSING])
        .annotate(
            last_progress=Greatest(
                Coalesce(Max("chunks__created_at"), "created_at"), Coalesce("started_at", "created_at")
            )
        )
        .filter(Q(last_progress__lt=cutoff))
        .order_by("created_at")
    )


def requeue_stale_batches(*, as_of: dt.datetime, stale_after: dt.timedelta, max_attempts: int) -> list[int]:
    """Stale batches back to the queue — except those that used up their attempts: those fail with
    the reason, so a file that kills every worker it reaches is not handed out for ever."""
    batch_ids = []
    for batch in stale_batches(as_of=as_of, stale_after=stale_after):
        if batch.attempts >= max_attempts:
            reason = f"no progress for {stale_after} after {batch.attempts} attempt(s) (limit {max_attempts})"
            error = f"gave up: {reason}; last error: {batch.error}" if batch.error else f"gave up: {reason}"
            IngestBatch.objects.filter(pk=batch.pk, status=batch.status).update(
                status=IngestBatch.Status.FAILED, error=storable_text(error)[:ERROR_MAX_CHARS], finished_at=Now()
            )
            continue
        enqueue_batch(batch=batch)
        batch_ids.append(batch.pk)
    return batch_ids


def retry_batch(*, batch: IngestBatch) -> IngestBatch:
    """Staff "retry": a FAILED or stuck batch goes back to the queue; completed ones are left alone."""
    if batch.status == IngestBatch.Status.COMPLETED:
        return batch
    # A fresh set of attempts: staff have looked at the error (or fixed what caused it).
    IngestBatch.objects.filter(pk=batch.pk).update(status=IngestBatch.Status.PENDING, error="", attempts=0)
    batch.refresh_from_db()
    enqueue_batch(batch=batch)
    return batch


def retry_batches(*, batches: QuerySet[IngestBatch]) -> list[IngestBatch]:
    """Staff "retry" of the selected batches: every one not COMPLETED goes back to the queue."""
    return [retry_batch(batch=batch) for batch in batches.exclude(status=IngestBatch.Status.COMPLETED)]
