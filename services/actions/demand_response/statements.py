"""What the customer reads about one event: the reward estimate before opting in, the latest-known load
against the baseline during the event, and the settlement statement after it; and the season summary.

All computed from the account's own interval data with the same functions settlement uses
(``readings.load_arrays``, the program's baseline settings and method, ``price_response``), for one
account at a time. Reads only; they take ``today``/``now`` from the caller.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd

from analytics.demand_response import BaselineMethod, BaselineResult, EventWindow, compute_baseline
from analytics.demand_response.incentive import price_response
from billing.models import Bill, LedgerEntry
from core.money import round_kw, round_money
from core.time import SHANGHAI, local_date, local_midnight
from customers.models import Account
from services.actions.demand_response.programs import incentive_terms, terms_in_force
from services.actions.demand_response.readings import load_arrays
from services.actions.demand_response.settlement import (
    _area_temperatures,
    _excluded_days,
    baseline_settings,
    dr_day_kind,
)
from services.models import DREvent, DRParticipation, DRProgram, DRSettlement
from services.selectors import demand_response as selectors

ZERO = Decimal("0")
KWH3 = Decimal("0.001")
# The reward estimate's scenarios: share of the committed kW actually reduced.
SCENARIO_SHARES = (Decimal("0.3"), Decimal("0.5"), Decimal("0.8"), Decimal("1.0"), Decimal("1.2"))


def _kw(value: float | None) -> Decimal | None:
    if value is None or np.isnan(value):
        return None
    return round_kw(Decimal(f"{value:.6f}"))


def _window_slots(event: DREvent) -> tuple[int, int]:
    midnight = local_midnight(local_date(event.start))
    return int((event.start - midnight).total_seconds() // 900), int((event.end - midnight).total_seconds() // 900)


@dataclass(frozen=True)
class AccountBaseline:
    """One account's baseline for one event, by its program's method, with the reasons per day."""

    result: BaselineResult | None
    slots: list[dt.datetime]
    baseline_kw: list[Decimal | None]
    actual_kw: list[Decimal | None]  # the event day's readings so far (None: not arrived)
    note: str = ""

    @property
    def average_kw(self) -> Decimal | None:
        known = [v for v in self.baseline_kw if v is not None]
        return round_kw(sum(known, ZERO) / len(known)) if known else None


def account_baseline(*, event: DREvent, account: Account) -> AccountBaseline:
    """The baseline the settlement would compute for this account now (data up to the latest reading)."""
    program = event.program
    settings = baseline_settings(program=program)
    method = BaselineMethod(program.baseline_method)
    event_day = local_date(event.start)
    first_day = event_day - dt.timedelta(days=max(settings.lookback_days, 7 * settings.regression_weeks))
    arrays = load_arrays(account_ids=[account.pk], first_day=first_day, last_day=event_day)
    first_col, last_col = _window_slots(event)
    local_start = event.start.astimezone(SHANGHAI)
    slots = [local_start + dt.timedelta(minutes=15 * k) for k in range(last_col - first_col)]
    actual = [_kw(v) for v in arrays.load_kw[0, -1, first_col:last_col]]
    n_days = arrays.load_kw.shape[1]
    index = pd.date_range(local_midnight(first_day), periods=n_days * 96, freq="15min")
    flat = arrays.load_kw[0].reshape(-1)
    present = ~np.isnan(flat)
    if present.sum() < 2:
        return AccountBaseline(None, slots, [None] * len(slots), actual, note="no_data")
    load = pd.Series(flat[present], index=index[present])
    quality = pd.Series(np.where(arrays.estimated[0].reshape(-1)[present], 1, 0), index=index[present])
    excluded = _excluded_days(event=event, account_ids=[account.pk], first_day=first_day)[0]
    excluded_days = {
        first_day + dt.timedelta(days=int(d)): "参与了其他需求响应事件 took part in another event"
        for d in np.flatnonzero(excluded)
    }
    temperature = None
    if method is BaselineMethod.REGRESSION:
        temperature = _area_temperatures(
            account_ids=[account.pk], start=local_midnight(first_day), end=local_midnight(event_day) + dt.timedelta(1)
        ).get(account.pk)
    result = compute_baseline(
        method=method,
        load=load,
        quality=quality,
        event=EventWindow(start=event.start, end=event.end, notice_at=event.notice_at),
        day_kind=dr_day_kind,
        excluded_days=excluded_days,
        temperature=temperature,
        settings=settings,
    )
    values = [_kw(float(v)) for v in result.values.to_numpy()]
    return AccountBaseline(result, slots, values, actual, note="insufficient" if result.insufficient else "")


# --- before: the reward estimate ---------------------------------------------------------------------


@dataclass(frozen=True)
class RewardScenario:
    share: Decimal  # of the committed kW
    reduce_kw: Decimal
    target_kw: Decimal | None  # the load to stay under (peak shaving) / reach (valley filling)
    kwh: Decimal
    incentive: Decimal
    penalty: Decimal
    net: Decimal


@dataclass(frozen=True)
class RewardEstimate:
    committed_kw: Decimal
    hours: Decimal
    baseline_kw: Decimal | None  # the account's usual load in the window (average of the baseline)
    days_used: list[dt.date]
    scenarios: list[RewardScenario]
    low: Decimal  # the range of what 50 %..120 % of the committed kW would pay
    high: Decimal
    energy_price: Decimal | None
    capacity_price: Decimal | None
    threshold_ratio: Decimal
    insufficient: bool = False


def reward_estimate(*, participation: DRParticipation, today: dt.date) -> RewardEstimate | None:
    """What reducing by 30 %, 50 %, 80 %, 100 % and 120 % of the committed kW over the event's window
    would pay under the terms in force on the event day (before monthly and seasonal caps), with the
    baseline the reduction would be measured against."""
    event = participation.event
    program = event.program
    terms = terms_in_force(program=program, on=local_date(event.start)) or terms_in_force(program=program, on=today)
    if terms is None:
        return None
    hours = Decimal((event.end - event.start).total_seconds() / 3600).quantize(Decimal("0.01"))
    baseline = account_baseline(event=event, account=participation.account)
    average = baseline.average_kw
    committed = participation.committed_kw
    priced = incentive_terms(terms)
    scenarios = []
    for share in SCENARIO_SHARES:
        reduce_kw = round_kw(committed * share)
        kwh = (reduce_kw * hours).quantize(KWH3)
        money = price_response(
            terms=priced, verified_kwh=kwh, verified_kw=reduce_kw, committed_kw=committed, window_hours=hours
        )
        if average is None:
            target = None
        else:
            target = max(average - reduce_kw, ZERO) if program.is_peak_shaving else average + reduce_kw
        scenarios.append(
            RewardScenario(
                share=share,
                reduce_kw=reduce_kw,
                target_kw=target,
                kwh=kwh,
                incentive=money.incentive,
                penalty=money.penalty,
                net=round_money(money.net),
            )
        )
    paid = [s.net for s in scenarios if Decimal("0.5") <= s.share <= Decimal("1.2")]
    return RewardEstimate(
        committed_kw=committed,
        hours=hours,
        baseline_kw=average,
        days_used=list(baseline.result.days_used) if baseline.result else [],
        scenarios=scenarios,
        low=min(paid),
        high=max(paid),
        energy_price=terms.energy_price,
        capacity_price=terms.capacity_price,
        threshold_ratio=terms.threshold_ratio,
        insufficient=baseline.result is None or baseline.result.insufficient,
    )


# --- during: the latest-known load against the baseline ----------------------------------------------


@dataclass(frozen=True)
class LiveLoad:
    baseline: AccountBaseline
    latest_at: dt.datetime | None  # start of the latest interval with a reading
    latest_kw: Decimal | None
    latest_baseline_kw: Decimal | None
    response_kw: Decimal | None  # baseline − actual (shave) or actual − baseline (fill) at that interval


def live_load(*, participation: DRParticipation) -> LiveLoad:
    baseline = account_baseline(event=participation.event, account=participation.account)
    latest = None
    for k, value in enumerate(baseline.actual_kw):
        if value is not None:
            latest = k
    if latest is None:
        return LiveLoad(baseline, None, None, None, None)
    actual, expected = baseline.actual_kw[latest], baseline.baseline_kw[latest]
    response = None
    if actual is not None and expected is not None:
        response = expected - actual if participation.event.program.is_peak_shaving else actual - expected
    return LiveLoad(baseline, baseline.slots[latest], actual, expected, response)


# --- after: the settlement statement -----------------------------------------------------------------


@dataclass(frozen=True)
class StatementRow:
    start: dt.datetime
    baseline_kw: Decimal | None
    actual_kw: Decimal | None
    response_kw: Decimal | None  # paid response, never negative


@dataclass(frozen=True)
class SkippedDayRow:
    day: dt.date
    code: str
    text: str


@dataclass(frozen=True)
class Statement:
    settlement: DRSettlement
    event: DREvent
    program: DRProgram
    account: Account
    rows: list[StatementRow]
    days_used: list[dt.date]
    days_skipped: list[SkippedDayRow]
    window_hours: Decimal
    committed_kw: Decimal
    gross: Decimal
    capped_by: str | None
    shortfall_kw: Decimal
    entries: list[LedgerEntry] = field(default_factory=list)
    bill: Bill | None = None

    @property
    def chart(self) -> dict:
        return {
            "labels": [f"{r.start:%H:%M}" for r in self.rows],
            "baseline": [None if r.baseline_kw is None else str(r.baseline_kw) for r in self.rows],
            "actual": [None if r.actual_kw is None else str(r.actual_kw) for r in self.rows],
        }


def _skipped_days(*, settlement: DRSettlement, days_used: list[dt.date]) -> list[SkippedDayRow]:
    """Why the days the baseline examined but did not use were skipped: the per-account baseline
    recomputed on today's data (the batch settlement keeps no per-day reasons)."""
    participation = settlement.participation
    try:
        baseline = account_baseline(event=participation.event, account=participation.account)
    except ValueError:  # data the maths refuses (e.g. off-grid timestamps): no reasons to show
        return []
    if baseline.result is None:
        return []
    used = set(days_used)
    return [
        SkippedDayRow(day=s.day, code=str(s.code), text=s.text)
        for s in sorted(baseline.result.days_skipped, key=lambda s: s.day, reverse=True)
        if s.day not in used and s.day < local_date(participation.event.start)
    ]


def statement(*, settlement: DRSettlement) -> Statement:
    participation = settlement.participation
    event = participation.event
    detail = settlement.detail or {}
    direction_shave = event.program.is_peak_shaving
    rows = []
    for slot, base, act in zip(
        detail.get("slots", []), detail.get("baseline_kw", []), detail.get("actual_kw", []), strict=False
    ):
        base_kw = None if base is None else Decimal(str(base))
        act_kw = None if act is None else Decimal(str(act))
        response = None
        if base_kw is not None and act_kw is not None:
            response = max(base_kw - act_kw if direction_shave else act_kw - base_kw, ZERO)
        rows.append(
            StatementRow(
                start=dt.datetime.fromisoformat(slot).astimezone(SHANGHAI),
                baseline_kw=base_kw,
                actual_kw=act_kw,
                response_kw=response,
            )
        )
    days_used = [dt.date.fromisoformat(d) for d in detail.get("days_used", [])]
    entries = selectors.settlement_ledger_entries(settlement=settlement)
    bill = (
        selectors.landing_bill(account_id=participation.account_id, posted_on=entries[0].occurred_on)
        if entries
        else None
    )
    return Statement(
        settlement=settlement,
        event=event,
        program=event.program,
        account=participation.account,
        rows=rows,
        days_used=days_used,
        days_skipped=_skipped_days(settlement=settlement, days_used=days_used),
        window_hours=Decimal(detail.get("window_hours", "0")),
        committed_kw=participation.committed_kw,
        gross=Decimal(detail.get("gross", "0")),
        capped_by=detail.get("capped_by"),
        shortfall_kw=Decimal(detail.get("shortfall_kw", "0")),
        entries=entries,
        bill=bill,
    )


# --- the season ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeasonSummary:
    program: DRProgram
    invited: int
    taken_part: int
    settled: int
    verified_kwh: Decimal
    event_money: Decimal  # posted to the ledger for events (incentives net of penalties)
    standby_money: Decimal  # standby (availability) credits
    total: Decimal


def season_summaries(*, account: Account) -> list[SeasonSummary]:
    """Per program the account was ever invited by: events, taken part, settled, money on the ledger."""
    participations = list(selectors.account_participations(account=account))
    by_program: dict[int, list[DRParticipation]] = {}
    for p in participations:
        by_program.setdefault(p.event.program_id, []).append(p)
    enrolments: dict[int, list[int]] = {}
    for program_id, enrolment_id in account.dr_enrolments.values_list("program_id", "id"):
        enrolments.setdefault(program_id, []).append(enrolment_id)
    programs = {p.pk: p for p in DRProgram.objects.filter(pk__in=set(by_program) | set(enrolments))}
    summaries = []
    for program_id, program in sorted(programs.items(), key=lambda item: item[1].valid_from, reverse=True):
        rows = by_program.get(program_id, [])
        taken = [p for p in rows if p.response == DRParticipation.Response.OPTED_IN]
        settled = [
            p.settlement
            for p in taken
            if hasattr(p, "settlement") and p.settlement.status == DRSettlement.Status.POSTED
        ]
        event_money = sum((s.posted_net for s in settled), ZERO)
        standby = -sum(
            (
                e.amount
                for e in selectors.availability_credits(account=account, enrolment_ids=enrolments.get(program_id, []))
            ),
            ZERO,
        )
        summaries.append(
            SeasonSummary(
                program=program,
                invited=len(rows),
                taken_part=len(taken),
                settled=len(settled),
                verified_kwh=sum((s.verified_kwh for s in settled), ZERO),
                event_money=event_money,
                standby_money=standby,
                total=event_money + standby,
            )
        )
    return summaries
