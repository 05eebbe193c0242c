"""docs/samples: each file, ingested after ``seed_demo`` in the documented order, gives exactly the
counts and rejected lines docs/samples/README.md lists; and the byte-level fast path of the parser
gives the same result as the general pandas path on them."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from billing.models import IngestBatch, IntervalReading, MeterDayCompleteness, Quality, RegisterRead
from billing.services.ingest import create_batch, layouts, process_batch
from core.time import SHANGHAI
from tests.module_data import kept_for_module

pytestmark = pytest.mark.django_db

SAMPLES = Path(settings.BASE_DIR) / "docs" / "samples"
FILES = ("01_interval_long.csv", "02_interval_wide_96.csv", "03_register.csv", "04_batch.json")
SEED_AS_OF = "2026-11-20"  # any seed_demo date from 2025-08-01 on gives the same counts (README)
INGEST_AS_OF = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
HOME, SHOP, AREA = "33017774124037", "33010328460080", "33013974131846"
COUNTERS = ("received", "inserted", "updated", "unchanged", "duplicates", "rejected", "estimated")


def _counts(received, inserted, updated, unchanged, duplicates, rejected, estimated) -> dict[str, int]:
    return dict(zip(COUNTERS, (received, inserted, updated, unchanged, duplicates, rejected, estimated), strict=True))


# file → (counts, {(line, reason): rejected-row records}): the figures of docs/samples/README.md.
EXPECTED: dict[str, tuple[dict[str, int], dict[tuple[int, str], int]]] = {
    "01_interval_long.csv": (
        _counts(received=62, inserted=47, updated=0, unchanged=0, duplicates=3, rejected=12, estimated=2),
        {
            (52, "unknown_meter"): 1,
            (53, "not_installed"): 1,
            (54, "off_grid"): 1,
            (55, "future"): 1,
            (56, "negative"): 1,
            (57, "spike"): 1,
            (58, "spike"): 1,
            (60, "malformed"): 1,
            (61, "malformed"): 1,
            (62, "malformed"): 1,
            (63, "malformed"): 1,
            (64, "malformed"): 1,
        },
    ),
    "02_interval_wide_96.csv": (
        _counts(received=1052, inserted=569, updated=0, unchanged=0, duplicates=96, rejected=387, estimated=7),
        {
            (3, "malformed"): 1,
            (3, "negative"): 1,
            (5, "spike"): 1,
            (9, "unknown_meter"): 1,
            (10, "not_installed"): 96,
            (11, "future"): 96,
            (12, "malformed"): 1,
        },
    ),
    "03_register.csv": (
        _counts(received=23, inserted=14, updated=0, unchanged=0, duplicates=1, rejected=8, estimated=0),
        {
            (16, "tou_sum_mismatch"): 1,
            (18, "register_backwards"): 1,
            (19, "negative"): 1,
            (20, "not_installed"): 1,
            (21, "future"): 1,
            (22, "unknown_meter"): 1,
            (23, "malformed"): 1,
            (24, "malformed"): 1,
        },
    ),
    "04_batch.json": (
        _counts(received=13, inserted=3, updated=4, unchanged=2, duplicates=1, rejected=3, estimated=1),
        {(11, "unknown_meter"): 1, (12, "malformed"): 1, (13, "spike"): 1},
    ),
}
EVERY_REASON = {
    "malformed",
    "unknown_meter",
    "not_installed",
    "off_grid",
    "future",
    "negative",
    "spike",
    "register_backwards",
    "tou_sum_mismatch",
}


def _seed() -> None:
    # --curves 0 for speed: the samples' meters and dates lie outside every curve, so the counts
    # are those of a plain ``seed_demo`` (tests/customers/test_seed_default_pg.py checks that).
    call_command("seed_demo", "--as-of", SEED_AS_OF, "--curves", "0", stdout=io.StringIO())


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker) -> Iterator[None]:
    yield from kept_for_module(django_db_blocker, _seed)  # each test's ingest is rolled back after it


def ingest(name: str) -> IngestBatch:
    batch = create_batch(
        source=IngestBatch.Source.COMMAND,
        path=SAMPLES / name,
        filename=name,
        as_of=INGEST_AS_OF,
        copy_into_storage=False,
    )
    return process_batch(batch_id=batch.pk)


def summary(batch: IngestBatch) -> tuple[dict[str, int], dict[tuple[int, str], int]]:
    counts = {name: getattr(batch, name) for name in COUNTERS}
    return counts, dict(Counter((r.line_number, r.reason_code) for r in batch.rejected_rows.all()))


def reading(meter_no: str, day: int, hour: int, minute: int) -> tuple[Decimal, int]:
    row = IntervalReading.objects.get(
        meter__meter_no=meter_no, interval_start=dt.datetime(2024, 6, day, hour, minute, tzinfo=SHANGHAI)
    )
    return row.kwh, row.quality


def test_the_samples_cover_every_rejection_reason():
    reasons = {reason for _, rejected in EXPECTED.values() for _, reason in rejected}
    assert reasons == EVERY_REASON
    assert sorted(p.name for p in SAMPLES.iterdir() if p.suffix in {".csv", ".json"}) == list(FILES)


def test_samples_give_the_documented_counts_and_rejected_lines(seeded):
    for name in FILES:
        batch = ingest(name)
        assert batch.status == IngestBatch.Status.COMPLETED, batch.error
        assert summary(batch) == EXPECTED[name], name

    # 01: the later of two rows wins; the collection gap 02:00–02:15 was estimated, and 04 then
    # replaced the estimates with actual values; 04:00 (a rejected spike in 01) stays estimated.
    assert reading(AREA, 3, 0, 30) == (Decimal("0.0850"), Quality.ACTUAL)
    assert reading(SHOP, 3, 3, 45) == (Decimal("0.0370"), Quality.ACTUAL)
    assert reading(HOME, 3, 2, 0) == (Decimal("0.1180"), Quality.ACTUAL)
    assert reading(HOME, 3, 4, 0)[1] == Quality.ESTIMATED
    assert reading(HOME, 3, 4, 30) == (Decimal("0.1100"), Quality.ACTUAL)
    # 02: blank points p37–p40 of 06-11 and the rejected p12/p60 were estimated between neighbours.
    assert reading(HOME, 11, 9, 0)[1] == Quality.ESTIMATED
    assert reading(HOME, 11, 14, 45)[1] == Quality.ESTIMATED
    # Completeness per meter-day: the home's 10th complete, its 11th with 6 estimated quarter-hours.
    home_day = MeterDayCompleteness.objects.get(meter__meter_no=HOME, day=dt.date(2024, 6, 10))
    assert (home_day.expected, home_day.actual, home_day.estimated) == (96, 96, 0)
    home_day = MeterDayCompleteness.objects.get(meter__meter_no=HOME, day=dt.date(2024, 6, 11))
    assert (home_day.expected, home_day.actual, home_day.estimated) == (96, 90, 6)
    # 03: a total-only read keeps its TOU registers empty.
    total_only = RegisterRead.objects.get(meter__meter_no=AREA, read_at=dt.datetime(2024, 6, 5, tzinfo=SHANGHAI))
    assert total_only.peak is None and total_only.total > 0


def _everything(name: str) -> tuple:
    batch = ingest(name)
    rejected = sorted((r.line_number, r.reason_code, r.message, r.raw) for r in batch.rejected_rows.all())
    readings = sorted(IntervalReading.objects.values_list("meter_id", "interval_start", "kwh", "quality"))
    reads = sorted(RegisterRead.objects.values_list("meter_id", "read_at", "total", "sharp", "peak", "flat", "valley"))
    return summary(batch)[0], rejected, readings, reads


def test_byte_level_fast_path_and_general_path_agree_on_the_samples(seeded, monkeypatch):
    from django.db import transaction

    results = {}
    for fast in (True, False):
        monkeypatch.setattr(layouts, "BYTE_SPLITTING", fast)
        with transaction.atomic():
            results[fast] = [_everything(name) for name in FILES]
            transaction.set_rollback(True)
    assert results[True] == results[False]
