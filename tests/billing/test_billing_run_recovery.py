"""A billing run whose messages were lost, or whose worker died, is handed to the workers again by the
beat janitor within minutes (≤ BILLING_RUN_STALL_SECONDS + one beat), never while a worker still holds
one of its chunks, and staff can resume it from the admin; the re-driven run bills every account once."""

from __future__ import annotations

import datetime as dt
import importlib
import time
from decimal import Decimal as D

import psycopg2
import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from billing.models import Bill, BillingRun, RegisterRead, Tariff, TariffAssignment
from billing.services.billing_run import redrive_stalled_runs, start_billing_run
from tests.factories import SHANGHAI, make_account, make_area, make_meter
from tests.support.workers import start_worker, stop_worker

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

STALL = dt.timedelta(seconds=120)


@pytest.fixture(autouse=True)
def seeded_tariffs():
    if not Tariff.objects.exists():
        importlib.import_module("billing.migrations.0006_seed_tariffs").seed(django_apps, None)


def _queued_run(accounts: int = 12) -> BillingRun:
    """A run and its chunks committed, but (as after a Redis flush or a failed publish) no message."""
    area = make_area()
    tariff = Tariff.objects.get(code="ZJ-RES-FLAT")
    for n in range(accounts):
        account = make_account(area=area)
        meter = make_meter(account=account, meter_no=f"RR{n:04d}")
        TariffAssignment.objects.create(account=account, tariff=tariff, valid_from=dt.date(2024, 1, 1))
        RegisterRead.objects.create(meter=meter, read_at=dt.datetime(2026, 11, 1, tzinfo=SHANGHAI), total=D("100"))
        RegisterRead.objects.create(meter=meter, read_at=dt.datetime(2026, 12, 1, tzinfo=SHANGHAI), total=D(200 + n))
    return start_billing_run(
        period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2026, 12, 1),
        as_of=dt.datetime(2026, 12, 2, tzinfo=SHANGHAI),
        chunk_size=4,
    )


def _other_connection():
    database = settings.DATABASES["default"]
    return psycopg2.connect(
        dbname=connection.settings_dict["NAME"],
        user=database["USER"],
        host=database["HOST"],
        port=database["PORT"] or 5432,
        password=database.get("PASSWORD") or None,
    )


@pytest.mark.celery_worker
@pytest.mark.redis
def test_a_run_left_without_messages_is_redriven_and_completes_once(broker_mode):
    run = _queued_run()
    now = timezone.now()
    assert redrive_stalled_runs(as_of=now, stalled_after=STALL) == []  # queued just now: not stalled yet

    worker = start_worker(name="billing-janitor")
    try:
        assert redrive_stalled_runs(as_of=now + dt.timedelta(minutes=3), stalled_after=STALL) == [run.pk]
        deadline = time.monotonic() + 90
        while not BillingRun.objects.filter(pk=run.pk, status=BillingRun.Status.COMPLETED).exists():
            assert time.monotonic() < deadline, "the re-driven run did not complete"
            time.sleep(0.2)
    finally:
        stop_worker(worker)
    run.refresh_from_db()
    assert (run.issued, run.redriven) == (12, 1)
    assert Bill.objects.filter(run=run).count() == 12
    # Account n used 200 + n − 100 kWh at 0.538 (tier 1): the first one 100 × 0.538 = 53.80.
    assert Bill.objects.filter(run=run).order_by("account_id").first().amount == D("53.80")
    later = timezone.now() + dt.timedelta(minutes=10)
    assert redrive_stalled_runs(as_of=later, stalled_after=STALL) == []  # complete: left alone


def test_a_chunk_a_worker_holds_means_no_redrive_and_its_death_frees_the_run():
    run = _queued_run(accounts=8)
    BillingRun.objects.filter(pk=run.pk).update(status=BillingRun.Status.RUNNING, heartbeat_at=timezone.now())
    much_later = timezone.now() + dt.timedelta(minutes=10)

    worker_connection = _other_connection()  # a worker billing chunk 0: its row is locked
    cursor = worker_connection.cursor()
    cursor.execute("SELECT id FROM billing_billingrunchunk WHERE run_id = %s AND index = 0 FOR UPDATE", [run.pk])
    try:
        assert redrive_stalled_runs(as_of=much_later, stalled_after=STALL) == []
    finally:
        worker_connection.close()  # the worker dies: PostgreSQL drops its transaction and lock

    # The server ends the dead backend (and frees its lock) a moment later, not at once.
    deadline = time.monotonic() + 10
    while (redriven := redrive_stalled_runs(as_of=much_later, stalled_after=STALL)) == []:
        assert time.monotonic() < deadline, "the dead connection's lock was never released"
        time.sleep(0.1)
    assert redriven == [run.pk]
    # Re-driven just now: the next beat waits for the new workers' progress before trying again.
    assert redrive_stalled_runs(as_of=much_later, stalled_after=STALL) == []
    run.refresh_from_db()
    assert run.redriven == 1 and run.redriven_at is not None


def test_staff_resume_a_run_from_the_admin():
    from security import roles
    from tests.factories import make_staff

    run = _queued_run(accounts=4)
    clerk = make_staff(role=roles.BILLING_CLERK)
    client = Client()
    client.force_login(clerk)
    page = client.post(
        "/admin/billing/billingrun/", {"action": "resume_selected", "_selected_action": [run.pk]}, follow=True
    )
    run.refresh_from_db()
    # Eager Celery in tests: the workers' tasks ran at commit, so the resumed run is already billed.
    assert f"已重新交给计费任务：批次 {run.pk}。" in page.content.decode()
    assert run.redriven == 1
    assert run.status == BillingRun.Status.COMPLETED and run.issued == 4
