"""Stale batches go back to the queue; re-running a batch is safe; a batch never loops for ever:
unexpected errors fail it at once, outages and lost workers after INGEST_MAX_ATTEMPTS."""

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import OperationalError

from billing.models import IngestBatch, IntervalReading
from billing.services.ingest import create_batch, process_batch
from billing.services.ingest.recovery import requeue_stale_batches, retry_batch
from billing.tasks import ingest_batch_task
from tests.factories import SHANGHAI, make_account, make_meter

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(tmp_path):
    make_meter(meter_no="M001", account=make_account(contracted_kva=Decimal("8")))
    path = tmp_path / "a.csv"
    path.write_text("meter_no,timestamp,kwh\nM001,2026-11-01T00:00:00+08:00,0.5\n")
    return create_batch(source="api", path=path, filename="a.csv", as_of=dt.datetime(2026, 11, 20, tzinfo=SHANGHAI))


def test_only_batches_without_progress_for_the_stale_period_are_requeued(batch, django_capture_on_commit_callbacks):
    stale_after = dt.timedelta(minutes=30)
    just_created = batch.created_at + dt.timedelta(minutes=5)
    assert requeue_stale_batches(as_of=just_created, stale_after=stale_after, max_attempts=3) == []
    with django_capture_on_commit_callbacks(execute=True):
        requeued = requeue_stale_batches(
            as_of=batch.created_at + dt.timedelta(minutes=31), stale_after=stale_after, max_attempts=3
        )
    assert requeued == [batch.pk]
    batch.refresh_from_db()
    assert (batch.status, batch.inserted) == (IngestBatch.Status.COMPLETED, 1)
    assert (
        requeue_stale_batches(as_of=batch.created_at + dt.timedelta(days=1), stale_after=stale_after, max_attempts=3)
        == []
    )


def test_processing_a_completed_batch_again_changes_nothing(batch):
    first = process_batch(batch_id=batch.pk)
    again = process_batch(batch_id=batch.pk)
    assert (again.received, again.inserted, again.status) == (first.received, first.inserted, "completed")
    assert again.chunks.count() == 1


def test_an_unexpected_error_fails_the_batch_at_once_with_the_error(batch, django_capture_on_commit_callbacks):
    """Regression (#13 finding 5): an unexpected error left the batch PROCESSING for ever."""

    def fault(chunk):
        raise RuntimeError("boom in chunk 0")

    failed = process_batch(batch_id=batch.pk, on_chunk=fault)
    assert (failed.status, failed.error, failed.attempts) == (
        "failed",
        "unexpected error: RuntimeError: boom in chunk 0",
        1,
    )
    assert failed.finished_at is not None
    assert failed.chunks.count() == 1  # what was committed stays; a retry resumes after it
    # A redelivered message does not run a FAILED batch again; a staff retry does, with fresh attempts.
    assert process_batch(batch_id=batch.pk).status == "failed"
    with django_capture_on_commit_callbacks(execute=True):
        retry_batch(batch=failed)
    failed.refresh_from_db()
    assert (failed.status, failed.inserted, failed.error, failed.attempts) == ("completed", 1, "", 1)


def test_a_database_outage_is_retried_up_to_the_attempt_limit(batch):
    def outage(chunk):
        raise OperationalError("server closed the connection unexpectedly")

    for attempt in (1, 2):
        with pytest.raises(OperationalError):  # the task's autoretry takes it from here
            process_batch(batch_id=batch.pk, on_chunk=outage, max_attempts=3)
        batch.refresh_from_db()
        assert (batch.status, batch.attempts) == ("processing", attempt)
        assert batch.error == f"attempt {attempt} of 3: OperationalError: server closed the connection unexpectedly"
    gave_up = process_batch(batch_id=batch.pk, on_chunk=outage, max_attempts=3)
    assert (gave_up.status, gave_up.attempts) == ("failed", 3)
    assert gave_up.error == (
        "gave up after 3 attempts; last error: attempt 3 of 3: OperationalError: server closed the connection unexpectedly"
    )


def test_a_batch_that_keeps_killing_its_worker_fails_after_the_attempt_limit(batch):
    """Three deliveries started and never finished (the worker was killed each time, e.g. out of
    memory): the fourth delivery fails the batch instead of dying on it again."""
    IngestBatch.objects.filter(pk=batch.pk).update(status=IngestBatch.Status.PROCESSING, attempts=3)
    failed = ingest_batch_task(batch_id=batch.pk)
    batch.refresh_from_db()
    assert failed["status"] == batch.status == "failed"
    assert batch.error == f"gave up after {settings.INGEST_MAX_ATTEMPTS} attempts that did not finish"
    assert not IntervalReading.objects.exists()


def test_the_janitor_fails_stale_batches_that_used_up_their_attempts(
    batch, tmp_path, django_capture_on_commit_callbacks
):
    """Regression (#13 finding 5): requeue had no attempt limit, so a poison batch went round for ever."""
    path = tmp_path / "b.csv"
    path.write_text("meter_no,timestamp,kwh\nM001,2026-11-01T00:15:00+08:00,0.5\n")
    fresh = create_batch(source="api", path=path, filename="b.csv", as_of=batch.as_of)
    IngestBatch.objects.filter(pk=batch.pk).update(
        status=IngestBatch.Status.PROCESSING, attempts=3, error="attempt 3 of 3: OperationalError: gone"
    )
    later = batch.created_at + dt.timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        requeued = requeue_stale_batches(as_of=later, stale_after=dt.timedelta(minutes=30), max_attempts=3)
    assert requeued == [fresh.pk]
    batch.refresh_from_db()
    assert batch.status == "failed"
    assert batch.error == (
        "gave up: no progress for 0:30:00 after 3 attempt(s) (limit 3); last error: attempt 3 of 3: OperationalError: gone"
    )
    assert IngestBatch.objects.get(pk=fresh.pk).status == "completed"
    assert requeue_stale_batches(as_of=later, stale_after=dt.timedelta(minutes=30), max_attempts=3) == []
