"""Pricing consumption on a tariff version: pure functions on Decimals, no database, no clock.

Rounding rule (applied everywhere, see docs/billing.md):
* each line's amount = quantity × rate, rounded to 0.01 CNY half-up;
* a power-factor line = (sum of the amounts it applies to) × percentage, rounded the same way;
* the total = the sum of the line amounts.

Tiers (阶梯) are on annual cumulative kWh (tier year = calendar year): every kWh is priced at its
TOU period's rate (or the single rate), and the kWh that fall into tier 2 or tier 3 carry that tier's
surcharge on top, whatever their period.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from core.money import round_money

ZERO = Decimal("0")
# cos φ is read to 0.01, half up, as meters report it, before the adjustment table is looked up.
POWER_FACTOR_STEP = Decimal("0.01")
PERIODS = ("sharp", "peak", "flat", "valley")
PERIOD_LABELS = {"sharp": "尖峰 sharp peak", "peak": "高峰 peak", "flat": "平段 flat", "valley": "低谷 valley"}


class QuoteError(ValueError):
    """Input that cannot be priced on this tariff; ``field`` names the input to fix."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


def power_factor_read(power_factor: Decimal) -> Decimal:
    """cos φ as the adjustment table reads it: to 0.01, half up."""
    return power_factor.quantize(POWER_FACTOR_STEP, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class TierSpec:
    tier1_max_kwh: Decimal  # annual kWh up to and including this are tier 1
    tier2_max_kwh: Decimal  # above tier1_max up to and including this are tier 2; above, tier 3
    tier2_surcharge: Decimal
    tier3_surcharge: Decimal


@dataclass(frozen=True)
class TariffSpec:
    """What the engine needs of a tariff version (built from the models, or by tests directly)."""

    code: str
    energy_rates: dict[str, Decimal]  # {"total": r} for single-rate tariffs, else per TOU period
    tiers: TierSpec | None = None
    capacity_rate: Decimal | None = None  # CNY per kVA of contracted capacity per month
    demand_rate: Decimal | None = None  # CNY per kW of the month's maximum demand per month
    power_factor_standard: Decimal | None = None  # 0.90 / 0.85 / 0.80, or None: no adjustment
    fixed_monthly: Decimal = ZERO

    @property
    def is_tou(self) -> bool:
        return "total" not in self.energy_rates


@dataclass(frozen=True)
class QuoteInput:
    period_start: dt.date
    period_end: dt.date  # exclusive
    consumption: dict[str, Decimal]  # kWh per TOU period, or {"total": kWh}
    annual_kwh_before: Decimal = ZERO
    contracted_kva: Decimal | None = None
    max_demand_kw: Decimal | None = None
    power_factor: Decimal | None = None
    demand_basis: str = "capacity"  # two-part tariffs: "capacity" (per kVA) or "demand" (per kW)


@dataclass(frozen=True)
class QuoteLine:
    code: str
    description: str
    quantity: Decimal
    unit: str
    rate: Decimal
    amount: Decimal


@dataclass
class Quote:
    tariff_code: str
    lines: list[QuoteLine] = field(default_factory=list)
    tier_kwh: dict[int, Decimal] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def total_kwh(self) -> Decimal:
        return sum((line.quantity for line in self.lines if line.code.startswith("energy")), ZERO)


def month_fraction(*, start: dt.date, end: dt.date) -> Decimal:
    """Months covered by [start, end): whole calendar months count 1, partial months days/days-in-month
    (so a first or final bill for part of a month pays that share of the monthly charges)."""
    if end <= start:
        return ZERO
    total = ZERO
    cursor = start
    while cursor < end:
        days_in_month = calendar.monthrange(cursor.year, cursor.month)[1]
        month_end = dt.date(cursor.year, cursor.month, days_in_month) + dt.timedelta(days=1)
        segment_end = min(month_end, end)
        total += Decimal((segment_end - cursor).days) / Decimal(days_in_month)
        cursor = segment_end
    return total


def split_tiers(*, total_kwh: Decimal, annual_before: Decimal, tiers: TierSpec) -> dict[int, Decimal]:
    """kWh of this period in each tier, given the kWh already used earlier in the tier year."""
    after = annual_before + total_kwh

    def within(lower: Decimal, upper: Decimal | None) -> Decimal:
        top = after if upper is None else min(after, upper)
        return max(ZERO, top - max(annual_before, lower))

    return {
        1: within(ZERO, tiers.tier1_max_kwh),
        2: within(tiers.tier1_max_kwh, tiers.tier2_max_kwh),
        3: within(tiers.tier2_max_kwh, None),
    }


def power_factor_adjustment(*, power_factor: Decimal, standard: Decimal) -> Decimal:
    """Adjustment as a fraction (−0.0075 = a 0.75 % rebate) for the 0.90 standard table in the issue:
    0.95 and above −0.75 %, 0.94 −0.60 %, 0.93 −0.45 %, 0.92 −0.30 %, 0.91 −0.15 %, 0.90 0;
    below: +0.5 % per 0.01 down to 0.70, then +1 % per 0.01 down to 0.65, then +2 % per 0.01.
    The power factor is first rounded to two decimals, as meters report it."""
    if standard != Decimal("0.90"):
        raise QuoteError("only the 0.90 power-factor standard table is defined", field="power_factor")
    hundredths = int((power_factor_read(power_factor) * 100).to_integral_value())
    if hundredths >= 95:
        return Decimal("-0.0075")
    if hundredths >= 90:
        return Decimal("-0.0015") * (hundredths - 90)
    percent = Decimal("0.5") * (90 - max(hundredths, 70))
    if hundredths < 70:
        percent += Decimal(1) * (70 - max(hundredths, 65))
    if hundredths < 65:
        percent += Decimal(2) * (65 - hundredths)
    return percent / 100


def _line(code: str, description: str, quantity: Decimal, unit: str, rate: Decimal) -> QuoteLine:
    return QuoteLine(
        code=code, description=description, quantity=quantity, unit=unit, rate=rate, amount=round_money(quantity * rate)
    )


def _validate(*, spec: TariffSpec, data: QuoteInput) -> dict[str, Decimal]:
    if data.period_end <= data.period_start:
        raise QuoteError("period_end must be after period_start (it is exclusive)", field="period_end")
    consumption = {k: v for k, v in data.consumption.items() if v is not None}
    for key, value in consumption.items():
        if value < 0:
            raise QuoteError(f"{key} kWh cannot be negative", field=f"consumption.{key}")
    if spec.is_tou:
        unknown = set(consumption) - set(PERIODS)
        if unknown:
            raise QuoteError(
                f"{spec.code} is a time-of-use tariff: give kWh per period ({', '.join(PERIODS)}), not {', '.join(sorted(unknown))}",
                field="consumption",
            )
        missing_rate = [p for p in consumption if consumption[p] and spec.energy_rates.get(p) is None]
        if missing_rate:
            raise QuoteError(f"{spec.code} has no {', '.join(missing_rate)} period", field="consumption")
    elif set(consumption) - {"total"}:
        raise QuoteError(f'{spec.code} has a single energy rate: give {{"total": kWh}}', field="consumption")
    if data.annual_kwh_before < 0:
        raise QuoteError("annual_kwh_before cannot be negative", field="annual_kwh_before")
    if spec.tiers and data.period_start.year != (data.period_end - dt.timedelta(days=1)).year:
        raise QuoteError(
            "a tiered tariff's period must lie within one calendar year (the tier year); split it at 1 January",
            field="period_end",
        )
    if spec.power_factor_standard is not None and data.power_factor is not None and not (ZERO < data.power_factor <= 1):
        raise QuoteError("power_factor must be above 0 and at most 1", field="power_factor")
    return consumption


def quote(*, spec: TariffSpec, data: QuoteInput) -> Quote:
    consumption = _validate(spec=spec, data=data)
    result = Quote(tariff_code=spec.code)
    adjustable: list[QuoteLine] = []  # lines the power-factor adjustment applies to

    months = month_fraction(start=data.period_start, end=data.period_end)
    if spec.capacity_rate is not None or spec.demand_rate is not None:
        if data.demand_basis == "demand":
            if spec.demand_rate is None:
                raise QuoteError(f"{spec.code} has no demand charge", field="demand_basis")
            if data.max_demand_kw is None or data.max_demand_kw < 0:
                raise QuoteError("max_demand_kw is required for a demand-based two-part tariff", field="max_demand_kw")
            line = _line(
                "demand", "基本电费（需量）demand charge", data.max_demand_kw * months, "kW·month", spec.demand_rate
            )
        else:
            if spec.capacity_rate is None:
                raise QuoteError(f"{spec.code} has no capacity charge", field="demand_basis")
            if data.contracted_kva is None or data.contracted_kva <= 0:
                raise QuoteError(
                    "contracted_kva is required for a capacity-based two-part tariff", field="contracted_kva"
                )
            line = _line(
                "capacity",
                "基本电费（容量）capacity charge",
                data.contracted_kva * months,
                "kVA·month",
                spec.capacity_rate,
            )
        result.lines.append(line)
        adjustable.append(line)

    for period in PERIODS if spec.is_tou else ("total",):
        kwh = consumption.get(period, ZERO)
        if spec.is_tou and not kwh:
            continue
        description = f"电度电费 energy {PERIOD_LABELS[period]}" if spec.is_tou else "电度电费 energy"
        line = _line(f"energy_{period}", description, kwh, "kWh", spec.energy_rates[period])
        result.lines.append(line)
        adjustable.append(line)

    if spec.tiers is not None:
        total_kwh = sum(consumption.values(), ZERO)
        result.tier_kwh = split_tiers(total_kwh=total_kwh, annual_before=data.annual_kwh_before, tiers=spec.tiers)
        for tier, surcharge in ((2, spec.tiers.tier2_surcharge), (3, spec.tiers.tier3_surcharge)):
            if result.tier_kwh[tier]:
                line = _line(
                    f"tier{tier}",
                    f"第{'二' if tier == 2 else '三'}档加价 tier {tier} surcharge",
                    result.tier_kwh[tier],
                    "kWh",
                    surcharge,
                )
                result.lines.append(line)
                adjustable.append(line)

    if spec.power_factor_standard is not None:
        if data.power_factor is None:
            raise QuoteError(f"{spec.code} adjusts for power factor: give power_factor", field="power_factor")
        fraction = power_factor_adjustment(power_factor=data.power_factor, standard=spec.power_factor_standard)
        base = sum((line.amount for line in adjustable), ZERO)
        result.lines.append(
            QuoteLine(
                code="power_factor",
                description=f"力调电费 power-factor adjustment (cos φ {power_factor_read(data.power_factor)} vs {spec.power_factor_standard})",
                quantity=base,
                unit="CNY",
                rate=fraction,
                amount=round_money(base * fraction),
            )
        )

    if spec.fixed_monthly:
        result.lines.append(_line("fixed", "固定费用 fixed monthly charge", months, "month", spec.fixed_monthly))
    return result
