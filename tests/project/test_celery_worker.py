"""A task sent through the real Redis broker is executed by a separate worker process."""

import os
import uuid

import pytest

from marketing_portal.celery_app import ping

pytestmark = [pytest.mark.celery_worker, pytest.mark.redis, pytest.mark.postgres]


def test_ping_round_trip_through_redis_and_a_worker_process(celery_worker_process):
    payload = uuid.uuid4().hex
    result = ping.apply_async(kwargs={"payload": payload}, queue="default")
    answer = result.get(timeout=30)
    assert answer["payload"] == payload
    # Ran in the worker's (child) process, not in this test process: it really crossed the broker.
    assert answer["pid"] != os.getpid()
    assert result.status == "SUCCESS"


@pytest.mark.parametrize("queue", ["ingest", "billing", "analytics", "notify"])
def test_worker_consumes_every_named_queue(celery_worker_process, queue):
    result = ping.apply_async(kwargs={"payload": queue}, queue=queue)
    assert result.get(timeout=30)["payload"] == queue
