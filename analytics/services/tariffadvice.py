"""Tariff advice (电价套餐建议): what the customer's own last twelve months would have cost on every
tariff their category may choose, priced exactly as bills are.

How:

* The window is the twelve whole calendar months before ``as_of``'s month (Asia/Shanghai). Months
  without interval data are left out; the advice says how many months it used.
* Consumption is read in SQL, summed per local hour (or per interval when some tariff's TOU calendar
  has a window boundary off the hour: then an hour would straddle two periods) — a year is at most
  8,784 hourly rows instead of 35,000 15-minute ones.
* Each month is priced with the billing engine on the bill's own inputs: ``billing_run.bill_draft_for``
  computes what the billing run computes for that account and month (register reads or intervals,
  the tier year's kWh billed before it, power factor, maximum demand), so the current tariff's figure
  for a month is that month's bill, to the fen. Other tariffs get the same inputs with the consumption
  re-read for their own periods: the month's interval readings for a time-of-use tariff, the bill's
  kWh for a single-rate one. A month the billing engine cannot price (no reads at either end and no
  intervals) falls back to the interval readings, with the tier year accumulated from the window's kWh.
* "Which hours drive it": per hour of the day, the kWh and the energy cost on the current tariff and on
  the cheapest other one (kWh × the energy rate of the period that hour falls in, on the tariff version
  valid that day). Tier surcharges and monthly charges do not depend on the hour (and are the same kWh
  on both tariffs), so they are not in the hourly figures; the yearly totals include everything.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal

from billing.models import Bill, Meter, Tariff, TariffVersion
from billing.selectors.consumption import Grouping, consumption_by_period
from billing.selectors.meters import account_meters
from billing.selectors.tariffs import billed_kwh_in_year, current_tariff, quote_tariffs
from billing.services.billing_run import BillDraft, bill_draft_for
from billing.services.tariffs.engine import QuoteError, QuoteInput
from billing.services.tariffs.quotes import load_versions, quote_on_versions, version_calendar
from core.money import round_money
from core.months import add_months, month_start
from core.time import SHANGHAI, local_date, local_midnight
from customers.models import Account

ZERO = Decimal("0")
MONTHS_WANTED = 12

Reading = tuple[dt.datetime, Decimal]


@dataclass(frozen=True)
class MonthPrice:
    month: dt.date
    kwh: Decimal
    amount: Decimal


@dataclass(frozen=True)
class MonthCoverage:
    month: dt.date
    days_with_data: int
    days: int

    @property
    def complete(self) -> bool:
        return self.days_with_data == self.days


@dataclass(frozen=True)
class TariffOption:
    tariff: Tariff
    is_current: bool
    months: tuple[MonthPrice, ...]
    total: Decimal | None  # None: could not be priced (see ``problem``)
    difference: Decimal | None = None  # total − the baseline's total; negative = cheaper
    problem: str = ""

    @property
    def priced(self) -> bool:
        return self.total is not None


@dataclass(frozen=True)
class HourDriver:
    hour: int  # 0..23, local
    kwh: Decimal
    baseline_cost: Decimal
    alternative_cost: Decimal

    @property
    def difference(self) -> Decimal:
        return self.alternative_cost - self.baseline_cost


@dataclass(frozen=True)
class TariffAdvice:
    account: Account
    as_of: dt.datetime
    window_start: dt.date
    window_end: dt.date  # exclusive
    months_used: tuple[dt.date, ...]
    coverage: tuple[MonthCoverage, ...]  # per month used: on how many of its days there are readings
    total_kwh: Decimal
    resolution_minutes: int  # 60, or the meters' interval when a TOU boundary is off the hour
    current: Tariff | None
    options: tuple[TariffOption, ...]  # cheapest first; unpriceable ones last
    baseline: TariffOption | None  # what differences are against: the current tariff when it can be priced
    alternative: TariffOption | None  # the cheapest other tariff, compared hour by hour
    hours: tuple[HourDriver, ...]

    @property
    def enough_data(self) -> bool:
        return len(self.months_used) >= MONTHS_WANTED

    @property
    def partial_months(self) -> tuple[MonthCoverage, ...]:
        """Months priced on readings of only some of their days (a meter installed mid-month, gaps)."""
        return tuple(c for c in self.coverage if not c.complete)

    @property
    def comparable(self) -> bool:
        """More than one tariff could be priced: there is a choice to advise on."""
        return sum(1 for o in self.options if o.priced) > 1

    @property
    def best(self) -> TariffOption | None:
        priced = [o for o in self.options if o.priced]
        return priced[0] if priced else None

    @property
    def saving(self) -> Decimal:
        """A year's saving by switching from the baseline to the cheapest tariff (0 when already on it)."""
        baseline, best = self.baseline, self.best
        if baseline is None or best is None or baseline.total is None or best.total is None:
            return ZERO  # (both are priced options whenever they exist)
        return baseline.total - best.total


def _hour_aligned(versions: list[TariffVersion]) -> bool:
    for version in versions:
        calendar = version.tou_calendar
        if calendar is None:
            continue
        for window in calendar.windows.all():
            if window.start.minute or window.start.second or window.end.minute or window.end.second:
                return False
    return True


def _readings(*, meters: list[Meter], start: dt.date, end: dt.date, grouping: Grouping) -> list[Reading]:
    rows = consumption_by_period(
        meters=meters, period_from=local_midnight(start), period_to=local_midnight(end), grouping=grouping
    )
    return [(dt.datetime.fromisoformat(r["period"]).replace(tzinfo=SHANGHAI), r["consumption"]) for r in rows]


def _month_of(moment: dt.datetime) -> dt.date:
    return month_start(local_date(moment))


def _bill_facts(*, account: Account, months: list[dt.date]) -> dict[dt.date, Bill]:
    """The live bill of each month (for the power factor and maximum demand two-part tariffs need)."""
    bills = Bill.objects.filter(account=account, period_start__in=months).exclude(
        status__in=[Bill.Status.VOID, Bill.Status.DRAFT]
    )
    return {bill.period_start: bill for bill in bills}


def _bill_drafts(*, account: Account, months: list[dt.date]) -> dict[dt.date, BillDraft]:
    """Per month, what the billing run computes for it (its inputs to the engine), where it can."""
    drafts = {}
    for month in months:
        draft = bill_draft_for(account=account, period_start=month, period_end=add_months(month, 1))
        if isinstance(draft, BillDraft) and draft.quote_input is not None:
            drafts[month] = draft
    return drafts


def _price(
    *,
    tariff: Tariff,
    versions: list[TariffVersion],
    account: Account,
    months: list[dt.date],
    by_month: dict[dt.date, list[Reading]],
    annual_before: dict[dt.date, Decimal],
    demand_basis: str,
    bills: dict[dt.date, Bill],
    drafts: dict[dt.date, BillDraft],
    is_current: bool,
) -> TariffOption:
    prices = []
    try:
        for month in months:
            draft = drafts.get(month)
            if draft is not None and draft.quote_input is not None:  # priced by the engine (has inputs)
                inputs = replace(draft.quote_input, annual_kwh_before=annual_before[month])
                if is_current and draft.tariff.pk == tariff.pk:
                    data, readings = inputs, draft.quote_readings  # the bill's own inputs
                else:
                    tou = any(v.tou_calendar_id for v in versions)
                    data = replace(inputs, consumption={} if tou else {"total": draft.total_kwh})
                    readings = by_month[month] if tou else None
                quote = quote_on_versions(tariff=tariff, versions=versions, data=data, readings=readings)
                prices.append(MonthPrice(month=month, kwh=quote.total_kwh, amount=quote.total))
                continue
            bill = bills.get(month)
            data = QuoteInput(
                period_start=month,
                period_end=add_months(month, 1),
                consumption={},
                annual_kwh_before=annual_before[month],
                contracted_kva=account.contracted_kva,
                max_demand_kw=bill.max_demand_kw if bill else None,
                power_factor=bill.power_factor if bill else None,
                demand_basis=demand_basis,
            )
            quote = quote_on_versions(tariff=tariff, versions=versions, data=data, readings=by_month[month])
            prices.append(MonthPrice(month=month, kwh=quote.total_kwh, amount=quote.total))
    except QuoteError as error:
        return TariffOption(tariff=tariff, is_current=is_current, months=(), total=None, problem=str(error))
    return TariffOption(
        tariff=tariff, is_current=is_current, months=tuple(prices), total=sum((p.amount for p in prices), ZERO)
    )


def _energy_cost_by_hour(*, readings: list[Reading], versions: list[TariffVersion]) -> dict[int, Decimal]:
    costs: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for moment, kwh in readings:
        local = moment.astimezone(SHANGHAI)
        version = next((v for v in versions if v.covers(local.date())), None)
        if version is None:
            continue
        if version.tou_calendar_id:
            rate = getattr(version, f"rate_{version_calendar(version).period_at(local)}") or ZERO
        else:
            rate = version.rate_total
        costs[local.hour] += kwh * rate
    return costs


def tariff_advice(*, account: Account, as_of: dt.datetime) -> TariffAdvice:
    today = local_date(as_of)
    window_end = month_start(today)
    window_start = add_months(window_end, -MONTHS_WANTED)
    assignment = current_tariff(account=account, on=today)
    current, choices = quote_tariffs(account=account, on=today)
    versions = {tariff.pk: load_versions(tariff) for tariff in choices}
    aligned = all(_hour_aligned(v) for v in versions.values())
    meters = account_meters(account=account)
    grouping = Grouping.HOUR if aligned else Grouping.INTERVAL
    readings = _readings(meters=meters, start=window_start, end=window_end, grouping=grouping) if meters else []
    by_month: dict[dt.date, list[Reading]] = defaultdict(list)
    for reading in readings:
        by_month[_month_of(reading[0])].append(reading)
    months = sorted(by_month)
    coverage = tuple(
        MonthCoverage(
            month=month,
            days_with_data=len({local_date(moment) for moment, _ in by_month[month]}),
            days=(add_months(month, 1) - month).days,
        )
        for month in months
    )

    bills = _bill_facts(account=account, months=months)
    drafts = _bill_drafts(account=account, months=months)
    # Tier-year kWh before each month: the year's bills before the window, then each window month's
    # kWh as billed (its live bill), else as the billing engine reads it, else its intervals — so a month
    # whose earlier months are all billed counts exactly what its bill counted.
    annual_before: dict[dt.date, Decimal] = {}
    running = billed_kwh_in_year(account=account, year=window_start.year, before=window_start)
    month = window_start
    while month < window_end:
        if month.month == 1:
            running = ZERO
        annual_before[month] = running
        if month in bills:
            running += bills[month].total_kwh
        elif month in drafts:
            running += drafts[month].total_kwh
        else:
            running += sum((kwh for _, kwh in by_month.get(month, [])), ZERO)
        month = add_months(month, 1)

    demand_basis = assignment.demand_basis if assignment else "capacity"
    options: list[TariffOption] = []
    for tariff in choices if months else []:
        options.append(
            _price(
                tariff=tariff,
                versions=versions[tariff.pk],
                account=account,
                months=months,
                by_month=by_month,
                annual_before=annual_before,
                demand_basis=demand_basis,
                bills=bills,
                drafts=drafts,
                is_current=current is not None and tariff.pk == current.pk,
            )
        )
    priced = [o for o in options if o.priced]
    baseline = next((o for o in priced if o.is_current), None) or (priced[0] if priced else None)
    if baseline is not None and baseline.total is not None:
        base_total = baseline.total
        options = [replace(o, difference=o.total - base_total) if o.total is not None else o for o in options]
        baseline = next(o for o in options if o.tariff.pk == baseline.tariff.pk)
    options.sort(key=lambda o: (not o.priced, o.total if o.priced else ZERO, o.tariff.code))
    alternative = next((o for o in options if o.priced and o is not baseline), None)

    hours: tuple[HourDriver, ...] = ()
    if baseline is not None and alternative is not None:
        kwh_by_hour: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for moment, kwh in readings:
            kwh_by_hour[moment.astimezone(SHANGHAI).hour] += kwh
        base_cost = _energy_cost_by_hour(readings=readings, versions=versions[baseline.tariff.pk])
        other_cost = _energy_cost_by_hour(readings=readings, versions=versions[alternative.tariff.pk])
        hours = tuple(
            HourDriver(
                hour=h,
                kwh=kwh_by_hour[h],
                baseline_cost=round_money(base_cost[h]),
                alternative_cost=round_money(other_cost[h]),
            )
            for h in range(24)
        )

    return TariffAdvice(
        account=account,
        as_of=as_of,
        window_start=window_start,
        window_end=window_end,
        months_used=tuple(months),
        coverage=coverage,
        total_kwh=sum((kwh for _, kwh in readings), ZERO),
        resolution_minutes=60 if aligned else min((m.interval_minutes for m in meters), default=15),
        current=current,
        options=tuple(options),
        baseline=baseline,
        alternative=alternative,
        hours=hours,
    )
