"""Stale batches go back to the queue; re-running a batch is safe."""

import datetime as dt
from decimal import Decimal

import pytest

from billing.models import IngestBatch
from billing.services.ingest import create_batch, process_batch
from billing.services.ingest.recovery import requeue_stale_batches
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
    assert requeue_stale_batches(as_of=just_created, stale_after=stale_after) == []
    with django_capture_on_commit_callbacks(execute=True):
        requeued = requeue_stale_batches(as_of=batch.created_at + dt.timedelta(minutes=31), stale_after=stale_after)
    assert requeued == [batch.pk]
    batch.refresh_from_db()
    assert (batch.status, batch.inserted) == (IngestBatch.Status.COMPLETED, 1)
    assert requeue_stale_batches(as_of=batch.created_at + dt.timedelta(days=1), stale_after=stale_after) == []


def test_processing_a_completed_batch_again_changes_nothing(batch):
    first = process_batch(batch_id=batch.pk)
    again = process_batch(batch_id=batch.pk)
    assert (again.received, again.inserted, again.status) == (first.received, first.inserted, "completed")
    assert again.chunks.count() == 1
