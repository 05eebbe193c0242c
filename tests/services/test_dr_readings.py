"""The interval load the settlement reads (services.actions.demand_response.readings.load_arrays): the
PostgreSQL COPY path, checked by hand and against the ORM path — meters of one account add up, a
30-minute reading covers its two slots at its average kW, the multiplier applies, estimated readings
are flagged and a missing one stays NaN."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import numpy as np
import pytest

from billing.models import IntervalReading
from core.time import SHANGHAI
from services.actions.demand_response import readings
from tests.factories import make_account, make_meter

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

DAY = dt.date(2026, 8, 12)


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


def test_copy_path_by_hand_and_equal_to_the_orm_path(monkeypatch):
    two_meters = make_account()
    coarse = make_account()
    nothing = make_account()
    first = make_meter(account=two_meters)
    second = make_meter(account=two_meters)
    half_hourly = make_meter(account=coarse, interval_minutes=30, multiplier=D("2"))
    IntervalReading.objects.bulk_create(
        [
            IntervalReading(meter_id=first.pk, interval_start=at(14), kwh=D("0.5000")),  # 2.0 kW
            IntervalReading(meter_id=second.pk, interval_start=at(14), kwh=D("0.2500")),  # + 1.0 kW
            IntervalReading(meter_id=first.pk, interval_start=at(14, 15), kwh=D("0.1234"), quality=1),  # estimated
            IntervalReading(meter_id=half_hourly.pk, interval_start=at(14), kwh=D("0.7500")),  # × 2 × 2 = 3.0 kW
            IntervalReading(meter_id=half_hourly.pk, interval_start=at(0, 0, DAY + dt.timedelta(days=1)), kwh=D("1")),
        ]
    )
    accounts = [two_meters.pk, coarse.pk, nothing.pk]
    arrays = readings.load_arrays(account_ids=accounts, first_day=DAY - dt.timedelta(days=1), last_day=DAY)
    assert arrays.load_kw.shape == (3, 2, 96)
    slot = 56  # 14:00 on the last day (row 1)
    assert arrays.load_kw[0, 1, slot] == pytest.approx(3.0)
    assert arrays.load_kw[0, 1, slot + 1] == pytest.approx(0.4936)  # 0.1234 kWh × 4
    assert arrays.estimated[0, 1, slot + 1] and not arrays.estimated[0, 1, slot]
    assert arrays.load_kw[1, 1, slot] == pytest.approx(3.0) and arrays.load_kw[1, 1, slot + 1] == pytest.approx(3.0)
    assert np.isnan(arrays.load_kw[1, 1, slot + 2]) and np.isnan(arrays.load_kw[2]).all()
    assert np.count_nonzero(~np.isnan(arrays.load_kw)) == 4  # the next day's reading is outside

    monkeypatch.setattr(readings.connection, "vendor", "sqlite")  # the ORM path on the same rows
    orm = readings.load_arrays(account_ids=accounts, first_day=DAY - dt.timedelta(days=1), last_day=DAY)
    np.testing.assert_allclose(orm.load_kw, arrays.load_kw, rtol=0, atol=1e-12)
    assert (orm.estimated == arrays.estimated).all()
