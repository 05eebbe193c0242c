#!/usr/bin/env python
"""Benchmark the billing run on PostgreSQL against a straightforward per-account ORM implementation.

    .venv/bin/python bench/billing.py [--residential 100000] [--industrial 1000] [--workers 2] [--sample 500]

Database: BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/mp_bench_billing. It is
DROPPED and re-created (its name must contain "bench"). Seeding is not timed: N residential accounts
on ZJ-RES-TOU with a month of register reads (start and end, peak and valley) plus M two-part
industrial accounts on EX-IND-2P with reactive registers. Then, in the same run:

1. the reference: a straightforward implementation — per account, ORM queries for its assignment,
   tariff, meters, reads and earlier bills, the same pricing engine, then Bill/BillLine/LedgerEntry
   saved one row at a time — over a sample of accounts, inside a transaction that is rolled back;
2. the billing run: ``start_billing_run`` + ``run_billing`` in W worker processes sharing the run.

Prints bills/s for both; the last line is the ratio run ÷ reference.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import multiprocessing
import os
import platform
import secrets
import sys
import time
from decimal import Decimal
from pathlib import Path

from _common import cpu_model, recreate_database

from core.time import SHANGHAI

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/mp_bench_billing"
PERIOD = (dt.date(2026, 11, 1), dt.date(2026, 12, 1))


def setup_django(url: str) -> None:
    key = lambda: base64.b64encode(secrets.token_bytes(32)).decode()  # noqa: E731
    os.environ.update(
        DJANGO_SETTINGS_MODULE="marketing_portal.settings.local",
        DJANGO_DEBUG="false",
        DATABASE_URL=url,
        SECRET_KEY=secrets.token_urlsafe(50),
        FIELD_ENCRYPTION_KEYS=f"bench:{key()}",
        BLIND_INDEX_KEY=key(),
    )
    import django

    django.setup()


def seed(*, residential: int, industrial: int) -> None:
    from billing.models import Meter, RegisterRead, Tariff, TariffAssignment
    from customers.models import Account, Customer, Feeder, TransformerArea
    from customers.validators import id_number_check_char

    feeder = Feeder.objects.create(code="BF1", name="bench")
    area = TransformerArea.objects.create(code="BA1", name="bench", feeder=feeder, transformer_kva=Decimal("100000"))
    tariffs = {t.code: t for t in Tariff.objects.all()}
    start, end = (dt.datetime.combine(d, dt.time(), tzinfo=SHANGHAI) for d in PERIOD)
    total = residential + industrial
    for offset in range(0, total, 5000):
        numbers = range(offset, min(total, offset + 5000))
        customers = []
        for n in numbers:
            body = f"33010619800101{n % 1000:03d}"
            customers.append(
                Customer(name=f"客户{n}", id_number=body + id_number_check_char(body), phone=f"139{n:08d}")
            )
        customers = Customer.objects.bulk_create(customers)
        accounts = Account.objects.bulk_create(
            Account(
                number=f"{n + 3300000000}",
                customer=c,
                premise_address="浙江省杭州市",
                area=area,
                opened_on=dt.date(2020, 1, 1),
                category="residential" if n < residential else "industrial",
                voltage_level="220V" if n < residential else "10kV",
                contracted_kva=Decimal("8") if n < residential else Decimal("1000"),
            )
            for n, c in zip(numbers, customers, strict=True)
        )
        meters = Meter.objects.bulk_create(
            Meter(
                meter_no=f"BM{a.number}",
                account=a,
                area=area,
                installed_at=dt.datetime(2020, 1, 1, tzinfo=SHANGHAI),
                multiplier=Decimal(1 if a.category == "residential" else 100),
            )
            for a in accounts
        )
        TariffAssignment.objects.bulk_create(
            TariffAssignment(
                account=a,
                tariff=tariffs["ZJ-RES-TOU" if a.category == "residential" else "EX-IND-2P"],
                valid_from=dt.date(2024, 1, 1),
            )
            for a in accounts
        )
        reads = []
        for m, n in zip(meters, numbers, strict=True):
            peak, valley = Decimal(150 + n % 200), Decimal(80 + n % 120)
            reads.append(
                RegisterRead(
                    meter=m,
                    read_at=start,
                    total=Decimal(1000),
                    sharp=0,
                    peak=Decimal(600),
                    flat=0,
                    valley=Decimal(400),
                    reactive=Decimal(0),
                )
            )
            reads.append(
                RegisterRead(
                    meter=m,
                    read_at=end,
                    total=1000 + peak + valley,
                    sharp=0,
                    peak=600 + peak,
                    flat=0,
                    valley=400 + valley,
                    reactive=(peak + valley) / 3,
                )
            )
        RegisterRead.objects.bulk_create(reads)


def naive_bill(account) -> None:
    """A straightforward, per-row implementation: what a first version would do."""
    from django.db.models import Sum

    from billing.models import Bill, BillLine, LedgerEntry, Meter, RegisterRead, TariffAssignment
    from billing.services.tariffs.engine import QuoteInput
    from billing.services.tariffs.quotes import quote_tariff

    assignment = TariffAssignment.objects.select_related("tariff").get(account=account)
    start, end = (dt.datetime.combine(d, dt.time(), tzinfo=SHANGHAI) for d in PERIOD)
    consumption: dict[str, Decimal] = {}
    active = reactive = Decimal(0)
    for meter in Meter.objects.filter(account=account):
        first = RegisterRead.objects.get(meter=meter, read_at=start)
        last = RegisterRead.objects.get(meter=meter, read_at=end)
        for name in ("sharp", "peak", "flat", "valley"):
            diff = (getattr(last, name) - getattr(first, name)) * meter.multiplier
            if diff:
                consumption[name] = consumption.get(name, Decimal(0)) + diff
        active += (last.total - first.total) * meter.multiplier
        reactive += (last.reactive - first.reactive) * meter.multiplier
    before = (
        Bill.objects.filter(account=account, period_start__year=2026, period_start__lt=PERIOD[0]).aggregate(
            s=Sum("total_kwh")
        )["s"]
        or 0
    )
    pf = (active / (active**2 + reactive**2).sqrt()).quantize(Decimal("0.001")) if active else None
    quote = quote_tariff(
        code=assignment.tariff.code,
        data=QuoteInput(
            period_start=PERIOD[0],
            period_end=PERIOD[1],
            consumption=consumption,
            annual_kwh_before=Decimal(before),
            contracted_kva=account.contracted_kva,
            power_factor=pf,
        ),
    )
    bill = Bill.objects.create(
        account=account,
        period_start=PERIOD[0],
        period_end=PERIOD[1],
        tariff=assignment.tariff,
        consumption_source="registers",
        total_kwh=sum(consumption.values()),
        annual_kwh_before=before,
        amount=quote.total,
        status="issued",
    )
    for i, line in enumerate(quote.lines, start=1):
        BillLine.objects.create(
            bill=bill,
            position=i,
            code=line.code,
            description=line.description[:200],
            quantity=line.quantity,
            unit=line.unit,
            rate=line.rate,
            amount=line.amount,
        )
    LedgerEntry.objects.create(
        account=account,
        kind="charge",
        amount=bill.amount,
        description="bill",
        posting_key=f"naive:{bill.pk}",
        occurred_on=PERIOD[1],
        bill=bill,
    )


class Rollback(Exception):
    pass


def time_naive(*, sample: int) -> float:
    from django.db import transaction

    from customers.models import Account

    accounts = list(Account.objects.order_by("pk")[:sample])
    started = time.perf_counter()
    try:
        with transaction.atomic():
            for account in accounts:
                naive_bill(account)
            raise Rollback
    except Rollback:
        pass
    return time.perf_counter() - started


def _worker(run_id: int) -> None:
    from django import db

    db.connections.close_all()
    from billing.services.billing_run import run_billing

    run_billing(run_id=run_id, announce=False)  # the billing queue's work only: notices go to the notify queue


def time_run(*, workers: int, chunk_size: int) -> tuple[float, object]:
    from django import db

    from billing.models import BillingRun
    from billing.services.billing_run import run_billing, start_billing_run

    started = time.perf_counter()
    run = start_billing_run(
        period_start=PERIOD[0],
        period_end=PERIOD[1],
        as_of=dt.datetime(2026, 12, 2, tzinfo=SHANGHAI),
        chunk_size=chunk_size,
    )
    if workers == 1:
        run_billing(run_id=run.pk, announce=False)  # as _worker: the notify queue is not measured here
    else:
        db.connections.close_all()
        processes = [
            multiprocessing.get_context("fork").Process(target=_worker, args=(run.pk,)) for _ in range(workers)
        ]
        for process in processes:
            process.start()
        for process in processes:
            process.join()
        run_billing(run_id=run.pk, announce=False)  # marks the run completed once every chunk is done
    seconds = time.perf_counter() - started
    return seconds, BillingRun.objects.get(pk=run.pk)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residential", type=int, default=100_000)
    parser.add_argument("--industrial", type=int, default=1_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sample", type=int, default=500, help="accounts billed by the straightforward reference")
    parser.add_argument("--chunk-size", type=int, default=1000)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    recreate_database(url)
    setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(f"machine: {os.cpu_count()} cores, {cpu_model()}; python {platform.python_version()}", flush=True)
    started = time.perf_counter()
    seed(residential=args.residential, industrial=args.industrial)
    print(
        f"seeded {args.residential:,} residential + {args.industrial:,} industrial accounts in {time.perf_counter() - started:.1f} s (not timed)",
        flush=True,
    )
    naive_seconds = time_naive(sample=args.sample)
    naive_rate = args.sample / naive_seconds
    print(
        f"reference (per-account ORM, {args.sample} accounts): {naive_seconds:.2f} s, {naive_rate:,.0f} bills/s",
        flush=True,
    )
    seconds, run = time_run(workers=args.workers, chunk_size=args.chunk_size)
    bills = run.issued + run.held
    rate = bills / seconds
    print(
        f"billing run ({args.workers} workers): {bills:,} bills ({run.issued:,} issued, {run.held:,} held) in {seconds:.2f} s, {rate:,.0f} bills/s"
    )
    print(f"ratio run / reference: {rate / naive_rate:.1f}")


if __name__ == "__main__":
    main()
