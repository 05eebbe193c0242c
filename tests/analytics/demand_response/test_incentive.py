"""Settlement money, by hand: incentive, threshold, payable cap, money caps, penalty, availability."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from analytics.demand_response.incentive import CapsLeft, IncentiveTerms, availability_payment, price_response

DAY_AHEAD = IncentiveTerms(  # residential day-ahead peak shaving: 1.5 CNY/kWh, nothing below 50 %
    energy_price=D("1.5"), capacity_price=None, threshold_ratio=D("0.5"), payable_ratio_cap=D("1.2")
)


def test_energy_priced_incentive():
    # committed 2 kW over a 2-hour window; verified 1.6 kW average = 3.2 kWh → ratio 0.8
    # 3.2 kWh × 1.5 = 4.80
    result = price_response(
        terms=DAY_AHEAD, verified_kwh=D("3.2"), verified_kw=D("1.6"), committed_kw=D("2"), window_hours=D("2")
    )
    assert (result.ratio, result.effective, result.gross, result.incentive, result.penalty, result.net) == (
        D("0.8000"),
        True,
        D("4.80"),
        D("4.80"),
        D("0.00"),
        D("4.80"),
    )


def test_exactly_at_the_threshold_pays_and_just_below_pays_nothing():
    # 1.0 ÷ 2.0 = 0.5000 ≥ 0.5 → paid: 2.0 kWh × 1.5 = 3.00
    at = price_response(
        terms=DAY_AHEAD, verified_kwh=D("2.0"), verified_kw=D("1.0"), committed_kw=D("2"), window_hours=D("2")
    )
    assert (at.ratio, at.effective, at.incentive) == (D("0.5000"), True, D("3.00"))
    # 0.999 ÷ 2 = 0.4995 → below: nothing
    below = price_response(
        terms=DAY_AHEAD, verified_kwh=D("1.998"), verified_kw=D("0.999"), committed_kw=D("2"), window_hours=D("2")
    )
    assert (below.ratio, below.effective, below.incentive, below.net) == (D("0.4995"), False, D("0.00"), D("0.00"))


def test_over_delivery_is_paid_only_up_to_120_percent():
    # committed 2 kW; verified 3 kW (150 %) over 2 h = 6 kWh; paid up to 2 × 1.2 = 2.4 kW → 4.8 kWh × 1.5 = 7.20
    result = price_response(
        terms=DAY_AHEAD, verified_kwh=D("6"), verified_kw=D("3"), committed_kw=D("2"), window_hours=D("2")
    )
    assert (result.payable_kw, result.payable_kwh, result.incentive) == (D("2.4"), D("4.800"), D("7.20"))


CAPACITY = IncentiveTerms(  # industrial contracted capacity: 30 CNY/kW per event, penalty below 50 %
    energy_price=None,
    capacity_price=D("30"),
    threshold_ratio=D("0.5"),
    payable_ratio_cap=D("1.2"),
    penalty_below_ratio=D("0.5"),
    penalty_factor=D("0.5"),
    cap_per_event=D("20000"),
)


def test_capacity_priced_incentive_and_the_event_cap():
    # 800 kW committed, 700 kW verified (87.5 %) → 700 × 30 = 21,000 → event cap 20,000
    result = price_response(
        terms=CAPACITY, verified_kwh=D("2800"), verified_kw=D("700"), committed_kw=D("800"), window_hours=D("4")
    )
    assert (result.gross, result.incentive, result.capped_by, result.penalty) == (
        D("21000.00"),
        D("20000.00"),
        "event",
        D("0.00"),
    )


def test_month_and_season_caps_take_what_is_left():
    # 300 kW × 30 = 9,000; 5,000 left this month, 2,500 left this season → 2,500 (season binds last)
    result = price_response(
        terms=CAPACITY,
        verified_kwh=D("1200"),
        verified_kw=D("300"),
        committed_kw=D("500"),
        window_hours=D("4"),
        caps_left=CapsLeft(month=D("5000"), season=D("2500")),
    )
    assert (result.gross, result.incentive, result.capped_by) == (D("9000.00"), D("2500.00"), "season")


def test_penalty_for_a_capacity_program():
    # 800 kW committed, 200 kW verified (25 %) → nothing paid; shortfall 800 × 0.5 − 200 = 200 kW
    # penalty 200 × 30 × 0.5 = 3,000 → net −3,000
    result = price_response(
        terms=CAPACITY, verified_kwh=D("800"), verified_kw=D("200"), committed_kw=D("800"), window_hours=D("4")
    )
    assert (result.ratio, result.incentive, result.shortfall_kw, result.penalty, result.net) == (
        D("0.2500"),
        D("0.00"),
        D("200.0"),
        D("3000.00"),
        D("-3000.00"),
    )


def test_a_kw_penalty_on_an_energy_priced_program_uses_the_window_hours():
    terms = IncentiveTerms(
        energy_price=D("2.0"),
        capacity_price=None,
        threshold_ratio=D("0.5"),
        penalty_below_ratio=D("0.5"),
        penalty_factor=D("0.5"),
    )
    # committed 100 kW over 3 h; verified 10 kW; shortfall 100 × 0.5 − 10 = 40 kW
    # penalty 40 kW × 3 h × 2.0 CNY/kWh × 0.5 = 120.00
    result = price_response(
        terms=terms, verified_kwh=D("30"), verified_kw=D("10"), committed_kw=D("100"), window_hours=D("3")
    )
    assert (result.penalty, result.net) == (D("120.00"), D("-120.00"))


def test_money_rounds_half_up_once_at_the_end():
    # 1.003 kWh × 1.5 = 1.5045 → 1.50 (half-up at the cent: 1.5045 → 1.50); 1.005 kWh × 1.5 = 1.5075 → 1.51
    low = price_response(
        terms=DAY_AHEAD, verified_kwh=D("1.003"), verified_kw=D("1.0"), committed_kw=D("1"), window_hours=D("1")
    )
    high = price_response(
        terms=DAY_AHEAD, verified_kwh=D("1.005"), verified_kw=D("1.0"), committed_kw=D("1"), window_hours=D("1")
    )
    assert (low.incentive, high.incentive) == (D("1.50"), D("1.51"))


def test_availability_payment_pro_rata():
    # 500 kW × 2.0 CNY/kW·month × 10 of 30 days = 333.333… → 333.33
    assert availability_payment(
        committed_kw=D("500"), price_per_kw_month=D("2.0"), enrolled_days=10, month_days=30
    ) == D("333.33")
    assert availability_payment(
        committed_kw=D("500"), price_per_kw_month=D("2.0"), enrolled_days=30, month_days=30
    ) == D("1000.00")
    with pytest.raises(ValueError):
        availability_payment(committed_kw=D("1"), price_per_kw_month=D("1"), enrolled_days=31, month_days=30)


def test_no_commitment_is_refused():
    with pytest.raises(ValueError):
        price_response(
            terms=DAY_AHEAD, verified_kwh=D("1"), verified_kw=D("1"), committed_kw=D("0"), window_hours=D("1")
        )
