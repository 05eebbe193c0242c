"""Cumulative registers (示数), one rule for all of them: total, the TOU registers and reactive energy.

A register only counts up; it shows ``register_digits`` digits and wraps to 0 past 10^digits. The
advance between two reads is therefore ``end − start``, plus one full turn when the register wrapped
(the start in the top tenth of the dial and the end in the bottom tenth); any other fall means the
register went backwards (a wrong read, a swapped meter, a reset): no advance can be computed, and the
caller says so (the billing run holds the bill; ingestion rejects the read). The advance is in meter
units; × the meter's multiplier gives primary-side kWh (kvarh for the reactive register).

Used by the billing run (every register of a bill), ingestion's register checks (backwards, and the
TOU-sum check on unwrapped advances) and tariff advice through the billing run.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

WRAP_FROM = Decimal("0.9")  # a wrap starts in the top tenth of the dial …
WRAP_TO = Decimal("0.1")  # … and ends in the bottom tenth


@dataclass(frozen=True)
class Backwards:
    """The register fell without wrapping."""

    start: Decimal
    end: Decimal


def register_advance(*, start: Decimal, end: Decimal, rollover: Decimal) -> Decimal | Backwards:
    """Meter-side advance of a cumulative register from ``start`` to ``end``, unwrapped at ``rollover``
    (10^digits); ``Backwards`` when it went backwards."""
    difference = end - start
    if difference >= 0:
        return difference
    if start > WRAP_FROM * rollover and end < WRAP_TO * rollover:
        return difference + rollover
    return Backwards(start=start, end=end)
