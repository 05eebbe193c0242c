"""A plain ``seed_demo`` on PostgreSQL: readings COPYed into the monthly partitions, the documented
planted anomalies, and the sample files giving exactly their documented counts next to the curves."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from django.db import connection

from billing.models import IntervalReading, Meter, MeterDayCompleteness
from billing.services.partitions import DEFAULT_PARTITION, existing_partitions, partition_name
from tests.unit.test_sample_files import EXPECTED, FILES, ingest, summary

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

AS_OF = "2026-11-20"


@pytest.fixture
def seeded() -> str:
    out = io.StringIO()
    call_command("seed_demo", "--as-of", AS_OF, stdout=out)  # the defaults: 200 customers, seed 42
    return out.getvalue()


def test_default_seed_writes_curves_into_month_partitions(seeded):
    line = next(row for row in seeded.splitlines() if row.startswith("Metering:"))
    written = int(re.search(r"([\d,]+) interval readings", line).group(1).replace(",", ""))
    assert written == IntervalReading.objects.count() > 1_000_000
    months = {dt.date(2025, 11, 1), *(dt.date(2026, m, 1) for m in range(1, 12))}
    assert {partition_name(m) for m in months} <= existing_partitions()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {DEFAULT_PARTITION}")  # noqa: S608 - a constant
        assert cursor.fetchone()[0] == 0
    # Completeness was refreshed for every meter-day written.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(DISTINCT (meter_id, (interval_start AT TIME ZONE 'Asia/Shanghai')::date)) "
            "FROM billing_intervalreading"
        )
        assert MeterDayCompleteness.objects.count() == cursor.fetchone()[0]


def test_planted_anomalies_are_in_the_demo_customers_home_area(seeded):
    planted = re.findall(r"(bypassed|stopped) meter (3301\d{10})", seeded)
    assert [kind for kind, _ in planted] == ["bypassed", "stopped"]
    for _, number in planted:
        meter = Meter.objects.select_related("area", "account").get(meter_no=number)
        assert meter.area.code == "TA33010500001" and meter.account.category == "residential"
    stopped = Meter.objects.get(meter_no=planted[1][1])
    late = IntervalReading.objects.filter(meter=stopped, interval_start__gte=dt.datetime(2026, 9, 21, tzinfo=dt.UTC))
    assert late.exists() and not late.filter(kwh__gt=0).exists()


def test_samples_give_the_documented_counts_after_a_plain_seed_demo(seeded):
    for name in FILES:
        assert summary(ingest(name)) == EXPECTED[name], name
