"""Hand-computed bills from register reads and interval data, holds, and billing-run idempotence.
Rounding: each line = quantity × rate rounded to 0.01 half-up; total = sum of lines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from billing.models import Bill, IntervalReading, Quality, RegisterRead, Tariff, TariffAssignment, TariffVersion
from billing.services.billing_run import run_billing, start_billing_run
from customers.models import Account
from tests.factories import SHANGHAI, make_account, make_meter

pytestmark = pytest.mark.django_db
AS_OF = dt.datetime(2026, 12, 2, 9, tzinfo=SHANGHAI)
NOV = (dt.date(2026, 11, 1), dt.date(2026, 12, 1))


def at(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), tzinfo=SHANGHAI)


def assign(account: Account, code: str, **extra) -> None:
    TariffAssignment.objects.create(
        account=account, tariff=Tariff.objects.get(code=code), valid_from=dt.date(2024, 1, 1), **extra
    )


def read(meter, day: str, total, **registers) -> None:
    RegisterRead.objects.create(
        meter=meter, read_at=at(day), total=D(str(total)), **{k: D(str(v)) for k, v in registers.items()}
    )


def bill_for(account: Account, period=NOV) -> Bill:
    run = start_billing_run(period_start=period[0], period_end=period[1], as_of=AS_OF, account_ids=[account.pk])
    run_billing(run_id=run.pk)
    return Bill.objects.get(account=account, period_start=period[0], revision=1)


def lines(bill: Bill) -> dict[str, D]:
    return {line.code: line.amount for line in bill.lines.all()}


def test_residential_flat_from_register_reads(residential):
    account, meter = residential
    assign(account, "ZJ-RES-FLAT")
    read(meter, "2026-11-01", "1000.00")
    read(meter, "2026-12-01", "1300.00")
    bill = bill_for(account)
    # 1,300.00 − 1,000.00 = 300 kWh × multiplier 1; all tier 1: 300 × 0.538 = 161.40
    assert (bill.status, bill.total_kwh, bill.amount) == ("issued", D("300.0000"), D("161.40"))
    assert lines(bill) == {"energy_total": D("161.40")}
    # Due 15 days after the period: 16 Dec 2026 is a Wednesday, a working day.
    assert bill.due_date == dt.date(2026, 12, 16)
    assert [(r.register, r.start_value, r.end_value, r.kwh) for r in bill.reads.all()] == [
        ("total", D("1000.00"), D("1300.00"), D("300.0000"))
    ]


def test_tier_crossing_uses_the_years_earlier_bills(residential):
    account, meter = residential
    assign(account, "ZJ-RES-FLAT")
    read(meter, "2026-10-01", "0.00")
    read(meter, "2026-11-01", "2600.00")
    read(meter, "2026-12-01", "2900.00")
    october = bill_for(account, (dt.date(2026, 10, 1), dt.date(2026, 11, 1)))
    assert october.status == "issued"  # 2,600 kWh, no history to compare with
    november = bill_for(account)
    # 2,600 earlier this year; +300: tier 1 160 kWh, tier 2 140 kWh.
    # energy 300 × 0.538 = 161.40; tier 2 surcharge 140 × 0.05 = 7.00 → 168.40
    assert november.annual_kwh_before == D("2600.0000")
    assert lines(november) == {"energy_total": D("161.40"), "tier2": D("7.00")}
    assert november.amount == D("168.40")


def test_residential_tou_registers(residential):
    account, meter = residential
    assign(account, "ZJ-RES-TOU")
    read(meter, "2026-11-01", "800.00", peak="500.00", valley="300.00")
    read(meter, "2026-12-01", "1100.00", peak="700.00", valley="400.00")
    bill = bill_for(account)
    # peak 200 × 0.568 = 113.60; valley 100 × 0.288 = 28.80 → 142.40
    assert lines(bill) == {"energy_peak": D("113.60"), "energy_valley": D("28.80")}
    assert bill.amount == D("142.40")


def test_commercial_tou_with_a_ct_multiplier():
    account = make_account(category=Account.Category.COMMERCIAL, contracted_kva=D("200"), voltage_level="380V")
    meter = make_meter(account=account, meter_no="C1", multiplier=D("50"))
    assign(account, "EX-COM-TOU")
    read(meter, "2026-11-01", "100.00", sharp="0", peak="40.00", flat="30.00", valley="30.00")
    read(meter, "2026-12-01", "146.00", sharp="0", peak="60.00", flat="40.00", valley="46.00")
    bill = bill_for(account)
    # Register differences × 50: peak 20 → 1,000 kWh; flat 10 → 500; valley 16 → 800 (no sharp in Nov).
    # 1,000 × 1.00 = 1,000.00; 500 × 0.65 = 325.00; 800 × 0.30 = 240.00 → 1,565.00
    assert lines(bill) == {"energy_peak": D("1000.00"), "energy_flat": D("325.00"), "energy_valley": D("240.00")}
    assert bill.total_kwh == D("2300.0000")
    assert bill.amount == D("1565.00")


def test_meter_exchange_mid_period(residential):
    account, old = residential
    assign(account, "ZJ-RES-FLAT")
    type(old).objects.filter(pk=old.pk).update(removed_at=at("2026-11-16"))
    new = make_meter(account=account, meter_no="R2", installed_at=at("2026-11-16"))
    read(old, "2026-11-01", "5000.00")
    read(old, "2026-11-16", "5100.00")  # final read of the removed meter
    read(new, "2026-11-16", "0.00")  # first read of the new one
    read(new, "2026-12-01", "150.00")
    bill = bill_for(account)
    # old meter 5,100 − 5,000 = 100 kWh; new meter 150 − 0 = 150 kWh; 250 × 0.538 = 134.50
    assert bill.total_kwh == D("250.0000")
    assert bill.amount == D("134.50")
    assert sorted((r.meter.meter_no, r.kwh) for r in bill.reads.all()) == [("R1", D("100.0000")), ("R2", D("150.0000"))]


def test_interval_only_meter_is_priced_per_tou_window():
    account = make_account(category=Account.Category.COMMERCIAL, contracted_kva=D("50"), voltage_level="380V")
    meter = make_meter(account=account, meter_no="I1", has_tou_registers=False)
    assign(account, "EX-COM-TOU")
    start = at("2026-07-01")
    IntervalReading.objects.bulk_create(
        IntervalReading(meter=meter, interval_start=start + dt.timedelta(minutes=15 * i), kwh=D("0.1"))
        for i in range(31 * 96)
    )
    bill = bill_for(account, (dt.date(2026, 7, 1), dt.date(2026, 8, 1)))
    # Per July day on COM-TOU: valley 23–07 = 32 intervals, flat 07–08/11–13/22–23 = 16, sharp 19–21 = 8,
    # peak the other 40; × 0.1 kWh × 31 days: valley 99.2, flat 49.6, sharp 24.8, peak 124.0 kWh.
    # 24.8 × 1.20 = 29.76; 124.0 × 1.00 = 124.00; 49.6 × 0.65 = 32.24; 99.2 × 0.30 = 29.76 → 215.76
    assert bill.consumption_source == "intervals"
    assert lines(bill) == {
        "energy_sharp": D("29.76"),
        "energy_peak": D("124.00"),
        "energy_flat": D("32.24"),
        "energy_valley": D("29.76"),
    }
    assert bill.amount == D("215.76")


@pytest.fixture
def industrial():
    account = make_account(
        category=Account.Category.INDUSTRIAL,
        contracted_kva=D("1000"),
        voltage_level="10kV",
        opened_on=dt.date(2026, 11, 16),
    )
    meter = make_meter(account=account, meter_no="G1", installed_at=at("2026-11-16"))
    assign(account, "EX-IND-2P")
    return account, meter


def test_first_bill_of_a_two_part_account_prorates_capacity_and_applies_power_factor(industrial):
    account, meter = industrial
    read(meter, "2026-11-16", "0", sharp="0", peak="0", flat="0", valley="0", reactive="0")
    read(meter, "2026-12-01", "3000", sharp="0", peak="1000", flat="1000", valley="1000", reactive="1859.20")
    bill = bill_for(account)
    # cos φ = 3,000 / √(3,000² + 1,859.2²) = 3,000 / 3,529.394 = 0.850 → +2.5 %
    # capacity 1,000 kVA × 15/30 month × 30 = 15,000.00; peak 1,000 × 0.85 = 850.00;
    # flat 1,000 × 0.60 = 600.00; valley 1,000 × 0.35 = 350.00; subtotal 16,800.00
    # power factor 16,800.00 × 0.025 = 420.00 → total 17,220.00
    assert bill.power_factor == D("0.850")
    assert lines(bill) == {
        "capacity": D("15000.00"),
        "energy_peak": D("850.00"),
        "energy_flat": D("600.00"),
        "energy_valley": D("350.00"),
        "power_factor": D("420.00"),
    }
    assert bill.amount == D("17220.00")


def test_two_part_without_reactive_reads_is_held(industrial):
    account, meter = industrial
    read(meter, "2026-11-16", "0", sharp="0", peak="0", flat="0", valley="0")
    read(meter, "2026-12-01", "3000", sharp="0", peak="1000", flat="1000", valley="1000")
    bill = bill_for(account)
    assert bill.status == "held"
    assert [h["code"] for h in bill.hold_reasons] == ["no_power_factor"]
    assert bill.due_date is None


@pytest.mark.parametrize(
    ("reads", "code"),
    [
        ([("2026-11-01", "1000.00")], "missing_reads"),  # no end read and no interval data
        ([("2026-11-01", "1000.00"), ("2026-12-01", "990.00")], "register_backwards"),
        ([("2026-11-01", "1000.00"), ("2026-12-01", "1000.00")], "zero_usage"),
    ],
)
def test_bills_that_fail_validation_are_held_with_the_reason(residential, reads, code):
    account, meter = residential
    assign(account, "ZJ-RES-FLAT")
    for day, total in reads:
        read(meter, day, total)
    bill = bill_for(account)
    assert bill.status == "held"
    assert code in [h["code"] for h in bill.hold_reasons]


def test_usage_far_above_the_accounts_average_is_held(residential):
    account, meter = residential
    assign(account, "ZJ-RES-FLAT")
    read(meter, "2026-10-01", "0.00")
    read(meter, "2026-11-01", "310.00")  # October: 10 kWh/day
    read(meter, "2026-12-01", "1510.00")  # November: 1,200 kWh = 40 kWh/day > 3 × 10
    bill_for(account, (dt.date(2026, 10, 1), dt.date(2026, 11, 1)))
    november = bill_for(account)
    assert [h["code"] for h in november.hold_reasons] == ["high_usage"]


def test_mostly_estimated_interval_data_is_held():
    account = make_account(category=Account.Category.COMMERCIAL, contracted_kva=D("50"), voltage_level="380V")
    meter = make_meter(account=account, meter_no="I2", has_tou_registers=False)
    assign(account, "EX-COM-TOU")
    start = at("2026-11-01")
    IntervalReading.objects.bulk_create(
        IntervalReading(
            meter=meter,
            interval_start=start + dt.timedelta(minutes=15 * i),
            kwh=D("0.1"),
            quality=Quality.ESTIMATED if i % 3 == 0 else Quality.ACTUAL,
        )
        for i in range(30 * 96)
    )
    bill = bill_for(account)
    # every third interval estimated: 33.3 % > 20 %
    assert bill.status == "held"
    assert bill.estimated_share == D("0.3333")
    assert [h["code"] for h in bill.hold_reasons] == ["estimated_data"]


def test_rerunning_a_period_issues_nothing_new_and_locks_the_version(residential):
    account, meter = residential
    assign(account, "ZJ-RES-FLAT")
    read(meter, "2026-11-01", "1000.00")
    read(meter, "2026-12-01", "1300.00")
    first = start_billing_run(period_start=NOV[0], period_end=NOV[1], as_of=AS_OF, account_ids=[account.pk])
    assert run_billing(run_id=first.pk).issued == 1
    assert run_billing(run_id=first.pk).issued == 1  # same run again: nothing left to do, same totals
    second = start_billing_run(period_start=NOV[0], period_end=NOV[1], as_of=AS_OF, account_ids=[account.pk])
    result = run_billing(run_id=second.pk)
    assert (result.issued, result.existing) == (0, 1)
    assert Bill.objects.filter(account=account).count() == 1
    version = TariffVersion.objects.get(tariff__code="ZJ-RES-FLAT")
    assert version.locked_at == AS_OF
    version.rate_total = D("0.6")
    with pytest.raises(ValidationError):
        version.full_clean()


def test_accounts_without_a_tariff_are_skipped_with_the_reason(residential):
    account, _meter = residential
    run = start_billing_run(period_start=NOV[0], period_end=NOV[1], as_of=AS_OF, account_ids=[account.pk])
    result = run_billing(run_id=run.pk)
    run.refresh_from_db()
    assert (result.skipped, run.status) == (1, "completed")
    assert run.problems == {account.number: "no tariff assigned for the period"}
