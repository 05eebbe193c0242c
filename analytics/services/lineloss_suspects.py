"""Suspicion list: accounts whose metered consumption fell sharply while their area's loss rose —
candidates for theft (a bypassed meter) or a meter fault (a stopped meter) to inspect on site.

Computed on the fly from AreaLossDay and the customer meters' daily sums (SQL), not stored: the
evidence must reflect late readings and staff edits the moment they land, a list is cheap for the
areas asked about (one aggregate over their customer meters), and nothing has to be invalidated.

Per account, on the days where both its meter and its area's data are complete:

* its share of the area's supply, ``kWh ÷ supplied kWh`` — seasons (air conditioning, holidays) move an
  account and its area together, so the share removes most of them, while energy taken past the meter
  lowers the share only (the summary meter still sees it);
* the change point: the day splitting the share series into the largest drop of means, weighted as in
  a two-sample test (``(mean before − mean after) × √(n₁n₂/n)``), at least 14 days from either end;
* a suspect if the drop is sharp — the share over the 14 days after the change point at least
  STEP_DROP (60 %) below the 14 days before: a meter bypassed or stopped changes overnight, while
  the end of the air-conditioning season shifts a home's share gradually (at most ~45 % over two
  weeks in the demo data) — and lasting — the share over the last ``window`` days at least
  LINE_LOSS_SUSPECT_DROP below the share over the (up to) 90 days before the change point;
* and the area's loss rate over the 30 days after the change point did not fall by more than
  MAX_AREA_FALL against the 30 days before. Energy taken past a meter must show up as loss; but a
  small home is a fraction of a percent of its area's supply, less than the seasonal drift of the
  technical loss (it grows with the square of the load), so demanding a measurable *rise* would miss
  exactly the stopped meters the list is for. The before/after rates are part of the evidence;
* only active accounts: a paused (暂停) or closed account has a known reason to consume nothing.

Without ``area_id`` the list covers the areas with a loss flag (high or jump) on a complete day or
month of the lookback — the high-loss areas.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import Q

from analytics.models import AreaLossDay, AreaLossMonth
from billing.models import Meter, MeterDayCompleteness
from core.months import month_start
from core.time import day_span
from customers.models import Account

MIN_SEGMENT_DAYS = 14  # change points closer to either end than this are noise
BASELINE_DAYS = 90  # the baseline is at most this many days before the change point
MIN_DAY_COMPLETENESS = 0.9  # an account's day counts when this share of its intervals was measured
AREA_RISE_DAYS = 30  # the area's loss rate is compared over this many days either side of the change
MAX_AREA_FALL = 0.005  # …and must not have fallen by more than half a percentage point
STEP_DAYS = 14  # the sharpness test compares this many days either side of the change point
STEP_DROP = 0.6  # …whose share must have fallen by at least this much
MIN_BASELINE_KWH = 0.5  # kWh/day: an empty flat falling to zero is no lead


@dataclass(frozen=True)
class LossSuspect:
    account_id: int
    account_number: str
    area_id: int
    area_code: str
    meter_numbers: tuple[str, ...]
    baseline_kwh_per_day: float
    recent_kwh_per_day: float
    drop: float  # 1 − recent ÷ baseline, in kWh
    share_drop: float  # the same on the share of the area's supply (what decides)
    step_drop: float  # the share's drop over the 14 days either side of the change (how sharp)
    drop_started: dt.date
    area_rate_before: float
    area_rate_after: float
    recent_completeness: float  # share of the recent window's expected intervals measured
    missing_kwh_per_day: float
    area_loss_rise_kwh_per_day: float
    reasons: tuple[str, ...] = field(default=())

    @property
    def drop_pct(self) -> str:
        return f"{self.drop * 100:.0f} %"

    @property
    def share_drop_pct(self) -> str:
        return f"{self.share_drop * 100:.0f} %"

    @property
    def area_rate_before_pct(self) -> str:
        return f"{self.area_rate_before * 100:.2f} %"

    @property
    def area_rate_after_pct(self) -> str:
        return f"{self.area_rate_after * 100:.2f} %"

    @property
    def completeness_pct(self) -> str:
        return f"{self.recent_completeness * 100:.1f} %"

    @property
    def evidence(self) -> dict:
        """JSON-ready evidence (for the inspection request the services app opens from the list)."""
        data = asdict(self)
        data["drop_started"] = self.drop_started.isoformat()
        data["meter_numbers"] = list(self.meter_numbers)
        data["reasons"] = list(self.reasons)
        return data

    @property
    def evidence_text(self) -> str:
        """The evidence as one JSON line, as an inspection request stores it."""
        return json.dumps(self.evidence, ensure_ascii=False, sort_keys=True, default=str)


def suspect_areas(*, as_of: dt.date, lookback_days: int = 180) -> list[int]:
    """Areas with a loss flag (high or jump) on a complete day or month of the lookback period."""
    since = as_of - dt.timedelta(days=lookback_days)
    flagged = Q(flag_high=True) | Q(flag_jump=True)
    days = AreaLossDay.objects.filter(flagged, day__gte=since, day__lt=as_of, incomplete=False)
    months = AreaLossMonth.objects.filter(flagged, month__gte=month_start(since), month__lt=as_of, incomplete=False)
    return sorted(set(days.values_list("area_id", flat=True)) | set(months.values_list("area_id", flat=True)))


def loss_suspects(
    *, as_of: dt.date, area_id: int | None = None, window: int = 30, lookback_days: int = 180
) -> list[LossSuspect]:
    """Suspects in one area (``area_id``) or in every flagged area (:func:`suspect_areas`), from the
    ``lookback_days`` days before ``as_of`` (exclusive: the first day not looked at, usually today),
    the last ``window`` of them being the recent period. Sorted by missing kWh/day, largest first."""
    if window < 7 or lookback_days < window + 2 * MIN_SEGMENT_DAYS:
        raise ValueError("window must be at least 7 days and the lookback at least window + 28 days")
    areas = [area_id] if area_id is not None else suspect_areas(as_of=as_of, lookback_days=lookback_days)
    if not areas:
        return []
    start = as_of - dt.timedelta(days=lookback_days)
    days = [start + dt.timedelta(days=i) for i in range(lookback_days)]
    index = {d: i for i, d in enumerate(days)}
    area_days = _area_days(areas=areas, start=start, end=as_of, index=index)
    kwh, measured, meters = _account_days(areas=areas, start=start, end=as_of, index=index)
    found = []
    drop_threshold = settings.LINE_LOSS_SUSPECT_DROP
    for account_id, series in kwh.items():
        meta = meters[account_id]
        supplied, rate, complete_area = area_days[meta["area_id"]]
        usable = complete_area & (measured[account_id] >= MIN_DAY_COMPLETENESS) & (supplied > 0)
        suspect = _assess(
            series=series,
            supplied=supplied,
            rate=rate,
            usable=usable,
            window=window,
            drop_threshold=drop_threshold,
            measured=measured[account_id],
        )
        if suspect is None:
            continue
        found.append(
            LossSuspect(
                account_id=account_id,
                account_number=meta["number"],
                area_id=meta["area_id"],
                area_code=meta["area_code"],
                meter_numbers=tuple(sorted(meta["meters"])),
                drop_started=days[suspect.pop("change")],
                **suspect,
            )
        )
    return sorted(found, key=lambda s: (-s.missing_kwh_per_day, s.account_number))


def _round(value: float, places: int = 4) -> float:
    return float(Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _assess(*, series, supplied, rate, usable, window: int, drop_threshold: float, measured) -> dict | None:
    n_days = len(series)
    positions = np.flatnonzero(usable)
    if len(positions) < 2 * MIN_SEGMENT_DAYS:
        return None
    share = series[positions] / supplied[positions]
    n = len(share)
    # Two-sample mean-shift statistic for every split k (before = share[:k], after = share[k:]).
    cumulative = np.cumsum(share)
    k = np.arange(MIN_SEGMENT_DAYS, n - MIN_SEGMENT_DAYS + 1)
    before = cumulative[k - 1] / k
    after = (cumulative[-1] - cumulative[k - 1]) / (n - k)
    score = (before - after) * np.sqrt(k * (n - k) / n)
    best = int(np.argmax(score))
    if score[best] <= 0:
        return None
    split = int(k[best])
    change = int(positions[split])  # day index where the lower level begins
    recent_from = n_days - window
    base_mask = (positions < change) & (positions >= change - BASELINE_DAYS)
    recent_mask = positions >= max(recent_from, change)
    if base_mask.sum() < MIN_SEGMENT_DAYS // 2 or recent_mask.sum() < window // 3:
        return None
    base_idx, recent_idx = positions[base_mask], positions[recent_mask]
    base_share, recent_share = share[base_mask].mean(), share[recent_mask].mean()
    baseline_kwh, recent_kwh = series[base_idx].mean(), series[recent_idx].mean()
    if base_share <= 0 or baseline_kwh < MIN_BASELINE_KWH:
        return None
    share_drop = 1 - recent_share / base_share
    if share_drop < drop_threshold:
        return None
    step_before = share[max(0, split - STEP_DAYS) : split].mean()
    step_drop = 1 - share[split : split + STEP_DAYS].mean() / step_before if step_before > 0 else 0.0
    if step_drop < STEP_DROP:
        return None
    day = np.arange(n_days)
    complete_rate = ~np.isnan(rate)
    before_days = (day < change) & (day >= change - AREA_RISE_DAYS) & complete_rate
    after_days = (day >= change) & (day < change + AREA_RISE_DAYS) & complete_rate
    if not before_days.any() or not after_days.any():
        return None
    rate_before, rate_after = float(rate[before_days].mean()), float(rate[after_days].mean())
    if rate_after - rate_before < -MAX_AREA_FALL:
        return None
    loss_after = float((rate[after_days] * supplied[after_days]).mean())
    loss_before = float((rate[before_days] * supplied[before_days]).mean())
    reasons = ["reads zero" if recent_kwh == 0 else f"share of area supply down {share_drop:.0%}"]
    return {
        "baseline_kwh_per_day": _round(baseline_kwh, 2),
        "recent_kwh_per_day": _round(recent_kwh, 2),
        "drop": _round(1 - recent_kwh / baseline_kwh),
        "share_drop": _round(share_drop),
        "step_drop": _round(step_drop),
        "change": change,
        "area_rate_before": _round(rate_before, 6),
        "area_rate_after": _round(rate_after, 6),
        "recent_completeness": _round(float(measured[recent_from:].mean())),
        "missing_kwh_per_day": _round(baseline_kwh - recent_kwh, 2),
        "area_loss_rise_kwh_per_day": _round(loss_after - loss_before, 2),
        "reasons": tuple(reasons),
    }


def _area_days(*, areas: list[int], start: dt.date, end: dt.date, index: dict) -> dict:
    """Per area: supplied kWh, loss rate (NaN when incomplete) and completeness, per day of the period."""
    n = len(index)
    out = {a: (np.zeros(n), np.full(n, np.nan), np.zeros(n, dtype=bool)) for a in areas}
    for area_id, day, supplied, rate, incomplete in AreaLossDay.objects.filter(
        area_id__in=areas, day__gte=start, day__lt=end
    ).values_list("area_id", "day", "supplied_kwh", "loss_rate", "incomplete"):
        i = index[day]
        out[area_id][0][i] = float(supplied)
        if not incomplete:
            out[area_id][1][i] = float(rate)
            out[area_id][2][i] = True
    return out


PG_ACCOUNT_DAYS = """
SELECT m.account_id, (r.interval_start AT TIME ZONE 'Asia/Shanghai')::date AS day, sum(r.kwh * m.multiplier)
FROM billing_intervalreading r JOIN billing_meter m ON m.id = r.meter_id
WHERE m.area_id = ANY(%(areas)s) AND m.role = 'customer' AND r.interval_start >= %(start)s AND r.interval_start < %(end)s
GROUP BY 1, 2
"""
SQLITE_ACCOUNT_DAYS = """
SELECT m.account_id, date(r.interval_start, '+8 hours') AS day, sum(r.kwh * m.multiplier)
FROM billing_intervalreading r JOIN billing_meter m ON m.id = r.meter_id
WHERE m.area_id IN ({areas}) AND m.role = 'customer' AND r.interval_start >= %s AND r.interval_start < %s
GROUP BY 1, 2
"""


def _account_days(*, areas: list[int], start: dt.date, end: dt.date, index: dict):
    """Per account: kWh per day (meters × multiplier, summed in SQL) and measured share per day."""
    n = len(index)
    begin, finish = day_span(start, end)
    meters: dict[int, dict] = {}
    meter_account = {}
    for meter_id, meter_no, account_id, area_id, area_code in Meter.objects.filter(
        area_id__in=areas, role=Meter.Role.CUSTOMER, installed_at__lt=finish
    ).values_list("id", "meter_no", "account_id", "area_id", "area__code"):
        entry = meters.setdefault(account_id, {"area_id": area_id, "area_code": area_code, "meters": set()})
        entry["meters"].add(meter_no)
        meter_account[meter_id] = account_id
    active = dict(Account.objects.filter(pk__in=meters, status=Account.Status.ACTIVE).values_list("id", "number"))
    meters = {a: {**entry, "number": active[a]} for a, entry in meters.items() if a in active}
    meter_account = {m: a for m, a in meter_account.items() if a in active}
    kwh: defaultdict[int, np.ndarray] = defaultdict(lambda: np.zeros(n))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(PG_ACCOUNT_DAYS, {"areas": areas, "start": begin, "end": finish})
        else:
            adapt = connection.ops.adapt_datetimefield_value
            cursor.execute(
                SQLITE_ACCOUNT_DAYS.format(areas=",".join("%s" for _ in areas)), [*areas, adapt(begin), adapt(finish)]
            )
        for account_id, day, total in cursor.fetchall():
            day = dt.date.fromisoformat(day) if isinstance(day, str) else day
            kwh[account_id][index[day]] = float(total or 0)
    expected: defaultdict[int, np.ndarray] = defaultdict(lambda: np.zeros(n))
    present: defaultdict[int, np.ndarray] = defaultdict(lambda: np.zeros(n))
    for meter_id, day, exp, actual, edited in MeterDayCompleteness.objects.filter(
        meter_id__in=meter_account, day__gte=start, day__lt=end
    ).values_list("meter_id", "day", "expected", "actual", "edited"):
        account_id = meter_account[meter_id]
        expected[account_id][index[day]] += exp
        present[account_id][index[day]] += min(actual + edited, exp)
    measured = {}
    for account_id in meters:
        with np.errstate(invalid="ignore", divide="ignore"):
            measured[account_id] = np.where(expected[account_id] > 0, present[account_id] / expected[account_id], 0.0)
    return {a: kwh[a] for a in meters}, measured, meters
