"""Monthly partitions of billing_intervalreading on PostgreSQL."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from billing.models import IntervalReading
from billing.services.partitions import (
    DEFAULT_PARTITION,
    ensure_interval_partitions,
    ensure_partitions_ahead,
    existing_partitions,
)
from tests.factories import SHANGHAI, make_meter

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _partition_of(meter_id: int, ts: dt.datetime) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM billing_intervalreading WHERE meter_id = %s AND interval_start = %s",
            [meter_id, ts],
        )
        return cursor.fetchone()[0]


def test_beat_job_creates_this_month_and_the_next_three_once():
    created = ensure_partitions_ahead(as_of=dt.datetime(2031, 11, 24, 9, tzinfo=SHANGHAI), months_ahead=3)
    assert created == [f"billing_intervalreading_p{m}" for m in ("2031_11", "2031_12", "2032_01", "2032_02")]
    assert set(created) <= existing_partitions()
    assert ensure_partitions_ahead(as_of=dt.datetime(2031, 11, 30, tzinfo=SHANGHAI), months_ahead=3) == []


def test_month_boundaries_are_shanghai_midnight():
    ensure_interval_partitions(months=[dt.date(2032, 3, 1), dt.date(2032, 4, 1)])
    meter = make_meter(installed_at=dt.datetime(2030, 1, 1, tzinfo=SHANGHAI))
    last_of_march = dt.datetime(2032, 3, 31, 23, 45, tzinfo=SHANGHAI)  # 15:45 UTC, still March locally
    first_of_april = dt.datetime(2032, 4, 1, 0, 0, tzinfo=SHANGHAI)  # 16:00 UTC on 31 March
    for ts in (last_of_march, first_of_april):
        IntervalReading.objects.create(meter=meter, interval_start=ts, kwh=Decimal("1"))
    assert _partition_of(meter.pk, last_of_march) == "billing_intervalreading_p2032_03"
    assert _partition_of(meter.pk, first_of_april) == "billing_intervalreading_p2032_04"


def test_rows_parked_in_the_default_partition_move_when_their_month_is_created():
    meter = make_meter(installed_at=dt.datetime(2030, 1, 1, tzinfo=SHANGHAI))
    ts = dt.datetime(2033, 5, 10, 8, tzinfo=SHANGHAI)
    IntervalReading.objects.create(meter=meter, interval_start=ts, kwh=Decimal("2.5"))
    assert _partition_of(meter.pk, ts) == DEFAULT_PARTITION
    assert ensure_interval_partitions(months=[dt.date(2033, 5, 1)]) == ["billing_intervalreading_p2033_05"]
    assert _partition_of(meter.pk, ts) == "billing_intervalreading_p2033_05"
    assert IntervalReading.objects.get(meter=meter, interval_start=ts).kwh == Decimal("2.5000")
