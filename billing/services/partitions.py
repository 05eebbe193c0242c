"""Monthly partitions of billing_intervalreading on PostgreSQL (no-op elsewhere).

Ingestion calls ``ensure_interval_partitions`` for the months a chunk touches before writing, and a
beat task creates the next months ahead of time, so rows never have to sit in the DEFAULT partition.
If rows did land there (written before their month existed), creating the month moves them out.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Iterable

from django.db import connection, transaction

from core.months import month_start, next_month
from core.time import day_span, local_date

PARENT = "billing_intervalreading"
DEFAULT_PARTITION = f"{PARENT}_default"


def partition_name(month: dt.date) -> str:
    return f"{PARENT}_p{month:%Y_%m}"


def existing_partitions() -> set[str]:
    if connection.vendor != "postgresql":
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
            [PARENT],
        )
        return {row[0] for row in cursor.fetchall()}


def _create_partition(month: dt.date) -> None:
    name = partition_name(month)
    lower, upper = day_span(month, next_month(month))
    with transaction.atomic(), connection.cursor() as cursor:
        # Serialise creators of the same month (two workers may meet here); then re-check.
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(name.encode())])
        if name in existing_partitions():
            return
        cursor.execute(f'CREATE TABLE "{name}" (LIKE {PARENT} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)')
        cursor.execute(
            f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE interval_start >= %s AND interval_start < %s RETURNING *) "
            f'INSERT INTO "{name}" SELECT * FROM moved',
            [lower, upper],
        )
        cursor.execute(f'ALTER TABLE {PARENT} ATTACH PARTITION "{name}" FOR VALUES FROM (%s) TO (%s)', [lower, upper])


def ensure_interval_partitions(*, months: Iterable[dt.date]) -> list[str]:
    """Create the month partitions among ``months`` that do not exist yet; returns the names created."""
    if connection.vendor != "postgresql":
        return []
    wanted = sorted({month_start(m) for m in months})
    existing = existing_partitions()
    created = []
    for month in wanted:
        if partition_name(month) not in existing:
            _create_partition(month)
            created.append(partition_name(month))
    return created


def ensure_partitions_ahead(*, as_of: dt.datetime, months_ahead: int = 3) -> list[str]:
    """The beat task's job: this month and the next ``months_ahead`` months exist."""
    month = month_start(local_date(as_of))
    months = [month]
    for _ in range(months_ahead):
        month = next_month(month)
        months.append(month)
    return ensure_interval_partitions(months=months)
