"""Planted load shapes for the segmentation tests that need the database (analytics segments).

Accounts get an hourly meter (60-minute intervals keep the row count small) with readings over a
window around the 2026 Mid-autumn and National Day holidays: on the mainland calendar's working days
each account follows its planted shape, on weekends and holidays everyone runs a night load, so a
weekday profile built on ``date.weekday()`` instead of the calendar would be visibly contaminated."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from billing.models import IntervalReading
from core.calendar import is_working_day
from customers.models import Account
from tests.factories import SHANGHAI, make_account, make_meter

HOURS = np.arange(24)
WINDOW = (dt.date(2026, 9, 20), dt.date(2026, 10, 19))  # 16 working days (two adjusted), 13 days off


def _bump(centre: float, width: float) -> np.ndarray:
    return np.exp(-0.5 * ((HOURS - centre) / width) ** 2)


SHAPES = {
    "evening": 0.3 + 2.0 * _bump(20, 1.5),
    "daytime": 0.15 + 1.5 * ((HOURS >= 8) & (HOURS <= 17)),
    "flat": 1.0 + 0.05 * np.cos(HOURS / 24 * 2 * np.pi),
}
DAY_OFF = 0.2 + 1.8 * ((HOURS >= 23) | (HOURS <= 5))  # every account on weekends and holidays


@dataclass
class Planted:
    accounts: dict[str, list[Account]] = field(default_factory=dict)
    kwh_by_day: dict[int, dict[dt.date, float]] = field(default_factory=dict)  # account id → day → kWh

    def kwh_between(self, account: Account, start: dt.date, end: dt.date) -> float:
        return sum(v for day, v in self.kwh_by_day[account.pk].items() if start <= day < end)


def days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range((end - start).days)]


def add_readings(
    planted: Planted,
    account: Account,
    *,
    shape: np.ndarray,
    scale: float,
    on_days: list[dt.date],
    noise: float = 0.0,
    rng: np.random.Generator | None = None,
    off_shape: np.ndarray | None = DAY_OFF,
) -> None:
    meter = make_meter(account=account, interval_minutes=60, installed_at=dt.datetime(2026, 1, 1, tzinfo=SHANGHAI))
    rows = []
    by_day = planted.kwh_by_day.setdefault(account.pk, {})
    for day in on_days:
        base = shape if is_working_day(day) or off_shape is None else off_shape
        values = scale * base
        if noise:
            values = np.clip(values * (1 + noise * rng.standard_normal(24)), 0.001, None)
        quantised = [Decimal(f"{v:.4f}") for v in values]
        by_day[day] = float(sum(quantised))
        midnight = dt.datetime.combine(day, dt.time(), tzinfo=SHANGHAI)
        rows.extend(
            IntervalReading(meter=meter, interval_start=midnight + dt.timedelta(hours=h), kwh=quantised[h])
            for h in range(24)
        )
    IntervalReading.objects.bulk_create(rows, batch_size=5000)


def plant(
    *,
    per_shape: int = 8,
    category: str = Account.Category.RESIDENTIAL,
    noise: float = 0.05,
    seed: int = 5,
    window: tuple[dt.date, dt.date] = WINDOW,
) -> Planted:
    """``per_shape`` accounts per planted shape; the first of each shape has no noise (its profile is
    then exactly the planted shape), the others noise and sizes from 1 to 40 kWh per average hour."""
    rng = np.random.default_rng(seed)
    planted = Planted()
    for name, shape in SHAPES.items():
        planted.accounts[name] = []
        for index in range(per_shape):
            account = make_account(category=category)
            add_readings(
                planted,
                account,
                shape=shape,
                scale=1.0 if index == 0 else float(rng.uniform(1, 40)),
                on_days=days(*window),
                noise=0.0 if index == 0 else noise,
                rng=rng,
            )
            planted.accounts[name].append(account)
    return planted
