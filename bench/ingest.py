#!/usr/bin/env python
"""Benchmark meter-data ingestion on PostgreSQL against a raw COPY of the same rows.

    .venv/bin/python bench/ingest.py [--rows 1000000] [--chunk-rows N] [--keep-file]

Database: DATABASE_URL, default postgres://postgres@127.0.0.1:5432/mp_bench_ingest. It is DROPPED and
re-created, so its name must contain "bench". Local settings with DEBUG off and throwaway keys; the
schema is migrated and N meters (N = rows / 96) are created before anything is timed. The script then
writes a long-format CSV (``meter_no,timestamp,kwh``, one day of 96 quarter-hours per meter, ISO 8601
timestamps with +08:00 as head-ends export them) and times, each phase in its own child process so
the peak RSS figures are separate:

a. raw COPY: psycopg2 ``copy_expert`` of the same rows (meter id instead of meter number) straight
   from the file into an empty table created ``LIKE billing_intervalreading INCLUDING ALL`` and
   partitioned by month the same way (the month's partition and a DEFAULT one);
b. the pipeline: ``create_batch`` + ``process_batch`` of the file into the empty
   billing_intervalreading (hashing, layout detection, parsing, validation, merge, estimation,
   completeness — everything ``ingest_readings`` does short of printing) with the chunk size the
   workers use (``INGEST_CHUNK_ROWS``) unless ``--chunk-rows`` says otherwise;
c. re-ingest: the same file again as a new batch (every row unchanged).

Prints rows/s and peak RSS (VmHWM of the child) per phase; the last line is the ratio pipeline ÷ raw
COPY. Targets (issue 3): pipeline ≥ 0.5 × raw COPY, re-ingest at least as fast as the first ingest,
a 10-million-row file within ~500 MB RSS.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import platform
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from _common import connect, cpu_model, drop_database, recreate_database

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/mp_bench_ingest"
POINTS = 96
DAY = dt.date(2026, 6, 1)  # the day the generated curves cover
AS_OF = "2026-11-20T12:00:00+08:00"  # the batches' as_of: the day is well in the past
METER_PREFIX = "3301"
REFERENCE_TABLE = "bench_copy_intervalreading"


# --- helpers shared by the parent and the phases ---------------------------------------------------


def peak_rss_mb() -> float:
    """VmHWM of this process: the most resident memory it ever had."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def meter_count(rows: int) -> int:
    return max(1, -(-rows // POINTS))


def meter_no(index: int) -> str:
    return f"{METER_PREFIX}{index:010d}"


# --- parent: database, data file, phases -----------------------------------------------------------


def django_env(url: str, *, storage: Path) -> dict[str, str]:
    def key() -> str:
        return base64.b64encode(secrets.token_bytes(32)).decode()

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketing_portal.settings.local",
        "DJANGO_DEBUG": "0",  # DEBUG would keep every query in memory
        "DATABASE_URL": url,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": f"kbench:{key()}",
        "FIELD_ENCRYPTION_PRIMARY_KEY_ID": "kbench",
        "BLIND_INDEX_KEY": key(),
        "REDIS_URL": "",
        "PRIVATE_STORAGE_ROOT": str(storage),
    }


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, check=True)


def run_phase(phase: str, *, env: dict[str, str], **options) -> dict:
    """Run one phase in a child process; it prints its result as JSON on its last line."""
    argv = [sys.executable, str(Path(__file__).resolve()), "--phase", phase]
    for name, value in options.items():
        argv += [f"--{name.replace('_', '-')}", str(value)]
    result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"phase {phase} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def write_files(*, rows: int, directory: Path, meter_ids: list[int]) -> tuple[Path, Path]:
    """The pipeline's file (meter numbers) and the reference's (meter ids), same rows in the same
    order: meter by meter, each a plausible residential day (night trough, evening peak) with noise."""
    import numpy as np

    meters = meter_count(rows)
    rng = np.random.default_rng(20261120)
    slots = [(dt.datetime.combine(DAY, dt.time()) + dt.timedelta(minutes=15 * i)) for i in range(POINTS)]
    stamps = [f"{s:%Y-%m-%dT%H:%M:%S}+08:00" for s in slots]
    hours = np.arange(POINTS) / 4
    shape = 0.08 + 0.05 * np.exp(-((hours - 7.5) ** 2) / 2) + 0.25 * np.exp(-((hours - 20) ** 2) / 4)
    pipeline_path, reference_path = directory / "bench-interval-long.csv", directory / "bench-reference.csv"
    written = 0
    with pipeline_path.open("w") as pipeline_file, reference_path.open("w") as reference_file:
        pipeline_file.write("meter_no,timestamp,kwh\n")
        reference_file.write("meter_id,timestamp,kwh\n")
        for index in range(meters):
            take = min(POINTS, rows - written)
            values = shape[:take] * rng.uniform(0.5, 2.0) * rng.uniform(0.85, 1.15, size=take)
            number, meter_id = meter_no(index), meter_ids[index]
            texts = [f"{v:.3f}" for v in values]
            pipeline_file.write("".join(f"{number},{stamps[i]},{texts[i]}\n" for i in range(take)))
            reference_file.write("".join(f"{meter_id},{stamps[i]},{texts[i]}\n" for i in range(take)))
            written += take
    return pipeline_path, reference_path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the file (default 1,000,000)")
    parser.add_argument(
        "--chunk-rows", type=int, default=None, help="process_batch chunk size (default: settings.INGEST_CHUNK_ROWS)"
    )
    parser.add_argument("--keep-file", action="store_true", help="keep the generated CSV files")
    parser.add_argument("--keep-database", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--phase", choices=["setup", "copy", "pipeline"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        return run_child(args)

    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    parsed = urlparse(url)
    print(f"machine: nproc {len(os.sched_getaffinity(0))}, {cpu_model()}, Python {platform.python_version()}")
    recreate_database(url)
    connection = connect(url)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        print(
            f"database: {urlunparse(parsed._replace(netloc=parsed.hostname or ''))}, PostgreSQL {cursor.fetchone()[0]}"
        )
    connection.close()
    workdir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    env = django_env(url, storage=workdir / "storage")
    try:
        manage("migrate", "--no-input", "-v", "0", env=env)
        setup = run_phase("setup", env=env, url=url, rows=args.rows)
        started = time.perf_counter()
        pipeline_path, reference_path = write_files(rows=args.rows, directory=workdir, meter_ids=setup["meter_ids"])
        size_mb = pipeline_path.stat().st_size / 1e6
        print(
            f"data: {args.rows:,} rows = {meter_count(args.rows):,} meters × {POINTS} points, "
            f"{size_mb:,.0f} MB CSV (written in {time.perf_counter() - started:.1f} s)"
        )
        chunk = {"chunk_rows": args.chunk_rows} if args.chunk_rows else {}

        copy = run_phase("copy", env=env, url=url, file=reference_path, rows=args.rows)
        first = run_phase("pipeline", env=env, url=url, file=pipeline_path, rows=args.rows, **chunk)
        again = run_phase("pipeline", env=env, url=url, file=pipeline_path, rows=args.rows, **chunk)
        print(f"chunk size: {first['chunk_rows']:,} rows (--chunk-rows, default INGEST_CHUNK_ROWS)")
        for label, result in (("a. raw COPY", copy), ("b. pipeline, first ingest", first), ("c. re-ingest", again)):
            rate = args.rows / result["seconds"]
            counts = result.get("counts")
            detail = "" if not counts else " — " + ", ".join(f"{k} {v:,}" for k, v in counts.items())
            print(
                f"{label:<27} {result['seconds']:7.2f} s  {rate:>10,.0f} rows/s  "
                f"peak RSS {result['peak_rss_mb']:6.0f} MB (after start-up {result['base_rss_mb']:.0f} MB){detail}"
            )
        assert first["counts"]["inserted"] == args.rows, first["counts"]
        assert again["counts"]["unchanged"] == args.rows, again["counts"]
        print(f"re-ingest ÷ first ingest: {first['seconds'] / again['seconds']:.2f} (≥ 1 means re-ingest is faster)")
        copy_rate, pipeline_rate = args.rows / copy["seconds"], args.rows / first["seconds"]
        print(f"ratio pipeline/COPY: {pipeline_rate / copy_rate:.3f}")
    finally:
        if not args.keep_file:
            for path in workdir.glob("*.csv"):
                path.unlink()
        if not args.keep_database:
            drop_database(url)
    return 0


# --- children ------------------------------------------------------------------------------------


def run_child(args) -> int:
    base = peak_rss_mb()
    if args.phase == "copy":
        result = child_copy(url=args.url, path=Path(args.file), rows=args.rows)
    else:
        import django

        sys.path.insert(0, str(ROOT))
        django.setup()
        base = peak_rss_mb()
        result = child_setup(rows=args.rows) if args.phase == "setup" else child_pipeline(args)
    result.update(peak_rss_mb=peak_rss_mb(), base_rss_mb=base)
    print(json.dumps(result))
    return 0


def child_setup(*, rows: int) -> dict:
    """One customer, N accounts and meters spread over areas of ~200 meters: what validation needs."""
    from decimal import Decimal

    from billing.models import Meter
    from customers.models import Account, Customer, Feeder, TransformerArea

    meters = meter_count(rows)
    feeder = Feeder.objects.create(code="FBENCH", name="基准线")
    areas = TransformerArea.objects.bulk_create(
        [TransformerArea(code=f"TBENCH{i:05d}", name=f"基准台区{i}", feeder=feeder) for i in range(-(-meters // 200))]
    )
    customer = Customer.objects.create(
        kind=Customer.Kind.ENTERPRISE, name="基准客户", id_number="bench", phone="13900000000", address="基准地址"
    )
    installed = dt.datetime(2020, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    ids: list[int] = []
    for start in range(0, meters, 5000):
        part = range(start, min(meters, start + 5000))
        accounts = Account.objects.bulk_create(
            [
                Account(
                    number=f"34{i:08d}",
                    customer=customer,
                    premise_address="基准地址",
                    category="residential",
                    voltage_level="220V",
                    contracted_kva=Decimal("8"),
                    opened_on=DAY.replace(year=2020),
                    area=areas[i // 200],
                )
                for i in part
            ]
        )
        created = Meter.objects.bulk_create(
            [
                Meter(meter_no=meter_no(i), account=a, area=a.area, manufacturer="基准", installed_at=installed)
                for i, a in zip(part, accounts, strict=True)
            ]
        )
        ids.extend(m.pk for m in created)
    return {"meter_ids": ids}


def child_copy(*, url: str, path: Path, rows: int) -> dict:
    """The reference: COPY straight from the file into an identical, empty, partitioned table."""
    connection = connect(url)
    month = DAY.replace(day=1)
    upper = (month + dt.timedelta(days=32)).replace(day=1)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {REFERENCE_TABLE} (LIKE billing_intervalreading INCLUDING ALL) "
            "PARTITION BY RANGE (interval_start)"
        )
        cursor.execute(
            f"CREATE TABLE {REFERENCE_TABLE}_p PARTITION OF {REFERENCE_TABLE} "
            f"FOR VALUES FROM ('{month} 00:00+08') TO ('{upper} 00:00+08')"
        )
        cursor.execute(f"CREATE TABLE {REFERENCE_TABLE}_default PARTITION OF {REFERENCE_TABLE} DEFAULT")
        connection.commit()
        with path.open() as handle:
            started = time.perf_counter()
            cursor.copy_expert(
                f"COPY {REFERENCE_TABLE} (meter_id, interval_start, kwh) FROM STDIN WITH (FORMAT csv, HEADER)",
                handle,
                size=1 << 20,
            )
            connection.commit()
            seconds = time.perf_counter() - started
        cursor.execute(f"SELECT count(*) FROM {REFERENCE_TABLE}")  # noqa: S608 - a constant
        assert cursor.fetchone()[0] == rows
        cursor.execute(f"DROP TABLE {REFERENCE_TABLE}")
        connection.commit()
    connection.close()
    return {"seconds": seconds}


def child_pipeline(args) -> dict:
    from django.conf import settings

    from billing.models import IngestBatch
    from billing.services.ingest import create_batch, process_batch

    path = Path(args.file)
    chunk_rows = args.chunk_rows or settings.INGEST_CHUNK_ROWS  # what the ingest workers use
    started = time.perf_counter()
    batch = create_batch(
        source=IngestBatch.Source.COMMAND,
        path=path,
        filename=path.name,
        as_of=dt.datetime.fromisoformat(AS_OF),
        copy_into_storage=False,
    )
    batch = process_batch(batch_id=batch.pk, chunk_rows=chunk_rows)
    seconds = time.perf_counter() - started
    assert batch.status == IngestBatch.Status.COMPLETED, batch.error
    counts = {
        name: getattr(batch, name)
        for name in ("received", "inserted", "updated", "unchanged", "duplicates", "rejected", "estimated")
    }
    return {"seconds": seconds, "counts": counts, "chunk_rows": chunk_rows}


if __name__ == "__main__":
    sys.exit(main())
