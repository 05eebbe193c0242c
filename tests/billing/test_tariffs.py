"""Hand-computed quotes on the seeded tariffs. Rounding rule: every line = quantity × rate rounded to
0.01 half-up; the power-factor line = (sum of the lines it adjusts) × percentage, rounded the same way;
total = sum of lines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.models import Tariff, TariffVersion
from billing.services.tariffs.engine import QuoteError, QuoteInput, power_factor_adjustment
from billing.services.tariffs.quotes import quote_tariff

pytestmark = pytest.mark.django_db
SH = dt.timezone(dt.timedelta(hours=8))
NOV = {"period_start": dt.date(2026, 11, 1), "period_end": dt.date(2026, 12, 1)}


def amounts(result) -> dict[str, D]:
    return {line.code: line.amount for line in result.lines}


def test_res_flat_all_in_tier_1():
    # 300 kWh with 1,000 kWh used earlier this year: all tier 1. 300 × 0.538 = 161.40
    result = quote_tariff(
        code="ZJ-RES-FLAT", data=QuoteInput(**NOV, consumption={"total": D("300")}, annual_kwh_before=D("1000"))
    )
    assert amounts(result) == {"energy_total": D("161.40")}
    assert result.total == D("161.40")


def test_res_flat_crossing_into_tier_2():
    # Before 2,600; +300 → 2,900. Tier 1 up to 2,760: 160 kWh; tier 2: 140 kWh.
    # energy 300 × 0.538 = 161.40; tier-2 surcharge 140 × 0.05 = 7.00; total 168.40
    # (cross-check at full tier prices: 160 × 0.538 = 86.08 + 140 × 0.588 = 82.32 = 168.40)
    result = quote_tariff(
        code="ZJ-RES-FLAT", data=QuoteInput(**NOV, consumption={"total": D("300")}, annual_kwh_before=D("2600"))
    )
    assert amounts(result) == {"energy_total": D("161.40"), "tier2": D("7.00")}
    assert result.tier_kwh == {1: D("160"), 2: D("140"), 3: D("0")}
    assert result.total == D("168.40")


def test_res_flat_crossing_into_tier_3():
    # Before 4,700; +500 → 5,200: tier 2 up to 4,800 = 100 kWh, tier 3 = 400 kWh.
    # energy 500 × 0.538 = 269.00; tier 2: 100 × 0.05 = 5.00; tier 3: 400 × 0.30 = 120.00 → 394.00
    # (100 × 0.588 = 58.80 + 400 × 0.838 = 335.20 = 394.00)
    result = quote_tariff(
        code="ZJ-RES-FLAT", data=QuoteInput(**NOV, consumption={"total": D("500")}, annual_kwh_before=D("4700"))
    )
    assert amounts(result) == {"energy_total": D("269.00"), "tier2": D("5.00"), "tier3": D("120.00")}
    assert result.total == D("394.00")


def test_res_tou_tier_1():
    # peak 200 × 0.568 = 113.60; valley 100 × 0.288 = 28.80; total 142.40
    result = quote_tariff(code="ZJ-RES-TOU", data=QuoteInput(**NOV, consumption={"peak": D("200"), "valley": D("100")}))
    assert amounts(result) == {"energy_peak": D("113.60"), "energy_valley": D("28.80")}
    assert result.total == D("142.40")


def test_res_tou_tier_surcharge_applies_whatever_the_period():
    # Before 2,700; +200 (150 peak, 50 valley): tier 1 60 kWh, tier 2 140 kWh.
    # peak 150 × 0.568 = 85.20; valley 50 × 0.288 = 14.40; tier 2: 140 × 0.05 = 7.00 → 106.60
    result = quote_tariff(
        code="ZJ-RES-TOU",
        data=QuoteInput(**NOV, consumption={"peak": D("150"), "valley": D("50")}, annual_kwh_before=D("2700")),
    )
    assert amounts(result) == {"energy_peak": D("85.20"), "energy_valley": D("14.40"), "tier2": D("7.00")}
    assert result.total == D("106.60")


def test_res_tou_rounds_each_line_half_up():
    # peak 123.45 × 0.568 = 70.1196 → 70.12; valley 67.89 × 0.288 = 19.55232 → 19.55; total 89.67
    result = quote_tariff(
        code="ZJ-RES-TOU", data=QuoteInput(**NOV, consumption={"peak": D("123.45"), "valley": D("67.89")})
    )
    assert amounts(result) == {"energy_peak": D("70.12"), "energy_valley": D("19.55")}
    assert result.total == D("89.67")


def test_general_commercial_four_periods():
    # 100 × 1.20 = 120.00; 1,000 × 1.00 = 1,000.00; 500 × 0.65 = 325.00; 800 × 0.30 = 240.00 → 1,685.00
    consumption = {"sharp": D("100"), "peak": D("1000"), "flat": D("500"), "valley": D("800")}
    result = quote_tariff(code="EX-COM-TOU", data=QuoteInput(**NOV, consumption=consumption))
    assert result.total == D("1685.00")


def test_two_part_capacity_with_power_factor_rebate():
    # capacity 1,000 kVA × 1 month × 30 = 30,000.00; peak 100,000 × 0.85 = 85,000.00;
    # flat 50,000 × 0.60 = 30,000.00; valley 80,000 × 0.35 = 28,000.00; subtotal 173,000.00
    # cos φ 0.95 → −0.75 %: 173,000.00 × −0.0075 = −1,297.50; total 171,702.50
    result = quote_tariff(
        code="EX-IND-2P",
        data=QuoteInput(
            **NOV,
            consumption={"peak": D("100000"), "flat": D("50000"), "valley": D("80000")},
            contracted_kva=D("1000"),
            power_factor=D("0.95"),
        ),
    )
    assert amounts(result) == {
        "capacity": D("30000.00"),
        "energy_peak": D("85000.00"),
        "energy_flat": D("30000.00"),
        "energy_valley": D("28000.00"),
        "power_factor": D("-1297.50"),
    }
    assert result.total == D("171702.50")


def test_two_part_demand_with_power_factor_surcharge():
    # demand 800 kW × 40 = 32,000.00; peak 10,000 × 0.85 = 8,500.00; valley 5,000 × 0.35 = 1,750.00
    # subtotal 42,250.00; cos φ 0.85 → 5 hundredths below 0.90 × 0.5 % = +2.5 % → 1,056.25; total 43,306.25
    result = quote_tariff(
        code="EX-IND-2P",
        data=QuoteInput(
            **NOV,
            consumption={"peak": D("10000"), "valley": D("5000")},
            demand_basis="demand",
            max_demand_kw=D("800"),
            power_factor=D("0.85"),
        ),
    )
    assert amounts(result)["demand"] == D("32000.00")
    assert amounts(result)["power_factor"] == D("1056.25")
    assert result.total == D("43306.25")


@pytest.mark.parametrize(
    ("pf", "percent"),
    [
        ("0.99", "-0.75"),
        ("0.95", "-0.75"),
        ("0.94", "-0.60"),
        ("0.93", "-0.45"),
        ("0.92", "-0.30"),
        ("0.91", "-0.15"),
        ("0.90", "0"),
        ("0.89", "0.5"),
        ("0.80", "5.0"),
        ("0.70", "10.0"),  # 20 hundredths × 0.5 %
        ("0.68", "12.0"),  # 10 % + 2 × 1 %
        ("0.65", "15.0"),  # 10 % + 5 × 1 %
        ("0.62", "21.0"),  # 15 % + 3 × 2 %
        ("0.904", "0"),
        ("0.905", "-0.15"),  # cos φ is rounded to 0.01 half-up first
    ],
)
def test_power_factor_table(pf, percent):
    assert power_factor_adjustment(power_factor=D(pf), standard=D("0.90")) * 100 == D(percent)


def test_partial_month_capacity_charge():
    # 16–30 November = 15 of 30 days = 0.5 month: 1,000 kVA × 0.5 × 30 = 15,000.00
    # energy peak 1,000 × 0.85 = 850.00; cos φ 0.90 → 0; total 15,850.00
    result = quote_tariff(
        code="EX-IND-2P",
        data=QuoteInput(
            period_start=dt.date(2026, 11, 16),
            period_end=dt.date(2026, 12, 1),
            consumption={"peak": D("1000")},
            contracted_kva=D("1000"),
            power_factor=D("0.90"),
        ),
    )
    assert amounts(result)["capacity"] == D("15000.00")
    assert result.total == D("15850.00")


@pytest.fixture
def flat_price_change():
    """ZJ-RES-FLAT's energy rate rises to 0.600 from 16 November 2026."""
    tariff = Tariff.objects.get(code="ZJ-RES-FLAT")
    old = tariff.versions.get()
    TariffVersion.objects.filter(pk=old.pk).update(valid_to=dt.date(2026, 11, 16))
    new = TariffVersion.objects.get(pk=old.pk)
    new.pk = None
    new.valid_from, new.valid_to, new.rate_total = dt.date(2026, 11, 16), None, D("0.600")
    new.save()


def test_mid_period_tariff_change_split_by_days(flat_price_change):
    # 300 kWh over 30 days: 15 days each → 150.00 kWh per version.
    # 150 × 0.538 = 80.70; 150 × 0.600 = 90.00; total 170.70
    result = quote_tariff(code="ZJ-RES-FLAT", data=QuoteInput(**NOV, consumption={"total": D("300")}))
    assert result.split_method == "days"
    assert [line.amount for line in result.lines] == [D("80.70"), D("90.00")]
    assert result.total == D("170.70") and result.total_kwh == D("300")


def test_mid_period_tariff_change_split_by_interval_data(flat_price_change):
    # 10 kWh on 10 Nov (old rate), 20 kWh on 20 Nov (new rate): 10 × 0.538 = 5.38; 20 × 0.600 = 12.00 → 17.38
    readings = [(dt.datetime(2026, 11, 10, 9, tzinfo=SH), D("10")), (dt.datetime(2026, 11, 20, 9, tzinfo=SH), D("20"))]
    result = quote_tariff(code="ZJ-RES-FLAT", data=QuoteInput(**NOV, consumption={}), readings=readings)
    assert result.split_method == "interval data"
    assert result.total == D("17.38")


@pytest.mark.parametrize(
    ("month", "expected"),
    [
        # July: 19:00 is sharp. 1 × 1.20 + 2 × 0.65 (07:30 flat) + 3 × 0.30 (23:15 valley) + 4 × 1.00 (14:00 peak) = 7.40
        (7, D("7.40")),
        # November: 19:00 is peak. 1 × 1.00 + 1.30 + 0.90 + 4.00 = 7.20
        (11, D("7.20")),
    ],
)
def test_interval_readings_are_classified_by_the_tou_calendar(month, expected):
    day = dt.date(2026, month, 14)
    readings = [
        (dt.datetime.combine(day, dt.time(19, 0), tzinfo=SH), D("1")),
        (dt.datetime.combine(day, dt.time(7, 30), tzinfo=SH), D("2")),
        (dt.datetime.combine(day, dt.time(23, 15), tzinfo=SH), D("3")),
        (dt.datetime.combine(day, dt.time(14, 0), tzinfo=SH), D("4")),
    ]
    start = day.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    result = quote_tariff(
        code="EX-COM-TOU", data=QuoteInput(period_start=start, period_end=end, consumption={}), readings=readings
    )
    assert result.total == expected


def test_tier_year_restarts_on_1_january():
    # 16 Dec 2026 – 15 Jan 2027: 31 days, 310 kWh → 16 days = 160.00 kWh in 2026, 150.00 kWh in 2027.
    # 2026 (2,700 before): tier 1 60 kWh, tier 2 100 kWh → 160 × 0.538 = 86.08 + 100 × 0.05 = 5.00
    # 2027 starts from 0: 150 × 0.538 = 80.70. Total 171.78
    result = quote_tariff(
        code="ZJ-RES-FLAT",
        data=QuoteInput(
            period_start=dt.date(2026, 12, 16),
            period_end=dt.date(2027, 1, 16),
            consumption={"total": D("310")},
            annual_kwh_before=D("2700"),
        ),
    )
    assert [line.amount for line in result.lines] == [D("86.08"), D("5.00"), D("80.70")]
    assert result.total == D("171.78")


@pytest.mark.parametrize(
    ("code", "data", "field"),
    [
        ("NOPE", {"consumption": {"total": D("1")}}, "code"),
        ("ZJ-RES-TOU", {"consumption": {"total": D("1")}}, "consumption"),
        ("ZJ-RES-FLAT", {"consumption": {"peak": D("1")}}, "consumption"),
        ("ZJ-RES-FLAT", {"consumption": {"total": D("-1")}}, "consumption.total"),
        ("ZJ-RES-TOU", {"consumption": {"sharp": D("5")}}, "consumption"),  # residential TOU has no sharp period
        ("EX-IND-2P", {"consumption": {"peak": D("1")}, "power_factor": D("0.9")}, "contracted_kva"),
        ("EX-IND-2P", {"consumption": {"peak": D("1")}, "contracted_kva": D("10")}, "power_factor"),
        (
            "EX-IND-2P",
            {"consumption": {"peak": D("1")}, "contracted_kva": D("10"), "power_factor": D("1.2")},
            "power_factor",
        ),
        (
            "EX-IND-2P",
            {"consumption": {"peak": D("1")}, "demand_basis": "demand", "power_factor": D("0.9")},
            "max_demand_kw",
        ),
    ],
)
def test_invalid_input_names_the_field(code, data, field):
    with pytest.raises(QuoteError) as excinfo:
        quote_tariff(code=code, data=QuoteInput(**NOV, **data))
    assert excinfo.value.field == field


def test_a_tier_1_limit_without_a_tier_2_limit_is_a_quote_error_not_a_crash():
    # The table's check (tier 2 > tier 1) lets a NULL tier 2 through, as SQL NULL compares as unknown;
    # the engine needs both limits, and split_tiers used to fail with a TypeError on None. Now the quote
    # (and a billing run, which holds the bill as cannot_price) gets a QuoteError naming the tariff.
    TariffVersion.objects.filter(tariff__code="ZJ-RES-FLAT").update(tier2_max_kwh=None)
    with pytest.raises(QuoteError, match="tier 1 limit but no tier 2 limit") as excinfo:
        quote_tariff(code="ZJ-RES-FLAT", data=QuoteInput(**NOV, consumption={"total": D("300")}))
    assert excinfo.value.field == "code"


kwh = st.decimals(min_value=0, max_value=100000, places=2)


@settings(max_examples=60, deadline=None)
@given(peak=kwh, valley=kwh, before=st.decimals(min_value=0, max_value=10000, places=2))
def test_total_is_the_sum_of_lines(peak, valley, before):
    result = quote_tariff(
        code="ZJ-RES-TOU",
        data=QuoteInput(**NOV, consumption={"peak": peak, "valley": valley}, annual_kwh_before=before),
    )
    assert result.total == sum(line.amount for line in result.lines)
    assert all(line.amount == line.amount.quantize(D("0.01")) for line in result.lines)
    assert sum(result.tier_kwh.values()) == peak + valley


@settings(max_examples=40, deadline=None)
@given(
    total=kwh,
    split_day=st.integers(min_value=2, max_value=30),
    before=st.decimals(min_value=0, max_value=6000, places=2),
)
def test_splitting_a_period_at_any_day_never_changes_total_kwh_billed(total, split_day, before):
    tariff = Tariff.objects.get(code="ZJ-RES-FLAT")
    version = tariff.versions.get(valid_from=dt.date(2024, 1, 1))
    TariffVersion.objects.filter(pk=version.pk).update(valid_to=dt.date(2026, 11, split_day))
    later = TariffVersion.objects.create(
        tariff=tariff,
        valid_from=dt.date(2026, 11, split_day),
        rate_total=D("0.6"),
        tier1_max_kwh=D("2760"),
        tier2_max_kwh=D("4800"),
        tier2_surcharge=D("0.05"),
        tier3_surcharge=D("0.30"),
    )
    try:
        result = quote_tariff(
            code="ZJ-RES-FLAT", data=QuoteInput(**NOV, consumption={"total": total}, annual_kwh_before=before)
        )
        assert result.total_kwh == total
        assert sum(result.tier_kwh.values()) == total
    finally:
        later.delete()
        TariffVersion.objects.filter(pk=version.pk).update(valid_to=None)
