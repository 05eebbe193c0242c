"""A worker SIGKILLed in the middle of a batch leaves nothing half-counted, and the redelivered task
(acks_late) finishes with exactly the table and counts one clean run gives."""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
from decimal import Decimal

import pytest

from billing.models import IngestBatch, IngestChunk, IntervalReading
from billing.services.ingest import create_batch
from billing.tasks import ingest_batch_task
from tests.factories import SHANGHAI, make_account, make_area, make_meter
from tests.support.workers import start_worker, stop_worker

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]
METERS, DAYS, CHUNK_ROWS = 20, 21, 2000
VISIBILITY_TIMEOUT = 5  # seconds until Redis hands an unacknowledged task to another worker


def _wait_for(condition, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture
def meter_file(tmp_path):
    area = make_area()
    meters = [
        make_meter(meter_no=f"K{i:04d}", account=make_account(area=area, contracted_kva=Decimal("50")))
        for i in range(METERS)
    ]
    expected: dict[tuple[int, dt.datetime], Decimal] = {}
    lines = ["meter_no,timestamp,kwh"]
    start = dt.datetime(2026, 10, 1, tzinfo=SHANGHAI)
    for day in range(DAYS):
        for slot in range(96):
            ts = start + dt.timedelta(days=day, minutes=15 * slot)
            for n, meter in enumerate(meters):
                kwh = Decimal(f"{(n + 1) * 0.01 + slot * 0.001 + day * 0.0001:.4f}")
                expected[(meter.pk, ts)] = kwh
                lines.append(f"{meter.meter_no},{ts.isoformat()},{kwh}")
    path = tmp_path / "curves.csv"
    path.write_text("\n".join(lines) + "\n")
    return path, expected


def test_sigkill_mid_batch_then_redelivery_gives_exactly_one_clean_run(meter_file, broker_mode):
    path, expected = meter_file
    total = len(expected)  # 20 meters × 96 slots × 21 days = 40,320 readings
    chunks = -(-total // CHUNK_ROWS)  # 21 chunks of 2,000 (the last one 320)
    env = {
        "INGEST_CHUNK_ROWS": str(CHUNK_ROWS),
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",  # sweep for orphaned messages every second
        "CELERY_UNACKED_RESTORE_THROTTLE": "1",
    }
    batch = create_batch(
        source=IngestBatch.Source.API, path=path, filename=path.name, as_of=dt.datetime(2026, 11, 1, tzinfo=SHANGHAI)
    )

    first = start_worker(name="crash-victim", env=env)
    try:
        ingest_batch_task.apply_async(kwargs={"batch_id": batch.pk}, queue="ingest")
        _wait_for(
            lambda: IngestChunk.objects.filter(batch=batch).count() >= 3, timeout=120, what="three committed chunks"
        )
        os.killpg(first.pid, signal.SIGKILL)  # the whole worker: main process and its pool child
        first.wait(timeout=10)
    finally:
        stop_worker(first)

    # Nothing half-counted: every reading of this batch in the table belongs to a committed chunk.
    batch.refresh_from_db()
    committed = list(IngestChunk.objects.filter(batch=batch).order_by("index"))
    assert batch.status == IngestBatch.Status.PROCESSING
    assert 3 <= len(committed) < chunks
    assert [c.index for c in committed] == list(range(len(committed)))
    stored = IntervalReading.objects.filter(batch_id=batch.pk).count()
    assert stored == sum(c.inserted for c in committed) == len(committed) * CHUNK_ROWS

    # A fresh worker gets the unacknowledged task again from Redis and resumes after the last chunk.
    second = start_worker(name="crash-successor", env=env)
    try:
        _wait_for(
            lambda: IngestBatch.objects.filter(pk=batch.pk, status=IngestBatch.Status.COMPLETED).exists(),
            timeout=120,
            what="the redelivered batch to complete",
        )
    finally:
        stop_worker(second)

    batch.refresh_from_db()
    assert (batch.received, batch.inserted, batch.updated, batch.unchanged, batch.rejected, batch.duplicates) == (
        total,
        total,
        0,
        0,
        0,
        0,
    )
    assert sorted(IngestChunk.objects.filter(batch=batch).values_list("index", flat=True)) == list(range(chunks))
    table = {
        (r.meter_id, r.interval_start): r.kwh
        for r in IntervalReading.objects.filter(meter_id__in={m for m, _ in expected})
    }
    assert table == expected
