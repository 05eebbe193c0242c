"""Pricing a verified response under a program's terms: incentive, caps, penalty (pure, Decimal).

The order and rounding (docs/demand-response.md, "Settlement formula"):

1. ratio = verified average kW ÷ committed kW, to 0.0001 half-up.
2. Below ``threshold_ratio`` nothing is paid (exactly at the threshold pays: 0.5000 ≥ 0.5).
3. Payable response is capped at committed × ``payable_ratio_cap`` (kW, and kW × window hours for kWh):
   over-delivery beyond the cap is not paid.
4. gross = payable kWh × energy price + payable kW × capacity price, rounded to 0.01 half-up.
5. Caps are money and apply to the incentive only: min(gross, per-event cap, what is left of the month's
   and the season's caps).
6. Penalty, when the ratio is below ``penalty_below_ratio``: shortfall kW = committed × that ratio −
   verified kW; priced at the capacity price when the program has one, else at the energy price over
   the window's hours (kW × h = kWh); × ``penalty_factor``; rounded to 0.01 half-up. Caps do not reduce it.
7. net = incentive − penalty (a negative net is a debit on the ledger).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from core.money import round_money as _money

RATIO_STEP = Decimal("0.0001")
KWH_STEP = Decimal("0.001")
ZERO = Decimal("0")


@dataclass(frozen=True)
class IncentiveTerms:
    energy_price: Decimal | None  # CNY per verified kWh
    capacity_price: Decimal | None  # CNY per verified average kW, per event
    threshold_ratio: Decimal
    payable_ratio_cap: Decimal | None = None
    penalty_below_ratio: Decimal | None = None
    penalty_factor: Decimal | None = None
    cap_per_event: Decimal | None = None


@dataclass(frozen=True)
class CapsLeft:
    """What the account may still be paid this month and this season (None: no such cap)."""

    month: Decimal | None = None
    season: Decimal | None = None


@dataclass(frozen=True)
class IncentiveBreakdown:
    ratio: Decimal | None
    effective: bool  # at or above the threshold
    payable_kwh: Decimal
    payable_kw: Decimal
    gross: Decimal
    incentive: Decimal
    capped_by: str | None  # "event", "month", "season" or None
    shortfall_kw: Decimal
    penalty: Decimal
    net: Decimal


def price_response(
    *,
    terms: IncentiveTerms,
    verified_kwh: Decimal,
    verified_kw: Decimal,
    committed_kw: Decimal,
    window_hours: Decimal,
    caps_left: CapsLeft = CapsLeft(),
) -> IncentiveBreakdown:
    if committed_kw <= 0:
        raise ValueError("committed kW must be positive")
    ratio = (verified_kw / committed_kw).quantize(RATIO_STEP, rounding=ROUND_HALF_UP)
    effective = ratio >= terms.threshold_ratio
    payable_kw, payable_kwh = max(verified_kw, ZERO), max(verified_kwh, ZERO)
    if terms.payable_ratio_cap is not None:
        ceiling_kw = committed_kw * terms.payable_ratio_cap
        payable_kw = min(payable_kw, ceiling_kw)
        payable_kwh = min(payable_kwh, (ceiling_kw * window_hours).quantize(KWH_STEP, rounding=ROUND_HALF_UP))
    if not effective:
        payable_kw = payable_kwh = ZERO
    gross = _money(payable_kwh * (terms.energy_price or ZERO) + payable_kw * (terms.capacity_price or ZERO))

    incentive, capped_by = gross, None
    for name, cap in (("event", terms.cap_per_event), ("month", caps_left.month), ("season", caps_left.season)):
        if cap is not None and max(cap, ZERO) < incentive:
            incentive, capped_by = max(cap, ZERO), name

    shortfall_kw, penalty = ZERO, ZERO
    if terms.penalty_below_ratio is not None and terms.penalty_factor and ratio < terms.penalty_below_ratio:
        shortfall_kw = max(committed_kw * terms.penalty_below_ratio - max(verified_kw, ZERO), ZERO)
        if terms.capacity_price is not None:
            unit = terms.capacity_price
        else:
            unit = (terms.energy_price or ZERO) * window_hours
        penalty = _money(shortfall_kw * unit * terms.penalty_factor)
    return IncentiveBreakdown(
        ratio=ratio,
        effective=effective,
        payable_kwh=payable_kwh,
        payable_kw=payable_kw,
        gross=gross,
        incentive=_money(incentive),
        capped_by=capped_by,
        shortfall_kw=shortfall_kw,
        penalty=penalty,
        net=_money(incentive) - penalty,
    )


def availability_payment(
    *, committed_kw: Decimal, price_per_kw_month: Decimal, enrolled_days: int, month_days: int
) -> Decimal:
    """Standby (availability) payment of a contracted enrolment for one month, pro rata to the days of
    the month it was enrolled, rounded to 0.01 half-up."""
    if not 0 <= enrolled_days <= month_days:
        raise ValueError("enrolled days must lie within the month")
    return _money(committed_kw * price_per_kw_month * enrolled_days / month_days)
