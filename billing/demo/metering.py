"""Demo metering data for ``manage.py seed_demo`` (called through ``BillingConfig.demo_seeder`` after the
customers app has seeded customers, accounts and the grid).

What :func:`seed_metering_demo` creates, the same for the same seed, ``as_of`` and accounts:

* **a meter for every account** — meter number ``3301`` + 10 digits, a real manufacturer and model
  (single-phase DDZY smart meters at home, three-phase DTZY/DSZY meters elsewhere), installed on the
  day the account opened (removed the day a closed account closed). Multiplier 1 for homes and small
  shops; larger supplies are metered through current transformers, so the multiplier is the CT ratio
  (e.g. 200/5 A → 40), and 10 kV supplies above 800 kVA through voltage transformers too
  (10 kV/100 V × CT, e.g. 1500). Some residential meters installed before 2012 have no TOU registers.
* **an AREA_SUMMARY meter for every transformer area** (台区总表) on the transformer's low-voltage
  side, multiplier from its rating (a 400 kVA transformer: 750/5 A → 150), installed 2015-01-01;
  for a dedicated transformer (专变) it sits where the customer's supply is metered.
* **a year of 15-minute curves up to** ``as_of`` (``interval_start`` from ``as_of`` − 365 days 00:00 to
  ``as_of`` 00:00, Asia/Shanghai) for the *curve accounts*: the demo customer's two accounts and every
  account of the *instrumented areas* — by default the demo customer's home area, three industrial
  customers' dedicated areas and one more public area per 5,000 customers (``curves`` caps the number
  of curve accounts instead; whole areas only). Shapes: homes with a morning bump, an evening peak,
  a low night, air conditioning in summer and heating in winter (a few charge an electric car in the
  valley hours); shops, restaurants and offices by opening hours, lower on rest days (mainland
  calendar with its statutory holidays); factories on one, two or three shifts with a weekly pattern
  and the Spring Festival shutdown; pumping stations in the irrigation season. Multiplicative noise,
  and a few genuine gaps (collection failures of hours, now and then a whole day). Readings are
  meter-side kWh (primary ÷ multiplier), so the ingestion rules hold for them (no spikes).
* **daily register reads at 00:00** for the curve meters, consistent with the curve (the registers
  advance through the gaps too: the meter measured, only the collection failed). Residential meters
  split peak 08:00–22:00 / valley 22:00–08:00 (ZJ-RES-TOU); others use the EX-COM-TOU calendar:
  valley 23:00–07:00, flat 07:00–08:00, 11:00–13:00 and 22:00–23:00, peak the rest, sharp
  19:00–21:00 in July, August, December and January.
* **monthly register reads** (00:00 on the 1st, thirteen of them) for every other meter, including the
  summary meters of areas without curves (the area's consumption plus 3–7 % loss), so billing and
  monthly line loss have something everywhere.
* For each instrumented area the summary meter's curve is the sum of its customers' *true* load ×
  (1 + technical loss): a fixed no-load part and a part growing with the square of the load, 3–7 %
  of the energy over the year (1–2.5 % for dedicated transformers).

Planted anomalies for line-loss analysis (issue 6), in the first instrumented public area (the demo
customer's home area), among its active residential accounts open for the whole year other than the
demo customer's:

* **bypassed meter**: the home with the largest contracted capacity (ties: the lower account number);
  from ``as_of`` − 120 days its meter records only 20 % of what the home draws (the summary meter
  still sees all of it);
* **stopped meter**: the next one in that order; from ``as_of`` − 60 days its meter records zero
  (readings of 0.0000 keep arriving) and its registers stand still.

The summary line printed by ``seed_demo`` names both meters. With ``--seed 42`` and 200 customers they
are in area ``TA33010500001``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import random
import zlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from django.db import connection
from tqdm import tqdm

from billing.models import Meter, RegisterRead
from billing.services.completeness import refresh_completeness
from billing.services.ingest.writers import copy_interval_rows
from billing.services.partitions import ensure_interval_partitions
from core.calendar import is_working_day
from core.months import add_months, month_start
from core.time import SHANGHAI, local_midnight
from customers.demo import DEMO_CUSTOMER_USERNAME
from customers.models import Account, PortalBinding, TransformerArea

WINDOW_DAYS = 365
SLOTS = 96  # quarter-hours a day
SLOT_HOURS = 0.25
METER_PREFIX = "3301"
DEDICATED_CURVE_AREAS = 3
SUMMARY_INSTALLED = dt.date(2015, 1, 1)  # summary meters: the areas' metering renewal
CUSTOMERS_PER_EXTRA_CURVE_AREA = 5000
BYPASS_DAYS, BYPASS_SHARE = 120, 0.2
STOP_DAYS = 60
MONTHLY_READS = 13
WRITE_ROWS = 1_000_000  # interval rows per COPY / executemany
CT_PRIMARIES = (50, 75, 100, 150, 200, 250, 300, 400, 500, 600, 750, 800, 1000, 1200, 1500, 2000, 2500, 3000, 4000)
SHARP_MONTHS = (1, 7, 8, 12)
SHARP, PEAK, FLAT, VALLEY = range(4)
TOU_NAMES = ("sharp", "peak", "flat", "valley")

SINGLE_PHASE_MODELS = (
    ("威胜集团", "DDZY102-Z"),
    ("林洋能源", "DDZY71C-Z"),
    ("华立科技", "DDZY285-Z"),
    ("三星医疗", "DDZY1710-Z"),
    ("炬华科技", "DDZY1193-Z"),
    ("海兴电力", "DDZY208-Z"),
)
OLD_SINGLE_PHASE_MODELS = (("华立科技", "DDS28"), ("正泰仪表", "DDS666"), ("威胜集团", "DDS102"))
THREE_PHASE_DIRECT_MODELS = (
    ("威胜集团", "DTZY341-Z 3×10(60)A"),
    ("林洋能源", "DTZY71-Z 3×10(60)A"),
    ("华立科技", "DTZY545-Z 3×10(60)A"),
)
THREE_PHASE_CT_MODELS = (
    ("威胜集团", "DTZY341-Z 3×1.5(6)A"),
    ("林洋能源", "DTZY71-Z 3×1.5(6)A"),
    ("三星医疗", "DTZY1710-Z 3×1.5(6)A"),
)
HIGH_VOLTAGE_MODELS = (("威胜集团", "DSZY331 3×100V 3×1.5(6)A"), ("许继电气", "DSZY566 3×100V 3×1.5(6)A"))


@dataclass(frozen=True)
class MeteringDemoResult:
    meters: int
    summary_meters: int
    curve_meters: int
    interval_readings: int
    register_reads: int
    planted: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = (
            f"Metering: {self.meters:,} meters ({self.summary_meters:,} area summary meters), "
            f"{self.curve_meters:,} with a year of 15-minute curves: {self.interval_readings:,} interval readings, "
            f"{self.register_reads:,} register reads."
        )
        if self.planted:
            text += " Planted for line-loss analysis: " + "; ".join(self.planted) + "."
        return text


# --- the calendar of the window ------------------------------------------------------------------


@dataclass
class _Calendar:
    """Per day and per quarter-hour facts of the year before ``as_of`` (local time)."""

    first_day: dt.date
    days: list[dt.date]
    working: np.ndarray  # per day
    weekday: np.ndarray
    month: np.ndarray
    spring_festival: np.ndarray  # the statutory holiday ± a few days: factories stop
    celsius: np.ndarray  # per slot: a plausible Hangzhou temperature
    hour: np.ndarray  # per slot: 0, 0.25, … 23.75
    epoch: np.ndarray  # per slot: UTC seconds of the interval start
    tou_business: np.ndarray  # per slot: SHARP … VALLEY on the EX-COM-TOU calendar
    tou_residential: np.ndarray  # per slot: PEAK 08–22, VALLEY otherwise

    @property
    def slots(self) -> int:
        return len(self.hour)

    def day_of(self, moment: dt.datetime) -> int:
        """Index of the first whole day at or after ``moment`` (clipped to the window)."""
        local = moment.astimezone(SHANGHAI)
        day = (local.date() - self.first_day).days + (local.time() != dt.time())
        return min(max(day, 0), len(self.days))


def demo_hourly_temperature(*, as_of: dt.date, seed: int) -> list[tuple[dt.datetime, float]]:
    """The temperature the demo curves were drawn with, on the hour over the year before ``as_of`` (same
    seed and day, same weather): analytics stores it as the areas' observed weather, so the demo's
    forecasts can learn from it as they would from a real weather feed."""
    cal = _calendar(as_of=as_of, seed=seed)
    hourly = slice(None, None, SLOTS // 24)
    return [
        (dt.datetime.fromtimestamp(int(epoch), tz=SHANGHAI), float(celsius))
        for epoch, celsius in zip(cal.epoch[hourly], cal.celsius[hourly], strict=True)
    ]


def _spring_festival_days(days: list[dt.date]) -> np.ndarray:
    import chinese_calendar

    flags = np.zeros(len(days), dtype=bool)
    for i, day in enumerate(days):
        try:
            _, name = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:
            continue
        if name == "Spring Festival":
            flags[max(0, i - 5) : i + 4] = True
    return flags


def _calendar(*, as_of: dt.date, seed: int) -> _Calendar:
    first = as_of - dt.timedelta(days=WINDOW_DAYS)
    days = [first + dt.timedelta(days=i) for i in range(WINDOW_DAYS)]
    day_of_year = np.array([d.timetuple().tm_yday for d in days])
    rng = np.random.default_rng([seed, 1])
    weather = np.zeros(len(days))
    for i in range(1, len(days)):  # day-to-day weather: AR(1) around the seasonal mean
        weather[i] = 0.7 * weather[i - 1] + rng.normal(0, 2.2)
    daily = 17 + 11.5 * np.sin(2 * np.pi * (day_of_year - 110) / 365.25) + weather
    hour = np.tile(np.arange(SLOTS) * SLOT_HOURS, len(days))
    day_index = np.repeat(np.arange(len(days)), SLOTS)
    month = np.array([d.month for d in days])
    slot_month = month[day_index]
    business = np.full(len(hour), PEAK)
    business[(hour >= 23) | (hour < 7)] = VALLEY
    business[((hour >= 7) & (hour < 8)) | ((hour >= 11) & (hour < 13)) | ((hour >= 22) & (hour < 23))] = FLAT
    business[(hour >= 19) & (hour < 21) & np.isin(slot_month, SHARP_MONTHS)] = SHARP
    residential = np.where((hour >= 8) & (hour < 22), PEAK, VALLEY)
    midnight = local_midnight(first).timestamp()
    return _Calendar(
        first_day=first,
        days=days,
        working=np.array([is_working_day(d) for d in days]),
        weekday=np.array([d.weekday() for d in days]),
        month=month,
        spring_festival=_spring_festival_days(days),
        celsius=daily[day_index] + 3.5 * np.sin(2 * np.pi * (hour - 9) / 24),
        hour=hour,
        epoch=(midnight + np.arange(len(hour)) * 900).astype(np.int64),
        tou_business=business,
        tou_residential=residential,
    )


# --- load shapes (primary-side kW per quarter-hour) ---------------------------------------------------


def _bump(hour: np.ndarray, centre: float, width: float) -> np.ndarray:
    return np.exp(-0.5 * ((hour - centre) / width) ** 2)


def _between(hour: np.ndarray, start: float, end: float, sharpness: float = 4.0) -> np.ndarray:
    """Smoothly 1 between ``start`` and ``end`` o'clock, 0 outside."""
    return 1 / (1 + np.exp(-(hour - start) * sharpness)) / (1 + np.exp(-(end - hour) * sharpness))


def _per_slot(values: np.ndarray) -> np.ndarray:
    return np.repeat(values, SLOTS)


def _noise(rng: np.random.Generator, cal: _Calendar, *, slot_sigma: float, day_sigma: float) -> np.ndarray:
    day = _per_slot(rng.lognormal(0, day_sigma, len(cal.days)))
    return day * rng.lognormal(-(slot_sigma**2) / 2, slot_sigma, cal.slots)


def _residential(rng: np.random.Generator, cal: _Calendar, kva: float) -> np.ndarray:
    hour, working = cal.hour, _per_slot(cal.working)
    cool, heat = np.clip(cal.celsius - 26, 0, 12), np.clip(12 - cal.celsius, 0, 15)
    at_home_all_day = rng.random() < 0.2  # retirees, small children
    daytime = np.where(working & ~at_home_all_day, 0.05, rng.uniform(0.15, 0.35))
    load = (
        rng.uniform(0.08, 0.2)  # fridge, router, standby
        + rng.uniform(0.2, 0.5) * np.where(working, _bump(hour, 7.0, 0.6), _bump(hour, 8.5, 0.9))
        + rng.uniform(0.5, 1.2) * _bump(hour, rng.uniform(19.5, 20.5), 1.5)
        + 0.4 * _bump(hour, 18.0, 0.5)
        + daytime * _between(hour, 8.5, 17.0)
    )
    presence = np.where((hour < 7) | (hour >= 22), 0.7, np.where(hour >= 17, 1.0, np.where(working, 0.15, 0.6)))
    load = load + cool * rng.uniform(0.12, 0.3) * presence
    load = load + heat * rng.uniform(0.05, 0.15) * np.where((hour >= 17) & (hour < 23), 1.0, 0.3)
    if rng.random() < 0.08:  # an electric car charged in the valley hours
        charging = _per_slot(rng.random(len(cal.days)) < 0.6) & ((hour >= 23) | (hour < rng.uniform(1.5, 3.5)))
        load = load + 3.3 * charging
    away = np.zeros(len(cal.days), dtype=bool)
    if rng.random() < 0.3:  # home for the Spring Festival
        away |= cal.spring_festival
    if rng.random() < 0.15:  # a week away
        start = rng.integers(0, len(cal.days) - 7)
        away[start : start + 7] = True
    load = np.where(_per_slot(away), 0.1, load)
    scale = rng.lognormal(-0.15, 0.3) * math.sqrt(kva / 8)
    return load * scale * _noise(rng, cal, slot_sigma=0.25, day_sigma=0.12)


def _commercial(rng: np.random.Generator, cal: _Calendar, kva: float) -> np.ndarray:
    hour, working = cal.hour, _per_slot(cal.working)
    kind = rng.choice(["shop", "restaurant", "office"], p=[0.5, 0.25, 0.25])
    opens, closes = {"shop": (9.0, 21.5), "restaurant": (10.0, 22.0), "office": (8.0, 18.0)}[kind]
    peak = kva * rng.uniform(0.25, 0.45)
    base = peak * rng.uniform(0.08, 0.15)
    occupied = _between(hour, opens, closes)
    if kind == "restaurant":
        occupied = occupied * (0.55 + 0.45 * (_bump(hour, 12.0, 1.0) + _bump(hour, 18.5, 1.2)))
    if kind == "office":
        day = np.where(working, 1.0, 0.1)
    else:
        day = np.where(working, 1.0, 1.15)
    day = day * np.where(_per_slot(cal.spring_festival), 0.5 if kind != "office" else 0.1, 1.0)
    cool, heat = np.clip(cal.celsius - 26, 0, 12), np.clip(12 - cal.celsius, 0, 15)
    climate = 1 + rng.uniform(0.25, 0.45) * cool / 8 + 0.1 * heat / 8
    load = base + (peak - base) * occupied * day * climate
    return load * _noise(rng, cal, slot_sigma=0.08, day_sigma=0.08)


def _industrial(rng: np.random.Generator, cal: _Calendar, kva: float) -> np.ndarray:
    hour, working = cal.hour, _per_slot(cal.working)
    kind = rng.choice(["three", "two", "day"], p=[0.4, 0.35, 0.25])
    level = kva * rng.uniform(0.35, 0.6)
    if kind == "three":  # continuous, short dips at the shift changes, a quieter Sunday
        shape = 1 - 0.15 * (_bump(hour, 0.0, 0.25) + _bump(hour, 8.0, 0.25) + _bump(hour, 16.0, 0.25))
        shape = shape * np.where(_per_slot(cal.weekday == 6), 0.85, 1.0)
        stopped = 0.3
    elif kind == "two":
        shape = 0.15 + 0.85 * _between(hour, 6.0, 22.0)
        shape = np.where(working, shape, 0.3 * shape)
        stopped = 0.06
    else:
        shape = 0.08 + 0.92 * _between(hour, 8.0, 17.0) * (1 - 0.4 * _between(hour, 12.0, 13.0, 8.0))
        shape = np.where(working, shape, 0.08)
        stopped = 0.06
    shape = np.where(_per_slot(cal.spring_festival), stopped, shape)
    cool = np.clip(cal.celsius - 26, 0, 12)
    load = level * shape * (1 + 0.1 * cool / 8)
    return load * _noise(rng, cal, slot_sigma=0.04, day_sigma=0.05)


def _agricultural(rng: np.random.Generator, cal: _Calendar, kva: float) -> np.ndarray:
    hour = cal.hour
    season = np.isin(cal.month, (4, 5, 6, 7, 8, 9)) & (rng.random(len(cal.days)) < 0.35)
    pumping = _per_slot(season) * _between(hour, 6.0, 18.0)
    load = kva * (0.02 + rng.uniform(0.45, 0.65) * pumping)
    return load * _noise(rng, cal, slot_sigma=0.05, day_sigma=0.05)


SHAPES = {
    Account.Category.RESIDENTIAL: _residential,
    Account.Category.COMMERCIAL: _commercial,
    Account.Category.INDUSTRIAL: _industrial,
    Account.Category.AGRICULTURAL: _agricultural,
}
# Load factor (mean kW ÷ contracted kVA) for the daily model of accounts without curves.
LOAD_FACTORS = {
    Account.Category.RESIDENTIAL: (0.03, 0.05),
    Account.Category.COMMERCIAL: (0.08, 0.18),
    Account.Category.INDUSTRIAL: (0.25, 0.5),
    Account.Category.AGRICULTURAL: (0.03, 0.08),
}
# TOU shares of the daily model: (sharp, peak, flat, valley); sharp only counts in sharp months.
TOU_SHARES = {
    Account.Category.RESIDENTIAL: (0.0, 0.64, 0.0, 0.36),
    Account.Category.COMMERCIAL: (0.07, 0.55, 0.23, 0.15),
    Account.Category.INDUSTRIAL: (0.05, 0.42, 0.2, 0.33),
    Account.Category.AGRICULTURAL: (0.0, 0.55, 0.25, 0.2),
}


# --- meters ------------------------------------------------------------------------------------


@dataclass
class _MeterPlan:
    meter_no: str
    multiplier: int
    has_tou: bool
    residential_tou: bool
    installed: dt.datetime
    removed: dt.datetime | None
    account: Mapping[str, Any] | None = None
    area: Mapping[str, Any] | None = None
    meter_id: int = 0
    extra: dict = field(default_factory=dict)
    # Set for tariffs with a power-factor adjustment (力调): the reactive register follows the active one.
    power_factor: float | None = None

    @property
    def area_code(self) -> str:
        """The transformer area of an area's summary meter."""
        assert self.area is not None  # summary meters are planned with their area
        return self.area["code"]


def _power_factor(*, seed: int, account: Mapping[str, Any]) -> float | None:
    """Industrial accounts (the two-part tariff judges them against a 0.90 standard): most near or above
    it, some below, so bills show both the adjustment's rebate and its surcharge."""
    if account["category"] != Account.Category.INDUSTRIAL:
        return None
    return round(random.Random(f"{seed}:{account['number']}:pf").uniform(0.84, 0.97), 3)  # noqa: S311 - demo data


def _ct_primary(amps: float) -> int:
    return next((p for p in CT_PRIMARIES if p >= 1.25 * amps), CT_PRIMARIES[-1])


def _metering(*, category: str, kva: float) -> tuple[int, str, str]:
    """Multiplier, phase and how the supply is metered: direct, "ct" (low-voltage current
    transformers) or "hv" (10 kV voltage and current transformers)."""
    if category == Account.Category.RESIDENTIAL:
        return 1, Meter.Phase.SINGLE, "direct"
    if category == Account.Category.INDUSTRIAL and kva > 800:
        return 100 * _ct_primary(kva / (math.sqrt(3) * 10)) // 5, Meter.Phase.THREE, "hv"
    if kva <= 40:
        return 1, Meter.Phase.THREE, "direct"
    return _ct_primary(kva * 1000 / (math.sqrt(3) * 400)) // 5, Meter.Phase.THREE, "ct"


def _key(text: str) -> int:
    """A stable number for seeding per-meter generators (ids differ between databases, codes do not)."""
    return zlib.crc32(text.encode())


def _create_meters(
    *, seed: int, accounts: Sequence[Mapping[str, Any]], areas: Sequence[Mapping[str, Any]], window_start: dt.datetime
) -> tuple[dict[int, _MeterPlan], dict[int, _MeterPlan]]:
    """Every meter's number and asset data come from its own generator, keyed by the seed and the
    account number (area code for summary meters), so a meter does not change when other accounts
    do (the customers' generator draws dates over a range that depends on ``as_of``)."""
    used: set[str] = set()

    def number(key: str) -> str:
        for attempt in range(100):
            digest = hashlib.sha256(f"{seed}:{key}:{attempt}".encode()).digest()
            candidate = f"{METER_PREFIX}{int.from_bytes(digest[:8], 'big') % 10**10:010d}"
            if candidate not in used:
                used.add(candidate)
                return candidate
        raise RuntimeError("no free meter number")  # pragma: no cover - 10^10 numbers

    plans, objects = {}, []
    for account in accounts:
        rng = random.Random(f"{seed}:{account['number']}")  # noqa: S311 - reproducible demo data
        kva = float(account["contracted_kva"])
        multiplier, phase, how = _metering(category=account["category"], kva=kva)
        residential = account["category"] == Account.Category.RESIDENTIAL
        old = account["opened_on"].year < 2012
        has_tou = not (residential and old and rng.random() < 0.4)
        models = (
            (SINGLE_PHASE_MODELS if has_tou else OLD_SINGLE_PHASE_MODELS)
            if residential
            else {"direct": THREE_PHASE_DIRECT_MODELS, "ct": THREE_PHASE_CT_MODELS, "hv": HIGH_VOLTAGE_MODELS}[how]
        )
        manufacturer, model = rng.choice(models)
        installed = local_midnight(account["opened_on"])
        removed = None
        if account["closed_on"] is not None:
            removed = max(local_midnight(account["closed_on"]), installed + dt.timedelta(days=1))
        plan = _MeterPlan(
            meter_no=number(account["number"]),
            multiplier=multiplier,
            has_tou=has_tou,
            residential_tou=residential,
            installed=installed,
            removed=removed,
            account=account,
            power_factor=_power_factor(seed=seed, account=account),
        )
        plans[account["id"]] = plan
        objects.append(
            Meter(
                meter_no=plan.meter_no,
                role=Meter.Role.CUSTOMER,
                account_id=account["id"],
                area_id=account["area_id"],
                manufacturer=manufacturer,
                model_name=model,
                accuracy_class={"direct": "2.0" if residential else "1.0", "ct": "0.5S", "hv": "0.2S"}[how],
                phase=phase,
                multiplier=Decimal(multiplier),
                has_tou_registers=has_tou,
                interval_minutes=15,
                installed_at=installed,
                removed_at=removed,
            )
        )
    by_area: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
    for account in accounts:
        by_area[account["area_id"]].append(account)
    summaries = {}
    for area in areas:
        members = by_area.get(area["id"], [])
        dedicated = area["code"].startswith("TZ")
        if dedicated and members:
            multiplier, _, how = _metering(category=members[0]["category"], kva=float(members[0]["contracted_kva"]))
        else:
            multiplier, how = _ct_primary(float(area["transformer_kva"]) * 1000 / (math.sqrt(3) * 400)) // 5, "ct"
        installed = min(local_midnight(SUMMARY_INSTALLED), window_start - dt.timedelta(days=365))
        rng = random.Random(f"{seed}:{area['code']}")  # noqa: S311 - reproducible demo data
        manufacturer, model = rng.choice(HIGH_VOLTAGE_MODELS if how == "hv" else THREE_PHASE_CT_MODELS)
        plan = _MeterPlan(
            meter_no=number(area["code"]),
            multiplier=multiplier,
            has_tou=True,
            residential_tou=False,
            installed=installed,
            removed=None,
            area=area,
        )
        summaries[area["id"]] = plan
        objects.append(
            Meter(
                meter_no=plan.meter_no,
                role=Meter.Role.AREA_SUMMARY,
                area_id=area["id"],
                manufacturer=manufacturer,
                model_name=model,
                accuracy_class="0.5S",
                phase=Meter.Phase.THREE,
                multiplier=Decimal(multiplier),
                has_tou_registers=True,
                interval_minutes=15,
                installed_at=installed,
            )
        )
    created = Meter.objects.bulk_create(objects, batch_size=2000)
    ids = {meter.meter_no: meter.pk for meter in created}
    if any(pk is None for pk in ids.values()):  # backends that do not return ids from bulk inserts
        ids = dict(Meter.objects.filter(meter_no__in=list(ids)).values_list("meter_no", "id"))
    for plan in (*plans.values(), *summaries.values()):
        plan.meter_id = ids[plan.meter_no]
    return plans, summaries


# --- which accounts get curves ------------------------------------------------------------------------


def _curve_areas(
    *,
    rng: random.Random,
    accounts: Sequence[Mapping[str, Any]],
    areas: Sequence[Mapping[str, Any]],
    home_area_id: int | None,
    demo_account_ids: list[int],
    customers: int,
    curves: int | None,
    window_start: dt.date,
) -> list[int]:
    members: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
    for account in accounts:
        members[account["area_id"]].append(account)
    public = [a["id"] for a in areas if not a["code"].startswith("TZ") and a["id"] != home_area_id and members[a["id"]]]
    dedicated = [
        a["id"]
        for a in areas
        if a["code"].startswith("TZ")
        and any(m["status"] == Account.Status.ACTIVE and m["opened_on"] < window_start for m in members[a["id"]])
    ]
    chosen_dedicated = rng.sample(dedicated, min(DEDICATED_CURVE_AREAS, len(dedicated)))
    ordered = [*([home_area_id] if home_area_id else []), *chosen_dedicated]
    if curves is None:
        extra = customers // CUSTOMERS_PER_EXTRA_CURVE_AREA
        return ordered + public[:extra]
    # A budget of curve accounts: whole areas in this order while they fit.
    ordered += public + [a for a in dedicated if a not in chosen_dedicated]
    budget = curves - min(len(demo_account_ids), curves)
    picked = []
    for area_id in ordered:
        size = sum(1 for m in members[area_id] if m["id"] not in demo_account_ids)
        if size <= budget:
            picked.append(area_id)
            budget -= size
    return picked


# --- registers --------------------------------------------------------------------------------------


def _register_rows(
    *,
    plan: _MeterPlan,
    reads_at: list[dt.datetime],
    cumulative: np.ndarray,  # (len(reads_at), 4): hundredths of kWh per TOU register since the start
    initial_kwh: float,
    shares: tuple[float, ...],
) -> list[tuple]:
    """(meter_id, read_at, total, sharp, peak, flat, valley, reactive) in hundredths of kWh or kvarh
    (None: no register)."""
    start = np.floor(np.array(shares) / max(sum(shares), 1e-9) * initial_kwh * 100).astype(np.int64)
    registers = start + cumulative
    reactive_per_active = math.tan(math.acos(plan.power_factor)) if plan.power_factor else None
    rows = []
    for moment, values in zip(reads_at, registers.tolist(), strict=True):
        total = sum(values)
        reactive = round(total * reactive_per_active) if reactive_per_active else None
        tou = values if plan.has_tou else [None] * 4
        rows.append((plan.meter_id, moment, total, *tou, reactive))
    return rows


def _initial_kwh(*, rng: np.random.Generator, plan: _MeterPlan, daily_kwh: float, at: dt.datetime) -> float:
    """What the meter's registers show at ``at``: years of similar use since installation, wrapped
    like a 6-digit register."""
    years = max(0.0, (at - plan.installed).days / 365.25)
    value = daily_kwh / plan.multiplier * 365.25 * years * rng.uniform(0.8, 1.2)
    return value % 900_000


def _hundredths(value: float) -> str:
    units = int(value)
    return f"{units // 100}.{units % 100:02d}"


def _write_register_reads(rows: list[tuple]) -> None:
    if connection.vendor == "postgresql":
        buffer = io.StringIO()
        for meter_id, moment, *registers in rows:
            cells = [r"\N" if v is None else _hundredths(v) for v in registers]
            buffer.write(f"{meter_id}\t{moment.isoformat()}\t" + "\t".join(cells) + "\t0\n")
        buffer.seek(0)
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(
                "COPY billing_registerread (meter_id, read_at, total, sharp, peak, flat, valley, reactive, quality) "
                "FROM STDIN",
                buffer,
            )
        return
    RegisterRead.objects.bulk_create(
        [
            RegisterRead(
                meter_id=meter_id,
                read_at=moment,
                **{
                    name: None if value is None else Decimal(value).scaleb(-2)
                    for name, value in zip(("total", *TOU_NAMES, "reactive"), registers, strict=True)
                },
            )
            for meter_id, moment, *registers in rows
        ],
        batch_size=2000,
    )


# --- interval readings ------------------------------------------------------------------------------


class _IntervalWriter:
    """Buffers readings and writes them in large batches: COPY (binary) on PostgreSQL, executemany
    on SQLite."""

    def __init__(self, cal: _Calendar) -> None:
        self.cal = cal
        self.parts: list[pd.DataFrame] = []
        self.pending = 0
        self.written = 0
        self._sqlite_times: list[str] | None = None
        if connection.vendor == "postgresql":
            months = {month_start(d) for d in cal.days}
            ensure_interval_partitions(months=sorted(months))

    def add(self, *, meter_id: int, slots: np.ndarray, units: np.ndarray) -> None:
        self.parts.append(
            pd.DataFrame(
                {
                    "meter_id": np.full(len(slots), meter_id, dtype=np.int64),
                    "epoch": self.cal.epoch[slots],
                    "kwh_units": units,
                    "quality": np.zeros(len(slots), dtype=np.int16),
                    "slot": slots,
                }
            )
        )
        self.pending += len(slots)
        if self.pending >= WRITE_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.parts:
            return
        rows = pd.concat(self.parts, ignore_index=True)
        self.parts, self.pending = [], 0
        if connection.vendor == "postgresql":
            copy_interval_rows(rows=rows)
        else:
            if self._sqlite_times is None:  # Django keeps aware datetimes in SQLite as naive UTC text
                stamps = self.cal.epoch.astype("datetime64[s]")
                self._sqlite_times = [t.replace("T", " ") for t in np.datetime_as_string(stamps, unit="s")]
            times = self._sqlite_times
            with connection.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO billing_intervalreading (meter_id, interval_start, kwh, quality) VALUES (%s, %s, %s, 0)",
                    list(
                        zip(
                            rows["meter_id"].tolist(),
                            [times[s] for s in rows["slot"].tolist()],
                            (rows["kwh_units"].to_numpy() / 10**4).tolist(),
                            strict=True,
                        )
                    ),
                )
        self.written += len(rows)


def _gaps(rng: np.random.Generator, slots: int) -> np.ndarray:
    """Collection failures: a few outages of hours for some meters, now and then a whole day."""
    missing = np.zeros(slots, dtype=bool)
    roll = rng.random()
    if roll < 0.25:
        for _ in range(rng.integers(1, 4)):
            start = rng.integers(0, slots - 48)
            missing[start : start + rng.integers(4, 48)] = True
    if roll < 0.04:
        day = rng.integers(1, slots // SLOTS - 1)
        missing[day * SLOTS : (day + 1) * SLOTS] = True
    return missing


def _meter_units(primary_kwh: np.ndarray, multiplier: int) -> np.ndarray:
    """Meter-side kWh in units of 10^-4 (the column's numeric(12,4))."""
    return np.round(primary_kwh / multiplier * 10**4).astype(np.int64)


def _curve_registers(
    *, plan: _MeterPlan, cal: _Calendar, units: np.ndarray, first_slot: int, end_slot: int
) -> tuple[list[dt.datetime], np.ndarray]:
    """Daily 00:00 reads from the first whole day to the window's end (or removal)."""
    tou = cal.tou_residential if plan.residential_tou else cal.tou_business
    per_register = np.zeros((cal.slots + 1, 4), dtype=np.int64)
    span = slice(first_slot, end_slot)
    np.put_along_axis(per_register[1:][span], tou[span][:, None], units[span][:, None], axis=1)
    cumulative = np.cumsum(per_register, axis=0) // 100  # hundredths of kWh, as the registers show
    days = range(first_slot // SLOTS, end_slot // SLOTS + 1)
    moments = [local_midnight(cal.first_day + dt.timedelta(days=d)) for d in days]
    return moments, cumulative[[d * SLOTS for d in days]]


def seed_metering_demo(
    *, seed: int, as_of: dt.date, customers: int, curves: int | None = None, progress: bool = False, **_ignored
) -> MeteringDemoResult:
    """Create the demo meters and readings described in the module docstring; returns the counts
    ``seed_demo`` prints. Expects the demo customers and no meters yet. ``curves``: at most this many
    accounts with curves (None: the default areas). Other keyword arguments of the seed_demo hook
    are accepted and ignored, so the hook can grow without breaking this seeder."""
    rng = random.Random(seed * 1_000_003 + 3301)  # noqa: S311 - reproducible demo data
    window_start_date = as_of - dt.timedelta(days=WINDOW_DAYS)
    window_start, window_end = local_midnight(window_start_date), local_midnight(as_of)
    accounts = list(
        Account.objects.order_by("number").values(
            "id", "number", "category", "contracted_kva", "status", "opened_on", "closed_on", "area_id"
        )
    )
    areas = list(TransformerArea.objects.order_by("code").values("id", "code", "transformer_kva"))
    demo_account_ids = list(
        PortalBinding.objects.filter(user__username=DEMO_CUSTOMER_USERNAME)
        .order_by("account__number")
        .values_list("account_id", flat=True)
    )
    by_id = {a["id"]: a for a in accounts}
    home = next((by_id[i] for i in demo_account_ids if by_id[i]["category"] == Account.Category.RESIDENTIAL), None)
    plans, summaries = _create_meters(seed=seed, accounts=accounts, areas=areas, window_start=window_start)
    curve_area_ids = _curve_areas(
        rng=rng,
        accounts=accounts,
        areas=areas,
        home_area_id=home["area_id"] if home else None,
        demo_account_ids=demo_account_ids,
        customers=customers,
        curves=curves,
        window_start=window_start_date,
    )
    demo_curves = demo_account_ids if curves is None else demo_account_ids[: max(curves, 0)]
    curve_accounts = [a for a in accounts if a["area_id"] in curve_area_ids or a["id"] in demo_curves]

    cal = _calendar(as_of=as_of, seed=seed)
    writer = _IntervalWriter(cal)
    register_rows: list[tuple] = []
    meter_days: list[tuple[int, dt.date]] = []
    area_true = {area_id: np.zeros(cal.slots) for area_id in curve_area_ids}
    planted = _plant(
        accounts=[a for a in curve_accounts if home and a["area_id"] == home["area_id"]],
        demo_account_ids=demo_account_ids,
        window_start=window_start_date,
    )
    descriptions = []
    curve_daily: dict[int, np.ndarray] = {}  # account id → true kWh per day of the window

    def record_curve(plan: _MeterPlan, primary_kwh: np.ndarray, first_slot: int, end_slot: int, key: int) -> None:
        meter_rng = np.random.default_rng([seed, key, 7])
        units = _meter_units(primary_kwh, plan.multiplier)
        present = np.zeros(cal.slots, dtype=bool)
        present[first_slot:end_slot] = True
        present &= ~_gaps(meter_rng, cal.slots)
        slots = np.flatnonzero(present)
        writer.add(meter_id=plan.meter_id, slots=slots, units=units[slots])
        days = np.unique(slots // SLOTS)
        meter_days.extend((plan.meter_id, cal.first_day + dt.timedelta(days=int(d))) for d in days)
        moments, cumulative = _curve_registers(
            plan=plan, cal=cal, units=units, first_slot=first_slot, end_slot=end_slot
        )
        daily = float(primary_kwh[first_slot:end_slot].sum()) / max(1, (end_slot - first_slot) / SLOTS)
        shares = np.bincount(
            (cal.tou_residential if plan.residential_tou else cal.tou_business)[first_slot:end_slot],
            weights=units[first_slot:end_slot],
            minlength=4,
        )
        initial = _initial_kwh(rng=meter_rng, plan=plan, daily_kwh=daily, at=moments[0])
        register_rows.extend(
            _register_rows(
                plan=plan, reads_at=moments, cumulative=cumulative, initial_kwh=initial, shares=tuple(shares)
            )
        )

    for account in tqdm(curve_accounts, unit="meter", disable=not progress, desc="curves"):
        plan = plans[account["id"]]
        key = int(account["number"])
        account_rng = np.random.default_rng([seed, key])
        kva = float(account["contracted_kva"])
        true_kw = np.minimum(SHAPES[account["category"]](account_rng, cal, kva), 0.9 * kva)
        first_slot = cal.day_of(plan.installed) * SLOTS
        end_slot = cal.day_of(plan.removed) * SLOTS if plan.removed else cal.slots
        true_kw[:first_slot] = 0
        true_kw[end_slot:] = 0
        if account["status"] == Account.Status.PAUSED:  # paused some weeks ago: standby only since
            paused_from = max(first_slot, cal.slots - int(account_rng.integers(30, 150)) * SLOTS)
            true_kw[paused_from:] *= 0.01
        if account["area_id"] in area_true:
            area_true[account["area_id"]] += true_kw
        curve_daily[account["id"]] = true_kw.reshape(-1, SLOTS).sum(axis=1) * SLOT_HOURS
        metered_kw = true_kw.copy()
        anomaly = planted.get(account["id"])
        if anomaly == "bypassed":
            metered_kw[cal.slots - BYPASS_DAYS * SLOTS :] *= BYPASS_SHARE
            descriptions.append(
                f"bypassed meter {plan.meter_no} (account {account['number']}) records "
                f"{BYPASS_SHARE:.0%} from {as_of - dt.timedelta(days=BYPASS_DAYS)}"
            )
        elif anomaly == "stopped":
            metered_kw[cal.slots - STOP_DAYS * SLOTS :] = 0
            descriptions.append(
                f"stopped meter {plan.meter_no} (account {account['number']}) records zero "
                f"from {as_of - dt.timedelta(days=STOP_DAYS)}"
            )
        if first_slot < end_slot:
            record_curve(plan, metered_kw * SLOT_HOURS, first_slot, end_slot, key)

    for area_id, true_kw in area_true.items():
        plan = summaries[area_id]
        area_rng = np.random.default_rng([seed, _key(plan.area_code), 11])
        dedicated = plan.area_code.startswith("TZ")
        rate = area_rng.uniform(0.01, 0.025) if dedicated else area_rng.uniform(0.03, 0.07)
        mean, mean_square = float(true_kw.mean()), float((true_kw**2).mean())
        # 35 % of the loss is the transformer's no-load loss, the rest grows with the load squared.
        loss = 0.35 * rate * mean + 0.65 * rate * mean / max(mean_square, 1e-9) * true_kw**2
        supplied = (true_kw + loss) * area_rng.lognormal(0, 0.01, cal.slots)
        record_curve(plan, supplied * SLOT_HOURS, 0, cal.slots, _key(plan.area_code))

    register_rows += _monthly_reads(
        seed=seed,
        cal=cal,
        as_of=as_of,
        plans=plans,
        summaries=summaries,
        accounts=accounts,
        curve_daily=curve_daily,
        skip_areas=set(curve_area_ids),
    )
    writer.flush()
    _write_register_reads(register_rows)
    refresh_completeness(meter_days=meter_days, as_of=window_end)
    return MeteringDemoResult(
        meters=len(plans) + len(summaries),
        summary_meters=len(summaries),
        curve_meters=len(curve_accounts) + len(area_true),
        interval_readings=writer.written,
        register_reads=len(register_rows),
        planted=tuple(descriptions),
    )


def _day_index(start: dt.date, moment: dt.datetime) -> int:
    """Index (days after ``start``) of the first local midnight at or after ``moment``."""
    local = moment.astimezone(SHANGHAI)
    return (local.date() - start).days + (local.time() != dt.time())


def _plant(
    *, accounts: Sequence[Mapping[str, Any]], demo_account_ids: list[int], window_start: dt.date
) -> dict[int, str]:
    """Account id → "bypassed" / "stopped": the two largest-contract active homes open all year
    (ties broken by account number), other than the demo customer's."""
    candidates = sorted(
        (
            a
            for a in accounts
            if a["category"] == Account.Category.RESIDENTIAL
            and a["status"] == Account.Status.ACTIVE
            and a["opened_on"] < window_start
            and a["id"] not in demo_account_ids
        ),
        key=lambda a: (-a["contracted_kva"], a["number"]),
    )
    return dict(zip([a["id"] for a in candidates[:2]], ("bypassed", "stopped"), strict=False))


def _monthly_reads(
    *,
    seed: int,
    cal: _Calendar,
    as_of: dt.date,
    plans: dict[int, _MeterPlan],
    summaries: dict[int, _MeterPlan],
    accounts: Sequence[Mapping[str, Any]],
    curve_daily: dict[int, np.ndarray],
    skip_areas: set[int],
) -> list[tuple]:
    """Reads at 00:00 on the 1st of the last 13 months from a daily model (no curve needed): level
    from the category's load factor, season from the window's temperatures, rest days and the
    Spring Festival for businesses. Summary meters of areas without curves read their customers'
    consumption (from their curves where they have one) plus 3–7 % loss."""
    first = month_start(as_of)
    months = [first]
    while len(months) < MONTHLY_READS:
        months.insert(0, add_months(months[0], -1))
    start = months[0]
    days = [start + dt.timedelta(days=i) for i in range((as_of - start).days + 1)]
    # Temperatures repeat the window's (a year earlier for the days before it).
    offsets = np.array([((d - cal.first_day).days) % WINDOW_DAYS for d in days])
    celsius = cal.celsius.reshape(-1, SLOTS).mean(axis=1)[offsets]
    working = np.array([is_working_day(d) for d in days])
    festival = cal.spring_festival[offsets]
    read_days = [(m - start).days for m in months]
    month_of_day = np.array([d.month for d in days])
    sharp_month = np.isin(month_of_day, SHARP_MONTHS)
    day_numbers = np.arange(len(days))
    window_offset = (cal.first_day - start).days  # where the window's days begin among ``days``
    rows: list[tuple] = []
    area_daily: dict[int, np.ndarray] = defaultdict(lambda: np.zeros(len(days)))
    for account in accounts:
        plan = plans[account["id"]]
        rng = np.random.default_rng([seed, int(account["number"]), 3])
        category = account["category"]
        kva = float(account["contracted_kva"])
        daily = kva * rng.uniform(*LOAD_FACTORS[category]) * 24 * np.ones(len(days))
        if category == Account.Category.RESIDENTIAL:
            daily *= 1 + 0.12 * np.clip(celsius - 24, 0, None) + 0.05 * np.clip(12 - celsius, 0, None)
        elif category in (Account.Category.COMMERCIAL, Account.Category.INDUSTRIAL):
            daily *= np.where(working, 1.0, 0.6 if category == Account.Category.INDUSTRIAL else 0.9)
            daily *= np.where(festival, 0.3, 1.0) * (1 + 0.04 * np.clip(celsius - 26, 0, None))
        daily *= rng.lognormal(0, 0.12, len(days))
        first_in = _day_index(start, plan.installed)
        end = _day_index(start, plan.removed) if plan.removed else len(days) + 1
        daily = np.where((day_numbers >= first_in) & (day_numbers < end), daily, 0.0)
        if account["id"] in curve_daily:  # the curve is what the area really drew in the window
            window = curve_daily[account["id"]][: len(days) - window_offset]
            daily[window_offset : window_offset + len(window)] = window
            area_daily[account["area_id"]] += daily
            continue
        area_daily[account["area_id"]] += daily
        shares = np.array(TOU_SHARES[category])
        by_day = np.outer(daily, shares)
        by_day[~sharp_month, PEAK] += by_day[~sharp_month, SHARP]
        by_day[~sharp_month, SHARP] = 0
        units = np.floor(np.cumsum(np.vstack([np.zeros(4), by_day]), axis=0) / plan.multiplier * 100).astype(np.int64)
        reads = [r for r in read_days if first_in <= r <= end]
        if not reads:
            continue
        initial = _initial_kwh(rng=rng, plan=plan, daily_kwh=float(daily.mean()), at=local_midnight(days[reads[0]]))
        rows += _register_rows(
            plan=plan,
            reads_at=[local_midnight(days[0] + dt.timedelta(days=r)) for r in reads],
            cumulative=units[reads] - units[reads[0]],
            initial_kwh=initial,
            shares=tuple(shares),
        )
    for area_id, plan in summaries.items():
        if area_id in skip_areas:
            continue
        rng = np.random.default_rng([seed, _key(plan.area_code), 13])
        daily = area_daily[area_id] * (1 + rng.uniform(0.03, 0.07))
        shares = np.array(TOU_SHARES[Account.Category.COMMERCIAL])
        units = np.floor(np.cumsum(np.vstack([np.zeros(4), np.outer(daily, shares)]), axis=0) / plan.multiplier * 100)
        units = units.astype(np.int64)
        initial = _initial_kwh(rng=rng, plan=plan, daily_kwh=float(daily.mean()), at=local_midnight(days[0]))
        rows += _register_rows(
            plan=plan,
            reads_at=[local_midnight(days[0] + dt.timedelta(days=r)) for r in read_days],
            cumulative=units[read_days] - units[read_days[0]],
            initial_kwh=initial,
            shares=tuple(shares),
        )
    return rows
