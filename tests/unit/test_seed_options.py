"""seed_demo run with its options on an empty database: the same seed gives the same data, and --curves
caps the areas that get load curves (each test seeds for itself, so they are apart from test_seed_metering's
one shared seed)."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.db.models import Sum

from billing.models import IntervalReading, Meter, RegisterRead
from customers.models import PortalBinding
from customers.services import demo as customer_demo
from tests.unit.test_seed_metering import _seed

pytestmark = pytest.mark.django_db


def test_same_seed_same_data_and_curves_option():
    def snapshot() -> tuple:
        meters = sorted(Meter.objects.values_list("meter_no", "multiplier", "installed_at", "model_name"))
        readings = IntervalReading.objects.count(), IntervalReading.objects.aggregate(total=Sum("kwh"))["total"]
        reads = sorted(RegisterRead.objects.values_list("meter__meter_no", "read_at", "total"))[:2000]
        return meters, readings, reads

    with transaction.atomic():
        _seed()
        first = snapshot()
        transaction.set_rollback(True)
    with transaction.atomic():
        _seed()
        assert snapshot() == first
        transaction.set_rollback(True)
    output = _seed("--curves", "0")
    assert IntervalReading.objects.count() == 0
    assert "0 with a year of 15-minute curves" in output
    assert RegisterRead.objects.count() > 0  # monthly reads for every meter all the same


def test_curves_option_caps_whole_areas():
    _seed("--curves", "5")
    with_curves = set(IntervalReading.objects.values_list("meter_id", flat=True).distinct())
    customer_meters = Meter.objects.filter(id__in=with_curves, role=Meter.Role.CUSTOMER)
    assert 2 <= customer_meters.count() <= 5
    demo_accounts = PortalBinding.objects.filter(user__username=customer_demo.DEMO_CUSTOMER_USERNAME)
    assert set(demo_accounts.values_list("account_id", flat=True)) <= set(
        customer_meters.values_list("account_id", flat=True)
    )
    # An area with curves has them for all its meters, summary meter included.
    summaries = Meter.objects.filter(id__in=with_curves, role=Meter.Role.AREA_SUMMARY)
    for summary in summaries:
        assert set(Meter.objects.filter(area=summary.area).values_list("id", flat=True)) <= with_curves
