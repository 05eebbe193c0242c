"""Two real workers on the same billing run still produce exactly one bill per account and period."""

from __future__ import annotations

import datetime as dt
import importlib
import time
from decimal import Decimal as D

import pytest
from django.apps import apps as django_apps
from django.db import IntegrityError, transaction

from billing.models import Bill, BillingRun, BillingRunChunk, RegisterRead, Tariff, TariffAssignment
from billing.services.billing_run import start_billing_run
from billing.tasks import run_billing_task
from tests.factories import SHANGHAI, make_account, make_area, make_meter
from tests.support.workers import start_worker, stop_worker

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def seeded_tariffs():
    """Transactional tests flush every table after them, the migration-seeded tariffs included, so
    put them back with the data migration's own function when an earlier test removed them."""
    if not Tariff.objects.exists():
        importlib.import_module("billing.migrations.0006_seed_tariffs").seed(django_apps, None)


ACCOUNTS = 60


def test_two_workers_one_run_one_bill_each(broker_mode):
    area = make_area()
    tariff = Tariff.objects.get(code="ZJ-RES-FLAT")
    accounts = []
    for n in range(ACCOUNTS):
        account = make_account(area=area)
        meter = make_meter(account=account, meter_no=f"W{n:04d}")
        TariffAssignment.objects.create(account=account, tariff=tariff, valid_from=dt.date(2024, 1, 1))
        RegisterRead.objects.create(meter=meter, read_at=dt.datetime(2026, 11, 1, tzinfo=SHANGHAI), total=D("100"))
        RegisterRead.objects.create(
            meter=meter, read_at=dt.datetime(2026, 12, 1, tzinfo=SHANGHAI), total=D(100 + 100 + n)
        )
        accounts.append(account)
    run = start_billing_run(
        period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2026, 12, 1),
        as_of=dt.datetime(2026, 12, 2, tzinfo=SHANGHAI),
        chunk_size=5,
    )
    assert run.chunks.count() == 12
    workers = [start_worker(name="billing-a"), start_worker(name="billing-b")]
    try:
        for _ in range(4):  # more task deliveries than workers: extra ones find nothing left to claim
            run_billing_task.apply_async(kwargs={"run_id": run.pk}, queue="billing")
        deadline = time.monotonic() + 120
        while not BillingRun.objects.filter(pk=run.pk, status=BillingRun.Status.COMPLETED).exists():
            assert time.monotonic() < deadline, "billing run did not complete"
            time.sleep(0.1)
    finally:
        for worker in workers:
            stop_worker(worker)
    run.refresh_from_db()
    assert Bill.objects.filter(account__in=accounts).count() == ACCOUNTS
    assert set(Bill.objects.values_list("account_id", flat=True)) == {a.pk for a in accounts}
    assert not BillingRunChunk.objects.filter(run=run, done=False).exists()
    assert (run.issued, run.existing, run.held, run.skipped) == (ACCOUNTS, 0, 0, 0)
    # Account n used 100 + n kWh, all tier 1 (no earlier bills this year): amount = (100 + n) × 0.538
    for n, account in enumerate(accounts):
        assert Bill.objects.get(account=account).amount == ((100 + n) * D("0.538")).quantize(D("0.01"))


def test_the_database_refuses_a_second_live_bill_for_the_same_period():
    account = make_account()
    tariff = Tariff.objects.get(code="ZJ-RES-FLAT")
    fields = {
        "account": account,
        "period_start": dt.date(2026, 11, 1),
        "period_end": dt.date(2026, 12, 1),
        "tariff": tariff,
        "consumption_source": "registers",
        "total_kwh": D("1"),
        "annual_kwh_before": D("0"),
        "amount": D("0.54"),
    }
    Bill.objects.create(revision=1, status="issued", **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Bill.objects.create(revision=2, status="issued", **fields)
    Bill.objects.filter(revision=1).update(status="void")
    Bill.objects.create(revision=2, status="issued", **fields)  # after a void, the next revision is allowed
    assert Bill.objects.filter(account=account).exclude(status="void").count() == 1
