"""More hand-computed bills: mid-period tariff change (by days and by interval data), a final bill on
closure, demand-based two-part with a power-factor rebate, tier 3 on time-of-use, rounding.
Rounding: each line = quantity × rate rounded to 0.01 half-up; total = sum of lines."""

import datetime as dt
from decimal import Decimal as D

import pytest

from billing.models import IntervalReading, Meter, Tariff, TariffVersion
from customers.models import Account
from tests.billing.test_bills import assign, at, bill_for, lines, read
from tests.factories import make_account, make_meter

pytestmark = pytest.mark.django_db


@pytest.fixture
def flat_rises_on_16_november():
    """ZJ-RES-FLAT: 0.538 until 15 Nov 2026, 0.600 from 16 Nov."""
    tariff = Tariff.objects.get(code="ZJ-RES-FLAT")
    old = tariff.versions.get()
    TariffVersion.objects.filter(pk=old.pk).update(valid_to=dt.date(2026, 11, 16))
    TariffVersion.objects.create(
        tariff=tariff,
        valid_from=dt.date(2026, 11, 16),
        rate_total=D("0.600"),
        tier1_max_kwh=D("2760"),
        tier2_max_kwh=D("4800"),
        tier2_surcharge=D("0.05"),
        tier3_surcharge=D("0.30"),
    )


def test_tariff_change_mid_period_split_by_days(residential, flat_rises_on_16_november):
    account, meter = residential
    assign(account, "ZJ-RES-FLAT")
    read(meter, "2026-11-01", "1000.00")
    read(meter, "2026-12-01", "1300.00")
    bill = bill_for(account)
    # No interval data: 300 kWh shared by days, 15 + 15 → 150.00 kWh each.
    # 150 × 0.538 = 80.70; 150 × 0.600 = 90.00; total 170.70
    assert bill.split_method == "days"
    assert [line.amount for line in bill.lines.order_by("position")] == [D("80.70"), D("90.00")]
    assert bill.amount == D("170.70")


def test_tariff_change_mid_period_split_by_interval_data(flat_rises_on_16_november):
    account = make_account(category=Account.Category.RESIDENTIAL, contracted_kva=D("8"))
    meter = make_meter(account=account, meter_no="RI", has_tou_registers=False)
    assign(account, "ZJ-RES-FLAT")
    start = at("2026-11-01")
    IntervalReading.objects.bulk_create(
        IntervalReading(
            meter=meter, interval_start=start + dt.timedelta(minutes=15 * i), kwh=D("0.1") if i < 15 * 96 else D("0.2")
        )
        for i in range(30 * 96)
    )
    bill = bill_for(account)
    # 1–15 Nov: 1,440 intervals × 0.1 = 144.0 kWh × 0.538 = 77.472 → 77.47
    # 16–30 Nov: 1,440 intervals × 0.2 = 288.0 kWh × 0.600 = 172.80; total 250.27
    assert bill.split_method == "interval data"
    assert [line.amount for line in bill.lines.order_by("position")] == [D("77.47"), D("172.80")]
    assert bill.amount == D("250.27")


def test_final_bill_on_closure_prorates_capacity():
    account = make_account(
        category=Account.Category.INDUSTRIAL,
        contracted_kva=D("500"),
        voltage_level="10kV",
        status=Account.Status.CLOSED,
        closed_on=dt.date(2026, 11, 11),
    )
    meter = make_meter(account=account, meter_no="GX")
    Meter.objects.filter(pk=meter.pk).update(removed_at=at("2026-11-11"))
    assign(account, "EX-IND-2P")
    read(meter, "2026-11-01", "0", sharp="0", peak="0", flat="0", valley="0", reactive="0")
    read(meter, "2026-11-11", "3000", sharp="0", peak="2000", flat="0", valley="1000", reactive="0")  # final read
    bill = bill_for(account)
    # Supplied 1–10 Nov = 10 of 30 days: capacity 500 kVA × 10/30 × 30 = 5,000.00
    # peak 2,000 × 0.85 = 1,700.00; valley 1,000 × 0.35 = 350.00; subtotal 7,050.00
    # cos φ = 3,000 / √(3,000² + 0²) = 1.000 → −0.75 %: 7,050.00 × −0.0075 = −52.875 → −52.88
    # total 7,050.00 − 52.88 = 6,997.12
    assert lines(bill) == {
        "capacity": D("5000.00"),
        "energy_peak": D("1700.00"),
        "energy_valley": D("350.00"),
        "power_factor": D("-52.88"),
    }
    assert bill.amount == D("6997.12")


def test_demand_based_two_part_with_power_factor_rebate():
    account = make_account(category=Account.Category.INDUSTRIAL, contracted_kva=D("1000"), voltage_level="10kV")
    meter = make_meter(account=account, meter_no="GD")
    assign(account, "EX-IND-2P", demand_basis="demand")
    read(meter, "2026-11-01", "0", sharp="0", peak="0", flat="0", valley="0", reactive="0")
    read(meter, "2026-12-01", "15000", sharp="0", peak="10000", flat="0", valley="5000", reactive="4930")
    for minutes, kwh in ((600, "100"), (615, "200"), (630, "50")):
        IntervalReading.objects.create(
            meter=meter, interval_start=at("2026-11-10") + dt.timedelta(minutes=minutes), kwh=D(kwh)
        )
    bill = bill_for(account)
    # maximum demand: 200 kWh in 15 minutes = 800 kW × 40 = 32,000.00
    # peak 10,000 × 0.85 = 8,500.00; valley 5,000 × 0.35 = 1,750.00; subtotal 42,250.00
    # cos φ = 15,000 / √(15,000² + 4,930²) = 15,000 / 15,789.39 = 0.950 → −0.75 % = −316.875 → −316.88
    # total 42,250.00 − 316.88 = 41,933.12
    assert (bill.max_demand_kw, bill.power_factor) == (D("800.000"), D("0.950"))
    assert lines(bill) == {
        "demand": D("32000.00"),
        "energy_peak": D("8500.00"),
        "energy_valley": D("1750.00"),
        "power_factor": D("-316.88"),
    }
    assert bill.amount == D("41933.12")


def test_residential_tou_into_tier_3(residential):
    account, meter = residential
    assign(account, "ZJ-RES-TOU")
    read(meter, "2026-10-01", "0.00", peak="0.00", valley="0.00")
    read(meter, "2026-11-01", "4700.00", peak="3000.00", valley="1700.00")
    read(meter, "2026-12-01", "5200.00", peak="3300.00", valley="1900.00")
    bill_for(account, (dt.date(2026, 10, 1), dt.date(2026, 11, 1)))
    november = bill_for(account)
    # 4,700 earlier this year; +500 (peak 300, valley 200) → tier 2: 4,700→4,800 = 100 kWh, tier 3: 400 kWh
    # peak 300 × 0.568 = 170.40; valley 200 × 0.288 = 57.60; tier 2 100 × 0.05 = 5.00; tier 3 400 × 0.30 = 120.00
    # total 353.00 (cross-check: tier-3 peak is 0.868 and tier-3 valley 0.588 per kWh)
    assert lines(november) == {
        "energy_peak": D("170.40"),
        "energy_valley": D("57.60"),
        "tier2": D("5.00"),
        "tier3": D("120.00"),
    }
    assert november.amount == D("353.00")


def test_bill_lines_round_half_up_each(residential):
    account, meter = residential
    assign(account, "ZJ-RES-TOU")
    read(meter, "2026-11-01", "1500.00", peak="1000.00", valley="500.00")
    read(meter, "2026-12-01", "1691.34", peak="1123.45", valley="567.89")
    bill = bill_for(account)
    # peak 123.45 × 0.568 = 70.1196 → 70.12; valley 67.89 × 0.288 = 19.55232 → 19.55; total 89.67
    assert lines(bill) == {"energy_peak": D("70.12"), "energy_valley": D("19.55")}
    assert bill.amount == D("89.67")


def test_commercial_july_bill_with_sharp_peak_registers():
    account = make_account(category=Account.Category.COMMERCIAL, contracted_kva=D("100"), voltage_level="380V")
    meter = make_meter(account=account, meter_no="CJ", multiplier=D("20"))
    assign(account, "EX-COM-TOU")
    read(meter, "2026-07-01", "1000.00", sharp="100.00", peak="400.00", flat="200.00", valley="300.00")
    read(meter, "2026-08-01", "1150.00", sharp="110.00", peak="470.00", flat="230.00", valley="340.00")
    bill = bill_for(account, (dt.date(2026, 7, 1), dt.date(2026, 8, 1)))
    # × 20: sharp 10 → 200 kWh × 1.20 = 240.00; peak 70 → 1,400 × 1.00 = 1,400.00;
    # flat 30 → 600 × 0.65 = 390.00; valley 40 → 800 × 0.30 = 240.00; total 2,270.00 for 3,000 kWh
    assert lines(bill) == {
        "energy_sharp": D("240.00"),
        "energy_peak": D("1400.00"),
        "energy_flat": D("390.00"),
        "energy_valley": D("240.00"),
    }
    assert (bill.total_kwh, bill.amount) == (D("3000.0000"), D("2270.00"))


def test_flat_residential_crossing_both_tiers_in_one_month(residential):
    account, meter = residential
    assign(account, "ZJ-RES-FLAT")
    read(meter, "2026-10-01", "0.00")
    read(meter, "2026-11-01", "2700.00")
    read(meter, "2026-12-01", "4900.00")
    bill_for(account, (dt.date(2026, 10, 1), dt.date(2026, 11, 1)))
    november = bill_for(account)
    # 2,700 earlier; +2,200 → tier 1 60 kWh (to 2,760), tier 2 2,040 kWh (to 4,800), tier 3 100 kWh.
    # energy 2,200 × 0.538 = 1,183.60; tier 2 2,040 × 0.05 = 102.00; tier 3 100 × 0.30 = 30.00 → 1,315.60
    # (cross-check: 60 × 0.538 + 2,040 × 0.588 + 100 × 0.838 = 32.28 + 1,199.52 + 83.80 = 1,315.60)
    # Held? 2,200 kWh / 30 days = 73.3 a day < 3 × October's 87.1: no.
    assert lines(november) == {"energy_total": D("1183.60"), "tier2": D("102.00"), "tier3": D("30.00")}
    assert (november.status, november.amount) == ("issued", D("1315.60"))
