"""Settlement: what each opted-in participation earned, posted to the ledger exactly once.

For one completed event, set-wise: load every participant's interval load (readings.load_arrays), take
the program's baseline (analytics.demand_response batch functions; regression per account), measure
the response, check for gaming, price it with the terms in force on the event day (caps left this
month and season from what was posted already), and store one ``DRSettlement`` per participation:

* ``awaiting_data`` while any event-window interval is missing or estimated, or the baseline had too
  few eligible days — unless staff settle it anyway with a recorded reason;
* ``review`` when gaming is suspected or the program wants every settlement approved;
* ``posted`` once its net is on the ledger.

Posting is idempotent per account × event: the ledger key ``dr:<event>:<account>:r<revision>`` is
unique, and a recomputation that changes the money posts only the difference as a new revision.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from analytics.demand_response import BaselineMethod, BaselineSettings, DayKind, Direction, EventWindow
from analytics.demand_response.baselines import regression_baseline
from analytics.demand_response.batch import (
    high_5_of_10_baseline_batch,
    similar_days_baseline_batch,
    ten_of_ten_baseline_batch,
)
from analytics.demand_response.gaming_batch import gaming_batch
from analytics.demand_response.incentive import CapsLeft, availability_payment, price_response
from analytics.demand_response.measurement import measure_performance_batch
from analytics.models import WeatherObservation
from billing.models import LedgerEntry
from billing.services.ledger import post_entry
from core import calendar
from core.money import round_kw, round_money
from core.months import add_months
from core.time import SHANGHAI, local_date, local_midnight
from customers.models import Account
from security.models import AuditEvent
from security.services.audit import record_event
from services.actions.demand_response.errors import DemandResponseError
from services.actions.demand_response.programs import incentive_terms, terms_in_force
from services.actions.demand_response.readings import fill_from_ven_reports, load_arrays
from services.models import DREnrolment, DREvent, DRParticipation, DRProgram, DRSettlement

ZERO = Decimal("0")
KWH3 = Decimal("0.001")
BATCH_METHODS = {
    BaselineMethod.SIMILAR_WORKING_DAYS: similar_days_baseline_batch,
    BaselineMethod.HIGH_5_OF_10: high_5_of_10_baseline_batch,
    BaselineMethod.TEN_OF_TEN_ADJUSTED: ten_of_ten_baseline_batch,
}
BASELINE_OPTION_TYPES = {
    name: type(getattr(BaselineSettings(), name)) for name in BaselineSettings.__dataclass_fields__
}


def dr_day_kind(day: dt.date) -> DayKind:
    """The mainland calendar (core.calendar, staff overrides included) as the baseline maths sees it."""
    kind = calendar.day_kind(day)
    if kind is calendar.DayKind.ADJUSTED_WORKING:
        return DayKind.ADJUSTED_WORKING
    return DayKind.WORKING if kind is calendar.DayKind.WORKING else DayKind.NON_WORKING


def baseline_settings(*, program: DRProgram) -> BaselineSettings:
    """Defaults overridden by the program's ``baseline_options`` (only known fields, converted)."""
    options: dict[str, Any] = {}
    for name, value in (program.baseline_options or {}).items():
        if name not in BASELINE_OPTION_TYPES:
            raise DemandResponseError(_("Unknown baseline option %(name)s.") % {"name": name}, code="baseline_option")
        kind = BASELINE_OPTION_TYPES[name]
        options[name] = tuple(value) if kind is tuple else kind(value)
    return BaselineSettings(**options)


@dataclass(frozen=True)
class SettlementRun:
    settled: int
    posted: int
    awaiting_data: int
    review: int


def _excluded_days(*, event: DREvent, account_ids: list[int], first_day: dt.date) -> np.ndarray:
    """(accounts, days): days on which the account took part (opted in) in another event, of either
    direction, including events cancelled after notice (the customer may have prepared); an invitation
    declined leaves the day in. docs/demand-response.md, "Which prior events exclude a day"."""
    n_days = (local_date(event.start) - first_day).days + 1
    excluded = np.zeros((len(account_ids), n_days), dtype=bool)
    row_of = {account_id: row for row, account_id in enumerate(account_ids)}
    earlier = (
        DRParticipation.objects.filter(
            account_id__in=account_ids,
            response=DRParticipation.Response.OPTED_IN,
            event__start__gte=local_midnight(first_day),
            event__start__lt=local_midnight(local_date(event.start)),
        )
        .exclude(event__status=DREvent.Status.DRAFT)
        .values_list("account_id", "event__start")
    )
    for account_id, start in earlier:
        excluded[row_of[account_id], (local_date(start) - first_day).days] = True
    return excluded


def _posted_this_period(*, program: DRProgram, account_ids: list[int], since: dt.date) -> dict[int, Decimal]:
    rows = (
        DRSettlement.objects.filter(
            participation__account_id__in=account_ids,
            participation__event__program=program,
            participation__event__start__gte=local_midnight(since),
            status=DRSettlement.Status.POSTED,
        )
        .values("participation__account_id")
        .annotate(total=Sum("incentive"))
    )
    return {row["participation__account_id"]: row["total"] or ZERO for row in rows}


def _season_start(program: DRProgram) -> dt.date:
    return program.valid_from


def settle_event(*, event: DREvent, now: dt.datetime, force_reason: str = "", user=None) -> SettlementRun:
    """Compute (or recompute) every opted-in participation's settlement and post what is ready."""
    event = DREvent.objects.select_related("program").get(pk=event.pk)
    if event.status not in (DREvent.Status.COMPLETED, DREvent.Status.SETTLED):
        raise DemandResponseError(_("Only a completed event can be settled."), code="not_completed")
    program = event.program
    terms = terms_in_force(program=program, on=local_date(event.start))
    if terms is None:
        raise DemandResponseError(_("No terms were in force on the event day."), code="no_terms")
    participations = list(
        event.participations.filter(response=DRParticipation.Response.OPTED_IN).order_by("account_id")
    )  # only ids and the committed kW are read: no joins (10,000 rows)
    settings = baseline_settings(program=program)
    method = BaselineMethod(program.baseline_method)
    event_day = local_date(event.start)
    first_day = event_day - dt.timedelta(days=max(settings.lookback_days, 7 * settings.regression_weeks))
    account_ids = [p.account_id for p in participations]
    arrays = load_arrays(account_ids=account_ids, first_day=first_day, last_day=event_day)
    # OpenADR: where the program accepts VEN-reported usage, it fills event-window gaps in the meter data.
    ven_slots = (
        fill_from_ven_reports(arrays=arrays, start=event.start, end=event.end)
        if program.allow_ven_reported_data
        else {}
    )
    excluded = _excluded_days(event=event, account_ids=account_ids, first_day=first_day)
    window = EventWindow(start=event.start, end=event.end, notice_at=event.notice_at)
    direction = Direction.SHAVE if program.is_peak_shaving else Direction.FILL
    first_col = int((event.start - local_midnight(event_day)).total_seconds() // 900)
    last_col = int((event.end - local_midnight(event_day)).total_seconds() // 900)

    fallbacks: dict[int, str] = {}
    if not participations:
        values = np.zeros((0, last_col - first_col))
        days_used = np.zeros((0, arrays.load_kw.shape[1]), dtype=bool)
        insufficient = np.zeros(0, dtype=bool)
    elif method in BATCH_METHODS:
        result = BATCH_METHODS[method](
            load=arrays.load_kw,
            first_day=first_day,
            event=window,
            day_kind=dr_day_kind,
            estimated=arrays.estimated,
            excluded=excluded,
            settings=settings,
        )
        values, days_used, insufficient = result.values, result.days_used, result.insufficient
        fallbacks = {}
    else:
        values, days_used, insufficient, fallbacks = _regression(
            arrays=arrays, window=window, excluded=excluded, settings=settings, first_col=first_col, last_col=last_col
        )
    actual = arrays.load_kw[:, -1, first_col:last_col]
    performance = measure_performance_batch(
        baseline=values,
        actual=actual,
        direction=direction,
        interval_minutes=15,
        estimated=arrays.estimated[:, -1, first_col:last_col],
    )
    gaming = gaming_batch(
        load=arrays.load_kw,
        first_day=first_day,
        event=window,
        days_used=days_used,
        day_kind=dr_day_kind,
        excluded=excluded,
    )
    local_start = event.start.astimezone(SHANGHAI)
    month_paid = _posted_this_period(program=program, account_ids=account_ids, since=event_day.replace(day=1))
    season_paid = _posted_this_period(program=program, account_ids=account_ids, since=_season_start(program))
    priced_terms = incentive_terms(terms)
    window_hours = Decimal(str(performance.window_hours))
    slots = [(local_start + dt.timedelta(minutes=15 * k)).isoformat() for k in range(last_col - first_col)]
    days = [first_day + dt.timedelta(days=r) for r in range(arrays.load_kw.shape[1])]
    computed: list[tuple[DRParticipation, str, dict]] = []
    for row, participation in enumerate(participations):
        verified_kwh = Decimal(f"{performance.verified_kwh[row]:.6f}").quantize(KWH3)
        verified_kw = round_kw(Decimal(f"{performance.verified_avg_kw[row]:.6f}"))
        caps = CapsLeft(
            month=None
            if terms.cap_per_month is None
            else terms.cap_per_month - month_paid.get(participation.account_id, ZERO),
            season=None
            if terms.cap_per_season is None
            else terms.cap_per_season - season_paid.get(participation.account_id, ZERO),
        )
        money = price_response(
            terms=priced_terms,
            verified_kwh=verified_kwh,
            verified_kw=verified_kw,
            committed_kw=participation.committed_kw,
            window_hours=window_hours,
            caps_left=caps,
        )
        flags = []
        if performance.missing[row]:
            flags.append({"code": "data_missing", "text": f"{int(performance.missing[row])} intervals without data"})
        if performance.estimated[row]:
            flags.append({"code": "data_estimated", "text": f"{int(performance.estimated[row])} estimated intervals"})
        if insufficient[row]:
            flags.append({"code": "baseline_insufficient", "text": "too few eligible days for the baseline"})
        for reason in gaming.reasons(row):
            flags.append({"code": "gaming", "text": reason})
        if any(f["code"] == "gaming" for f in flags) or program.settlement_needs_approval:
            status = DRSettlement.Status.REVIEW
        elif any(f["code"] != "gaming" for f in flags) and not force_reason:
            status = DRSettlement.Status.AWAITING_DATA
        else:
            status = DRSettlement.Status.READY
        baseline_row = values[row]
        detail = {
            "method": method.value,
            "slots": slots,
            "baseline_kw": [None if np.isnan(v) else round(float(v), 3) for v in baseline_row],
            "actual_kw": [None if np.isnan(v) else round(float(v), 3) for v in actual[row]],
            "days_used": [days[r].isoformat() for r in np.flatnonzero(days_used[row])],
            "window_hours": str(window_hours),
            "committed_kw": str(participation.committed_kw),
            "ratio": None if money.ratio is None else str(money.ratio),
            "effective": money.effective,
            "gross": str(money.gross),
            "capped_by": money.capped_by,
            "shortfall_kw": str(money.shortfall_kw),
            "terms_version": terms.version,
            "forced": force_reason or None,
            "fallback": fallbacks.get(row),
            "ven_reported_slots": ven_slots.get(row, 0),
        }
        fields = {
            "terms": terms,
            "baseline_method": method.value,
            "baseline_kwh": _kwh(np.nansum(baseline_row) * 0.25),
            "actual_kwh": _kwh(np.nansum(actual[row]) * 0.25),
            "verified_kwh": verified_kwh,
            "verified_kw": verified_kw,
            "ratio": money.ratio,
            "incentive": money.incentive,
            "penalty": money.penalty,
            "net": money.net,
            "flags": flags,
            "detail": detail,
            "computed_at": now,
            "data_source": "meter+ven" if ven_slots.get(row) else "meter",
        }
        computed.append((participation, status, fields))
    tallies = _store_and_post(event=event, computed=computed, note=force_reason, user=user, now=now)
    _close_if_settled(event=event)
    return SettlementRun(**tallies)


def _kwh(value: float) -> Decimal:
    return Decimal(f"{value:.6f}").quantize(KWH3)


def _area_temperatures(*, account_ids: list[int], start: dt.datetime, end: dt.datetime) -> dict[int, pd.Series]:
    """Observed temperature per account (its transformer area's), as an hourly-or-finer series."""
    area_of = dict(Account.objects.filter(pk__in=account_ids).values_list("pk", "area_id"))
    by_area: dict[int, list[tuple[dt.datetime, float]]] = {}
    observed = WeatherObservation.objects.filter(
        area_id__in=set(area_of.values()), at__gte=start, at__lt=end, kind=WeatherObservation.Kind.OBSERVED
    ).values_list("area_id", "at", "temperature_c")
    for area_id, at, celsius in observed:
        by_area.setdefault(area_id, []).append((at, float(celsius)))
    series = {
        area_id: pd.Series([c for _, c in rows], index=pd.DatetimeIndex([a for a, _ in rows])).sort_index()
        for area_id, rows in by_area.items()
    }
    return {account_id: series[area_id] for account_id, area_id in area_of.items() if area_id in series}


def _regression(*, arrays, window, excluded, settings, first_col, last_col):
    """The regression baseline has no batch form: one account at a time (for programs that chose it),
    with its area's observed temperatures; without them it falls back to similar days (recorded)."""
    n_accounts, n_days, _ = arrays.load_kw.shape
    start = local_midnight(arrays.first_day)
    index = pd.date_range(start, periods=n_days * 96, freq="15min")
    temperatures = _area_temperatures(
        account_ids=arrays.account_ids, start=start, end=start + dt.timedelta(days=n_days)
    )
    values = np.full((n_accounts, last_col - first_col), np.nan)
    days_used = np.zeros((n_accounts, n_days), dtype=bool)
    insufficient = np.zeros(n_accounts, dtype=bool)
    fallbacks: dict[int, str] = {}
    for row, account_id in enumerate(arrays.account_ids):
        load = pd.Series(arrays.load_kw[row].reshape(-1), index=index).dropna()
        excluded_days = {
            arrays.first_day + dt.timedelta(days=int(d)): "prior event" for d in np.flatnonzero(excluded[row])
        }
        result = regression_baseline(
            load=load,
            event=window,
            day_kind=dr_day_kind,
            excluded_days=excluded_days,
            temperature=temperatures.get(account_id),
            settings=settings,
        )
        values[row] = result.values.to_numpy()
        for day in result.days_used:
            days_used[row, (day - arrays.first_day).days] = True
        insufficient[row] = result.insufficient
        if result.fallback_reason:
            fallbacks[row] = result.fallback_reason
    return values, days_used, insufficient, fallbacks


SETTLEMENT_FIELDS = [
    "terms",
    "data_source",
    "baseline_method",
    "baseline_kwh",
    "actual_kwh",
    "verified_kwh",
    "verified_kw",
    "ratio",
    "incentive",
    "penalty",
    "net",
    "flags",
    "detail",
    "computed_at",
    "status",
    "revision",
    "review_note",
    "reviewed_by",
]


@transaction.atomic
def _store_and_post(
    *, event: DREvent, computed: list[tuple[DRParticipation, str, dict]], note: str, user, now: dt.datetime
) -> dict[str, int]:
    """Write every settlement and post the ready ones in a few statements. The event row is locked, so
    two workers settling the same event take turns; the ledger's unique posting keys make a repeated
    posting impossible anyway."""
    DREvent.objects.select_for_update().filter(pk=event.pk).first()
    existing = {s.participation_id: s for s in DRSettlement.objects.filter(participation__event=event)}
    reviewer = user if getattr(user, "is_authenticated", False) else None
    new, changed, ready = [], [], []
    tallies = {"settled": 0, "posted": 0, "awaiting_data": 0, "review": 0}
    for participation, status, fields in computed:
        tallies["settled"] += 1
        settlement = existing.get(participation.pk)
        if settlement is None:
            settlement = DRSettlement(participation=participation, status=status, review_note=note[:300], **fields)
            if note:
                settlement.reviewed_by = reviewer
            new.append(settlement)
        elif settlement.status == DRSettlement.Status.POSTED and settlement.net == fields["net"]:
            tallies["posted"] += 1  # a re-run that changes no money changes nothing
            continue
        else:
            if settlement.status == DRSettlement.Status.POSTED:
                settlement.revision += 1
            for name, value in fields.items():
                setattr(settlement, name, value)
            settlement.status = status
            if note:
                settlement.review_note, settlement.reviewed_by = note[:300], reviewer
            changed.append(settlement)
        if status == DRSettlement.Status.READY:
            ready.append(settlement)
        else:
            tallies[status] += 1
    # The ready ones are posted in this transaction: mark them before they are written, so each row is
    # written once (a bulk_update is a CASE per row and field, the slowest statement at 10,000 rows).
    entries = []
    for settlement in ready:
        difference = settlement.net - settlement.posted_net
        if difference:
            entries.append(_ledger_entry(settlement=settlement, event=event, difference=difference, now=now))
        settlement.posted_net, settlement.status, settlement.posted_at = settlement.net, DRSettlement.Status.POSTED, now
    DRSettlement.objects.bulk_create(new, batch_size=2000)
    DRSettlement.objects.bulk_update(changed, [*SETTLEMENT_FIELDS, "posted_net", "posted_at"], batch_size=500)
    LedgerEntry.objects.bulk_create(entries, batch_size=2000, ignore_conflicts=True)
    if ready:
        type(ready[0].terms).objects.filter(pk=ready[0].terms_id, locked_at__isnull=True).update(locked_at=now)
    tallies["posted"] += len(ready)
    return tallies


def _ledger_entry(*, settlement: DRSettlement, event: DREvent, difference: Decimal, now: dt.datetime) -> LedgerEntry:
    """The ledger entry of one revision's difference (positive difference = money to the customer)."""
    label = "需求响应补贴" if difference > 0 else "需求响应考核"
    if settlement.revision > 1:
        label += f"（第{settlement.revision}次核定调整）"
    participation = settlement.participation
    return LedgerEntry(
        account_id=participation.account_id,
        kind=LedgerEntry.Kind.CREDIT if difference > 0 else LedgerEntry.Kind.ADJUSTMENT,
        amount=-difference,  # ledger: positive is owed by the customer
        description=f"{label} {event.name} {event.start.astimezone(SHANGHAI):%Y-%m-%d}"[:200],
        posting_key=f"dr:{event.pk}:{participation.account_id}:r{settlement.revision}",
        occurred_on=local_date(now),
    )


def post_settlement(*, settlement: DRSettlement, now: dt.datetime) -> DRSettlement:
    """Post the part of ``net`` not yet on the ledger, under this revision's unique key."""
    with transaction.atomic():
        locked = (
            DRSettlement.objects.select_for_update()
            .select_related("participation__event", "participation__account")
            .get(pk=settlement.pk)
        )
        if locked.status not in (DRSettlement.Status.READY, DRSettlement.Status.POSTED):
            raise DemandResponseError(_("This settlement is not ready to post."), code="not_ready")
        difference = locked.net - locked.posted_net
        if difference:
            entry = _ledger_entry(settlement=locked, event=locked.participation.event, difference=difference, now=now)
            post_entry(
                account=locked.participation.account,
                kind=entry.kind,
                amount=entry.amount,
                description=entry.description,
                posting_key=entry.posting_key,
                occurred_on=entry.occurred_on,
            )
        locked.posted_net = locked.net
        locked.status = DRSettlement.Status.POSTED
        locked.posted_at = now
        locked.save(update_fields=["posted_net", "status", "posted_at"])
        if locked.terms.locked_at is None:
            type(locked.terms).objects.filter(pk=locked.terms_id, locked_at__isnull=True).update(locked_at=now)
    return locked


def approve_settlement(*, settlement: DRSettlement, user, note: str, now: dt.datetime) -> DRSettlement:
    """Staff release a reviewed (or data-waiting) settlement for posting, with a recorded reason."""
    if not note.strip():
        raise DemandResponseError(_("Record why you approve this settlement."), code="note", field="note")
    with transaction.atomic():
        locked = DRSettlement.objects.select_for_update().get(pk=settlement.pk)
        if locked.status not in (DRSettlement.Status.REVIEW, DRSettlement.Status.AWAITING_DATA):
            raise DemandResponseError(
                _("Only settlements in review or awaiting data can be approved."), code="not_review"
            )
        locked.status = DRSettlement.Status.READY
        locked.reviewed_by = user
        locked.review_note = note.strip()[:300]
        locked.save(update_fields=["status", "reviewed_by", "review_note"])
        record_event(action=AuditEvent.Action.UPDATE, actor=user, target=locked, details={"approved": True})
    posted = post_settlement(settlement=locked, now=now)
    _close_if_settled(event=posted.participation.event)
    return posted


def _close_if_settled(*, event: DREvent) -> None:
    opted_in = event.participations.filter(response=DRParticipation.Response.OPTED_IN)
    if not opted_in.exclude(settlement__status=DRSettlement.Status.POSTED).exists():
        DREvent.objects.filter(pk=event.pk, status=DREvent.Status.COMPLETED).update(status=DREvent.Status.SETTLED)


def settle_with_reason(*, event: DREvent, user, reason: str, now: dt.datetime) -> SettlementRun:
    """Staff settle an event whose data stays incomplete, on the data there is, with the reason recorded."""
    if not reason.strip():
        raise DemandResponseError(_("Record why you settle on incomplete data."), code="reason", field="reason")
    record_event(action=AuditEvent.Action.UPDATE, actor=user, target=event, details={"settled_with_reason": True})
    return settle_event(event=event, now=now, force_reason=reason.strip(), user=user)


def estimate_reward(
    *, program: DRProgram, committed_kw: Decimal, reduce_kw: Decimal, hours: Decimal, on: dt.date
) -> dict:
    """What reducing (or adding) ``reduce_kw`` over ``hours`` would pay under the terms on ``on``."""
    terms = terms_in_force(program=program, on=on)
    if terms is None:
        return {}
    money = price_response(
        terms=incentive_terms(terms),
        verified_kwh=(reduce_kw * hours).quantize(KWH3),
        verified_kw=reduce_kw,
        committed_kw=committed_kw,
        window_hours=hours,
    )
    return {"incentive": money.incentive, "penalty": money.penalty, "net": round_money(money.net), "ratio": money.ratio}


def settle_due_events(*, now: dt.datetime, settle_after: dt.timedelta = dt.timedelta(hours=1)) -> dict[str, int]:
    """Completed events at least ``settle_after`` past their end (meter data arrives with a lag), and
    events with settlements still awaiting data."""
    due = DREvent.objects.filter(status=DREvent.Status.COMPLETED, end__lte=now - settle_after).order_by("end")
    totals = {"events": 0, "posted": 0, "awaiting_data": 0, "review": 0}
    for event in due:
        run = settle_event(event=event, now=now)
        totals["events"] += 1
        totals["posted"] += run.posted
        totals["awaiting_data"] += run.awaiting_data
        totals["review"] += run.review
    return totals


def post_availability_payments(*, month: dt.date, now: dt.datetime) -> int:
    """Standby payments of contracted programs for ``month``: committed kW × the terms' availability
    price, pro rata to the days enrolled; one ledger credit per enrolment and month (unique key)."""
    first, following = month.replace(day=1), add_months(month.replace(day=1), 1)
    month_days = (following - first).days
    posted = 0
    enrolments = (
        DREnrolment.objects.filter(
            program__notice_class=DRProgram.NoticeClass.CONTRACTED, accepted_at__lt=local_midnight(following)
        )
        .exclude(withdrawn_at__lt=local_midnight(first))
        .select_related("program", "account")
    )
    for enrolment in enrolments:
        begin = max(first, local_date(enrolment.accepted_at))
        end = min(following, local_date(enrolment.withdrawn_at)) if enrolment.withdrawn_at else following
        season_end = enrolment.program.valid_to or following
        end = min(end, season_end)
        begin = max(begin, enrolment.program.valid_from)
        days = max((end - begin).days, 0)
        if not days:
            continue
        # The terms of the first day enrolled: a season (and its terms) starting mid-month pays pro rata.
        terms = terms_in_force(program=enrolment.program, on=begin)
        if terms is None or not terms.availability_price:
            continue
        amount = availability_payment(
            committed_kw=enrolment.committed_kw,
            price_per_kw_month=terms.availability_price,
            enrolled_days=days,
            month_days=month_days,
        )
        if amount <= 0:
            continue
        _, created = post_entry(
            account=enrolment.account,
            kind=LedgerEntry.Kind.CREDIT,
            amount=-amount,
            description=f"需求响应备用容量补贴 {enrolment.program.name} {first:%Y-%m}（{enrolment.committed_kw:f} kW × {days}/{month_days} 天）",
            posting_key=f"dr:availability:{enrolment.pk}:{first:%Y-%m}",
            occurred_on=local_date(now),
        )
        posted += created
    return posted
