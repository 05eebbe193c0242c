"""Money and energy as Decimal, with one rounding rule per purpose.

| purpose | step | rule | where |
|---|---|---|---|
| money (CNY) | 0.01 | ROUND_HALF_UP | every bill line, fee, ledger amount, incentive, sum shown |
| energy (kWh) | 0.0001 | ROUND_HALF_UP | as stored (numeric(…, 4)): readings, consumption, estimates, quotes |
| demand (kW) | 0.001 | ROUND_HALF_UP | maximum demand, verified demand-response kW |
| unit rates | kept as entered, at least 5 places | — | tariff prices (numeric(…, 6)) |
| shares | 0.0001 | ROUND_HALF_UP | estimated share, power factor inputs |
| percentages shown | 0.1 | ROUND_HALF_UP | collection rate, completeness |

Half-up is what the pricing rules and customers expect (0.005 → 0.01); Decimal's default (half-even)
is never used for a figure anyone reads.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
KWH_STEP = Decimal("0.0001")
KW_STEP = Decimal("0.001")
SHARE_STEP = Decimal("0.0001")
PERCENT_STEP = Decimal("0.1")
ZERO_MONEY = Decimal("0.00")


def _decimal(value: Decimal | int | float | str | None) -> Decimal:
    if value is None:
        return Decimal(0)
    if isinstance(value, float):
        return Decimal(repr(value))  # the shortest repr, not the binary expansion
    return Decimal(value)


def round_money(value: Decimal | int | float | str | None) -> Decimal:
    return _decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def round_kwh(value: Decimal | int | float | str | None) -> Decimal:
    return _decimal(value).quantize(KWH_STEP, rounding=ROUND_HALF_UP)


def round_kw(value: Decimal | int | float | str | None) -> Decimal:
    return _decimal(value).quantize(KW_STEP, rounding=ROUND_HALF_UP)


def round_share(value: Decimal | int | float | str | None) -> Decimal:
    return _decimal(value).quantize(SHARE_STEP, rounding=ROUND_HALF_UP)


def percent(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """part ÷ whole in %, to 0.1; None when nothing to divide by."""
    if not whole:
        return None
    return (_decimal(part) * 100 / _decimal(whole)).quantize(PERCENT_STEP, rounding=ROUND_HALF_UP)
