"""seed_demo on an empty database, each test seeding for itself (apart from the modules that share one
seed): the same seed gives the same data, --seed and --curves do what they say, --if-empty seeds an
empty database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.db.models import Sum

from billing.models import IntervalReading, Meter, RegisterRead
from customers import demo as customer_demo
from customers.models import Account, Customer, Feeder, Interaction, PortalBinding, TransformerArea
from tests.billing.test_seed_metering import _seed  # 30 customers, as of 2026-11-20, curves by default
from tests.customers.test_seed_demo import _seed as _run  # seed_demo with exactly these arguments

pytestmark = pytest.mark.django_db


def test_same_seed_same_data_and_curves_option():
    def snapshot() -> tuple:
        meters = sorted(Meter.objects.values_list("meter_no", "multiplier", "installed_at", "model_name"))
        readings = IntervalReading.objects.count(), IntervalReading.objects.aggregate(total=Sum("kwh"))["total"]
        reads = sorted(RegisterRead.objects.values_list("meter__meter_no", "read_at", "total"))[:2000]
        return meters, readings, reads

    # Curves for a few whole areas are enough to show the generator is deterministic (a full set of
    # curves, twice, cost CI a minute).
    with transaction.atomic():
        _seed("--curves", "5")
        first = snapshot()
        transaction.set_rollback(True)
    assert first[1][0] > 0  # there are curves to compare
    with transaction.atomic():
        _seed("--curves", "5")
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


def test_seed_writes_the_generated_dataset_deterministically():
    output = _run("--customers", "30", "--seed", "5", "--as-of", "2025-06-01", "--curves", "0")
    expected = customer_demo.generate_demo_dataset(customers=30, seed=5, as_of=dt.date(2025, 6, 1))
    customers = list(Customer.objects.order_by("id"))
    assert [c.name for c in customers] == [c.name for c in expected.customers]
    assert [c.id_number for c in customers] == [c.id_number for c in expected.customers]
    assert [c.phone for c in customers] == [c.phone for c in expected.customers]
    assert sorted(Account.objects.values_list("number", flat=True)) == sorted(
        a.number for c in expected.customers for a in c.accounts
    )
    assert Feeder.objects.count() == len(expected.feeders)
    assert TransformerArea.objects.count() == len(expected.areas)
    assert Interaction.objects.count() == len(expected.interactions)
    assert "Seeded 30 customers" in output


def test_if_empty_seeds_an_empty_database():
    output = _run("--if-empty", "--customers", "10", "--as-of", "2025-06-01", "--curves", "0")
    assert Customer.objects.count() == 10
    assert "Seeded 10 customers" in output
