"""refresh_completeness on PostgreSQL: the per-pair and the grouped way of counting give the same rows,
and each is chosen by how densely the pairs fill their meters × days."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing.models import IntervalReading, MeterDayCompleteness, Quality
from billing.services import completeness
from tests.factories import SHANGHAI, make_meter

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

AS_OF = dt.datetime(2026, 3, 20, 12, 0, tzinfo=SHANGHAI)  # the 20th is half over


@pytest.fixture
def meters():
    """Meter A: 1–20 March, 96 readings a day of 0.25 kWh, the last 4 of each day estimated.
    Meter B: only 2 March (40 readings of 0.5 kWh, 2 of them edited) and 19 March (nothing)."""
    a, b = make_meter(), make_meter()
    rows = []
    for day in range(1, 21):
        start = dt.datetime(2026, 3, day, tzinfo=SHANGHAI)
        for slot in range(96):
            quality = Quality.ESTIMATED if slot >= 92 else Quality.ACTUAL
            at = start + dt.timedelta(minutes=15 * slot)
            rows.append(IntervalReading(meter=a, interval_start=at, kwh=Decimal("0.25"), quality=quality))
    for slot in range(40):
        at = dt.datetime(2026, 3, 2, tzinfo=SHANGHAI) + dt.timedelta(minutes=15 * slot)
        rows.append(
            IntervalReading(
                meter=b, interval_start=at, kwh=Decimal("0.5"), quality=Quality.EDITED if slot < 2 else Quality.ACTUAL
            )
        )
    IntervalReading.objects.bulk_create(rows)
    return a, b


def _rows() -> dict:
    return {
        (r.meter_id, r.day.day): (r.expected, r.actual, r.estimated, r.edited, r.kwh)
        for r in MeterDayCompleteness.objects.all()
    }


def test_grouped_and_per_pair_counting_agree(meters, monkeypatch):
    a, b = meters
    days = [dt.date(2026, 3, d) for d in range(1, 21)]
    pairs = [(a.pk, d) for d in days] + [(b.pk, dt.date(2026, 3, 2)), (b.pk, dt.date(2026, 3, 19))]
    # Each run with the other way's SQL made invalid, to prove which way counted.
    monkeypatch.setattr(completeness, "COUNTS_PER_PAIR", "<per pair must not be used>")
    completeness.refresh_completeness(meter_days=pairs, as_of=AS_OF)  # 22 pairs ≥ 0.5 × 2 meters × 20 days
    grouped = _rows()
    MeterDayCompleteness.objects.all().delete()
    monkeypatch.undo()
    monkeypatch.setattr(completeness, "COUNTS_GROUPED", "<grouped must not be used>")
    monkeypatch.setattr(completeness, "GROUPED_MIN_DENSITY", 2.0)  # never dense enough: per pair
    completeness.refresh_completeness(meter_days=pairs, as_of=AS_OF)
    assert _rows() == grouped

    # A: 92 actual + 4 estimated × 0.25 = 24 kWh a day; on the 20th only 48 intervals were due by 12:00
    # (all 96 are stored: the expected count caps what is due, the counts say what arrived).
    assert grouped[(a.pk, 1)] == (96, 92, 4, 0, Decimal("24.0000"))
    assert grouped[(a.pk, 20)] == (48, 92, 4, 0, Decimal("24.0000"))
    # B: 38 actual + 2 edited × 0.5 = 20 kWh on the 2nd; the 19th has a row with nothing in it.
    assert grouped[(b.pk, 2)] == (96, 38, 0, 2, Decimal("20.0000"))
    assert grouped[(b.pk, 19)] == (96, 0, 0, 0, Decimal("0.0000"))
    assert len(grouped) == 22


def test_scattered_days_are_counted_per_pair(meters, monkeypatch):
    a, b = meters
    monkeypatch.setattr(completeness, "COUNTS_GROUPED", "<grouped must not be used>")
    # 2 pairs over 2 meters × 19 days: far below half dense, so the grouped SQL (made invalid) is not run
    completeness.refresh_completeness(
        meter_days=[(a.pk, dt.date(2026, 3, 1)), (b.pk, dt.date(2026, 3, 19))], as_of=AS_OF
    )
    seen = _rows()
    assert seen == {(a.pk, 1): (96, 92, 4, 0, Decimal("24.0000")), (b.pk, 19): (96, 0, 0, 0, Decimal("0.0000"))}
