"""The usage page's figures are cached in Redis per meter (billing.selectors.usage), and every service
that writes readings invalidates them: ingestion (intervals and register reads), gap estimation and a
staff edit. A cached read runs no SQL; after a write the next read shows the new figures.

Fixture: meter M001 (15-minute, multiplier 1), 1 November 2026 00:00–01:00 local, four intervals of
0.25 kWh → the day's total 4 × 0.25 = 1.0000 kWh.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing.models import IngestBatch
from billing.selectors.usage import daily_totals, data_range, day_curve, tou_split
from billing.services.ingest.pipeline import create_batch_from_json, process_batch
from billing.services.readings import edit_interval_reading
from security import roles
from tests.factories import SHANGHAI, make_account, make_meter, make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.redis]

AS_OF = dt.datetime(2026, 11, 20, 12, 0, tzinfo=SHANGHAI)
DAY = dt.date(2026, 11, 1)
NOVEMBER = dt.date(2026, 11, 1)
OCTOBER = dt.date(2026, 10, 1)


def at(hour: int, minute: int, day: int = 1) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def ingest(readings: list[tuple[dt.datetime, str]]) -> IngestBatch:
    payload = {"readings": [{"meter_no": "M001", "timestamp": when.isoformat(), "kwh": kwh} for when, kwh in readings]}
    return process_batch(
        batch_id=create_batch_from_json(source=IngestBatch.Source.API, payload=payload, as_of=AS_OF).pk
    )


def day_total(meter) -> Decimal:
    (first,) = [d for d in daily_totals(meters=[meter], month=NOVEMBER) if d.day == DAY]
    return first.consumption.kwh if first.consumption else Decimal(0)


@pytest.fixture
def meter():
    meter = make_meter(meter_no="M001", account=make_account(contracted_kva=Decimal("8")))
    ingest([(at(0, 15 * i), "0.25") for i in range(4)])
    return meter


def test_a_cached_read_runs_no_sql(meter, django_assert_num_queries):
    assert day_total(meter) == Decimal("1.0000")  # 4 × 0.25
    with django_assert_num_queries(0):
        assert day_total(meter) == Decimal("1.0000")
        day_total(meter)


def test_ingesting_readings_invalidates_the_cached_figures(meter):
    assert day_total(meter) == Decimal("1.0000")
    first = data_range(meters=[meter]).first_day
    ingest([(at(1, 0), "0.50")])  # the next interval, no gap
    assert day_total(meter) == Decimal("1.5000")  # 1.0 + 0.50
    assert day_curve(meters=[meter], day=DAY).points[4].kwh == Decimal("0.5000")
    assert data_range(meters=[meter]).first_day == first == DAY


def test_a_correction_in_a_later_batch_invalidates_the_day_curve(meter):
    assert day_curve(meters=[meter], day=DAY).points[0].kwh == Decimal("0.2500")
    ingest([(at(0, 0), "0.40")])  # the same interval again, corrected
    assert day_curve(meters=[meter], day=DAY).points[0].kwh == Decimal("0.4000")
    assert day_total(meter) == Decimal("1.1500")  # 0.40 + 3 × 0.25


def test_a_staff_edit_invalidates_the_cached_figures(meter):
    assert day_total(meter) == Decimal("1.0000")
    edit_interval_reading(
        actor=make_staff(role=roles.BILLING_CLERK),
        meter=meter,
        interval_start=at(0, 30),
        kwh="1.25",
        reason="meter test",
        as_of=AS_OF,
    )
    assert day_total(meter) == Decimal("2.0000")  # 0.25 + 0.25 + 1.25 + 0.25
    assert day_curve(meters=[meter], day=DAY).points[2].quality == "edited"


def test_gap_estimation_after_a_batch_invalidates_the_cached_figures(meter):
    assert day_total(meter) == Decimal("1.0000")
    ingest([(at(2, 0), "0.25")])  # 01:00–01:45 missing between 00:45 and 02:00: estimated by the batch
    curve = day_curve(meters=[meter], day=DAY)
    assert sum(p.quality == "estimated" for p in curve.points) == 4
    assert day_total(meter) == Decimal("2.2500")  # 5 × 0.25 actual + 4 × 0.25 interpolated


def test_register_reads_invalidate_the_tou_split():
    meter = make_meter(meter_no="M001", account=make_account(), has_tou_registers=True)
    assert tou_split(meters=[meter], month=OCTOBER) is None
    payload = {
        "readings": [
            {
                "meter_no": "M001",
                "read_at": "2026-10-01T00:00:00+08:00",
                "total": "100",
                "sharp": "10",
                "peak": "30",
                "flat": "40",
                "valley": "20",
            },
            {
                "meter_no": "M001",
                "read_at": "2026-11-01T00:00:00+08:00",
                "total": "200",
                "sharp": "20",
                "peak": "60",
                "flat": "80",
                "valley": "40",
            },
        ]
    }
    process_batch(batch_id=create_batch_from_json(source=IngestBatch.Source.API, payload=payload, as_of=AS_OF).pk)
    split = tou_split(meters=[meter], month=OCTOBER)
    assert split is not None and split.total == Decimal("100.0000")  # 200 − 100


def test_the_usage_page_tables_follow_a_new_batch(meter, client):
    """The rendered day table is cached too; a batch gives it a new key, so 01:00 shows its reading."""
    import re

    from tests.factories import bind, make_portal_user

    user = make_portal_user()
    bind(user=user, account=meter.account)
    client.force_login(user)

    def at_one() -> str:
        html = client.get("/usage/", {"day": "2026-11-01", "month": "2026-11"}).content.decode()
        return re.search(r'01:00</th>\s*<td class="num">([^<]*)</td>', html).group(1)

    assert at_one() == "–"
    ingest([(at(1, 0), "0.50")])
    assert at_one() == "0.500"
