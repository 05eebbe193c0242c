"""The column shapes of stored figures, as keyword sets for ``models.DecimalField(**MONEY_COLUMN)``.

Typed so that mypy checks each keyword against DecimalField's signature; the rounding steps they hold
are core.money's (money 0.01, energy 0.0001, demand 0.001).
"""

from __future__ import annotations

from typing import Final, TypedDict


class DecimalColumn(TypedDict):
    max_digits: int
    decimal_places: int


class NullableDecimalColumn(DecimalColumn):
    null: bool
    blank: bool


MONEY_COLUMN: Final[DecimalColumn] = {"max_digits": 14, "decimal_places": 2}
