"""Quotes: price consumption on a tariff by code, across the versions valid in the period, without
creating a bill. Customers, staff, integrators and (later) the billing run all use this service."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from billing.models import Tariff, TariffVersion
from billing.services.tariffs.calendars import CalendarSpec, calendar_spec, kwh_by_period
from billing.services.tariffs.engine import ZERO, Quote, QuoteError, QuoteInput, QuoteLine, TariffSpec, TierSpec, quote
from core.money import round_kwh
from core.time import local_date

SPLIT_BY_INTERVALS = "interval data"
SPLIT_BY_DAYS = "days"


@dataclass(frozen=True)
class Segment:
    version: TariffVersion
    start: dt.date
    end: dt.date  # exclusive
    quote: Quote


@dataclass
class TariffQuote:
    tariff: Tariff
    period_start: dt.date
    period_end: dt.date
    segments: list[Segment] = field(default_factory=list)
    split_method: str | None = None  # how consumption was divided when the period has several segments

    @property
    def lines(self) -> list[QuoteLine]:
        if len(self.segments) == 1:
            return self.segments[0].quote.lines
        return [
            replace(
                line,
                description=f"{line.description} [{segment.start:%Y-%m-%d}–{segment.end - dt.timedelta(days=1):%Y-%m-%d}]",
            )
            for segment in self.segments
            for line in segment.quote.lines
        ]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def total_kwh(self) -> Decimal:
        return sum((segment.quote.total_kwh for segment in self.segments), ZERO)

    @property
    def tier_kwh(self) -> dict[int, Decimal]:
        totals: dict[int, Decimal] = {}
        for segment in self.segments:
            for tier, kwh in segment.quote.tier_kwh.items():
                totals[tier] = totals.get(tier, ZERO) + kwh
        return totals


def tariff_spec(version: TariffVersion) -> TariffSpec:
    if version.tou_calendar_id:
        rates = {
            p: getattr(version, f"rate_{p}")
            for p in ("sharp", "peak", "flat", "valley")
            if getattr(version, f"rate_{p}") is not None
        }
    else:
        rates = {"total": version.rate_total}
    tiers = None
    if version.tier1_max_kwh is not None:
        if version.tier2_max_kwh is None:
            # The table's check lets it through (NULL compares as unknown); the engine needs both limits.
            raise QuoteError(f"{version} has a tier 1 limit but no tier 2 limit", field="code")
        tiers = TierSpec(
            tier1_max_kwh=version.tier1_max_kwh,
            tier2_max_kwh=version.tier2_max_kwh,
            tier2_surcharge=version.tier2_surcharge or ZERO,
            tier3_surcharge=version.tier3_surcharge or ZERO,
        )
    return TariffSpec(
        code=version.tariff.code,
        energy_rates=rates,
        tiers=tiers,
        capacity_rate=version.capacity_rate,
        demand_rate=version.demand_rate,
        power_factor_standard=version.power_factor_standard,
        fixed_monthly=version.fixed_monthly,
    )


def load_versions(tariff: Tariff) -> list[TariffVersion]:
    return list(
        tariff.versions.select_related("tariff", "tou_calendar")
        .prefetch_related("tou_calendar__windows")
        .order_by("valid_from")
    )


def _segments(
    *, tariff: Tariff, versions: list[TariffVersion], start: dt.date, end: dt.date
) -> list[tuple[TariffVersion, dt.date, dt.date]]:
    """Cut [start, end) at version changes and, for tiered tariffs, at 1 January (the tier year)."""
    cuts: list[tuple[TariffVersion, dt.date, dt.date]] = []
    cursor = start
    while cursor < end:
        version = next((v for v in versions if v.covers(cursor)), None)
        if version is None:
            raise QuoteError(f"{tariff.code} has no version valid on {cursor.isoformat()}", field="period_start")
        segment_end = min(end, version.valid_to or end)
        if version.tier1_max_kwh is not None and dt.date(cursor.year + 1, 1, 1) < segment_end:
            segment_end = dt.date(cursor.year + 1, 1, 1)
        cuts.append((version, cursor, segment_end))
        cursor = segment_end
    return cuts


def _apportion_by_days(
    *, consumption: dict[str, Decimal], cuts: Sequence[tuple[TariffVersion, dt.date, dt.date]]
) -> list[dict[str, Decimal]]:
    """Each period's kWh shared by days, to 0.0001 kWh (``core.money.round_kwh``); the last segment
    takes the remainder so the total billed never changes with the split."""
    total_days = sum((end - start).days for _, start, end in cuts)
    shares: list[dict[str, Decimal]] = []
    given = dict.fromkeys(consumption, ZERO)
    for index, (_, start, end) in enumerate(cuts):
        if index == len(cuts) - 1:
            shares.append({k: consumption[k] - given[k] for k in consumption})
        else:
            part = {k: round_kwh(v * (end - start).days / total_days) for k, v in consumption.items()}
            for k, v in part.items():
                given[k] += v
            shares.append(part)
    return shares


def quote_tariff(
    *,
    code: str,
    data: QuoteInput,
    readings: Sequence[tuple[dt.datetime, Decimal]] | None = None,
) -> TariffQuote:
    """Price ``data.consumption`` — or interval ``readings`` (start, kWh), classified by each version's
    TOU calendar — on tariff ``code`` over [period_start, period_end)."""
    tariff = Tariff.objects.filter(code=code).first()
    if tariff is None:
        raise QuoteError(f"no tariff {code!r}", field="code")
    return quote_on_versions(tariff=tariff, versions=load_versions(tariff), data=data, readings=readings)


def quote_on_versions(
    *,
    tariff: Tariff,
    versions: list[TariffVersion],
    data: QuoteInput,
    readings: Sequence[tuple[dt.datetime, Decimal]] | None = None,
) -> TariffQuote:
    """quote_tariff with the tariff's versions already loaded (a billing run prices thousands of
    accounts on a handful of tariffs)."""
    if data.period_end <= data.period_start:
        raise QuoteError("period_end must be after period_start (it is exclusive)", field="period_end")
    cuts = _segments(tariff=tariff, versions=versions, start=data.period_start, end=data.period_end)
    result = TariffQuote(tariff=tariff, period_start=data.period_start, period_end=data.period_end)
    if readings is not None:
        outside = [ts for ts, _ in readings if not (data.period_start <= local_date(ts) < data.period_end)]
        if outside:
            raise QuoteError(f"reading at {outside[0].isoformat()} is outside the period", field="readings")
        shares = []
        for version, start, end in cuts:
            mine = [(ts, kwh) for ts, kwh in readings if start <= local_date(ts) < end]
            if version.tou_calendar_id:
                shares.append(kwh_by_period(calendar=version_calendar(version), readings=mine))
            else:
                shares.append({"total": sum((kwh for _, kwh in mine), ZERO)})
        result.split_method = SPLIT_BY_INTERVALS if len(cuts) > 1 else None
    else:
        shares = _apportion_by_days(consumption=data.consumption, cuts=cuts)
        result.split_method = SPLIT_BY_DAYS if len(cuts) > 1 else None
    annual_before = data.annual_kwh_before
    for (version, start, end), share in zip(cuts, shares, strict=True):
        if start.year != data.period_start.year:
            annual_before = ZERO  # a new tier year starts on 1 January
        segment_input = replace(
            data, period_start=start, period_end=end, consumption=share, annual_kwh_before=annual_before
        )
        segment_quote = quote(spec=tariff_spec(version), data=segment_input)
        result.segments.append(Segment(version=version, start=start, end=end, quote=segment_quote))
        annual_before += sum(share.values(), ZERO)
    return result


def version_calendar(version: TariffVersion) -> CalendarSpec:
    cached = getattr(version, "_calendar_spec", None)
    if cached is None:
        # A cache on the instance (the versions of one run are loaded once); the stubs know no such field.
        cached = version._calendar_spec = calendar_spec(version.tou_calendar)  # type: ignore[attr-defined]
    return cached
