#!/usr/bin/env python
"""Benchmark ``manage.py seed_demo --customers N`` on PostgreSQL against a raw COPY reference.

    .venv/bin/python bench/seed_demo.py [--customers 10000]

Database: DATABASE_URL, default postgres://postgres@127.0.0.1:5432/mp_bench. It is DROPPED and
re-created, so its name must contain "bench". The run uses local settings with DEBUG off and freshly
generated throwaway keys, migrates (not timed), then times in the same run:

1. ``seed_demo --customers N`` as a subprocess, wall clock (Django start-up, demo users with Argon2,
   grid, customers, accounts, tags, interactions, all personal fields encrypted);
2. the reference: ``COPY`` (psycopg2 ``copy_expert``) of N customer-shaped rows of synthetic,
   plaintext-free values (random ciphertext-shaped text, random blind indexes) into an empty table
   created ``LIKE customers_customer INCLUDING ALL`` (same columns, constraints and indexes).

Prints customers/s for both; the last line is the ratio.
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from _common import connect, cpu_model, recreate_database

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/mp_bench"


def django_env(url: str) -> dict[str, str]:
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
    }


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )


def time_seed_demo(*, customers: int, env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = manage("seed_demo", "--customers", str(customers), "--seed", "42", "--verbosity", "0", env=env)
    elapsed = time.perf_counter() - started
    summary = next((line for line in result.stdout.splitlines() if line.startswith("Seeded")), "")
    print(f"  {summary}")
    return elapsed


def _fake_ciphertext(plain_len: int) -> str:
    """Same shape and length as a stored value: header + base64url(nonce ‖ ciphertext ‖ tag)."""
    return "v1:kbench:" + base64.urlsafe_b64encode(os.urandom(12 + plain_len + 16)).decode()


def time_copy_reference(*, customers: int, url: str) -> float:
    connection = connect(url)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy_customer")
        cursor.execute("CREATE TABLE bench_copy_customer (LIKE customers_customer INCLUDING ALL)")
        connection.commit()
        buffer = io.StringIO()
        now = "2025-06-01 08:00:00+08"
        for row_id in range(1, customers + 1):
            fields = (
                str(row_id),
                str(uuid.uuid4()),
                "individual",
                f"客户{row_id:05d}",  # not a person's name, same width as one
                secrets.token_hex(8),
                _fake_ciphertext(18),
                secrets.token_hex(8),
                _fake_ciphertext(11),
                secrets.token_hex(8),
                _fake_ciphertext(20),
                _fake_ciphertext(96),  # ~32 CJK characters of address in UTF-8
                now,
                now,
            )
            buffer.write("\t".join(fields) + "\n")
        buffer.seek(0)
        columns = (
            "id, public_id, kind, name, id_number_bidx, id_number, phone_bidx, phone, "
            "email_bidx, email, address, created_at, updated_at"
        )
        started = time.perf_counter()
        cursor.copy_expert(f"COPY bench_copy_customer ({columns}) FROM STDIN", buffer)
        connection.commit()
        elapsed = time.perf_counter() - started
        cursor.execute("SELECT count(*) FROM bench_copy_customer")
        assert cursor.fetchone()[0] == customers
    connection.close()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=10_000)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    parsed = urlparse(url)
    print(f"machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu_model()}")
    print(f"database: {urlunparse(parsed._replace(netloc=parsed.hostname or ''))} (re-created)")

    recreate_database(url)
    env = django_env(url)
    manage("migrate", "--no-input", "-v", "0", env=env)

    print(f"seed_demo --customers {args.customers}:")
    seed_seconds = time_seed_demo(customers=args.customers, env=env)
    seed_rate = args.customers / seed_seconds
    print(f"  wall clock {seed_seconds:.2f} s → {seed_rate:,.0f} customers/s")

    copy_seconds = time_copy_reference(customers=args.customers, url=url)
    copy_rate = args.customers / copy_seconds
    print(f"reference COPY of {args.customers} plaintext-free customer-shaped rows:")
    print(f"  {copy_seconds:.3f} s → {copy_rate:,.0f} customers/s")
    print(f"ratio seed_demo/COPY: {seed_rate / copy_rate:.4f} (COPY is {copy_rate / seed_rate:.1f}× faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
