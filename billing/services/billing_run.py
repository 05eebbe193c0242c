"""Billing runs: readings become bills, chunk by chunk, exactly once per account and period.

* ``start_billing_run`` records the run and cuts its accounts into id-range chunks.
* ``run_billing`` may be called by any number of workers at once: each claims an open chunk with
  SELECT … FOR UPDATE SKIP LOCKED, writes that chunk's bills and marks it done in one transaction. A
  worker that dies leaves its chunk open for the next one. The partial unique constraint "one live
  bill per account and period" makes double billing impossible even if two computations race.
* ``compute_bills`` prices a chunk from data loaded in a handful of queries (BillingContext), so a
  run costs a few queries per chunk, not per account.

Consumption comes from register reads (end − start per register × multiplier) when the meter has
reads at both ends of its time in the period; otherwise from interval readings summed per TOU
window. A meter exchanged mid-period contributes its own part (installation to removal).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q, Sum
from django.db.models.functions import Now

from billing.models import (
    Bill,
    BillingRun,
    BillingRunChunk,
    BillLine,
    BillRead,
    IntervalReading,
    LedgerEntry,
    Meter,
    Quality,
    RegisterRead,
    Tariff,
    TariffAssignment,
    TariffVersion,
)
from billing.services.ledger import apply_unallocated_payments, bill_charge_entry, post_bill_charge
from billing.services.registers import Backwards, register_advance
from billing.services.tariffs.calendars import kwh_by_period
from billing.services.tariffs.engine import QuoteError, QuoteInput
from billing.services.tariffs.quotes import TariffQuote, load_versions, quote_on_versions, version_calendar
from core.calendar import next_working_day
from core.money import round_kw, round_kwh, round_share
from core.months import month_start
from core.tasks import enqueue_on_commit
from core.time import day_span, local_date
from customers.models import Account

ZERO = Decimal(0)
# The power factor is stored to 0.001 (Bill.power_factor, numeric(4, 3)); pricing reads it to 0.01.
POWER_FACTOR_STEP = Decimal("0.001")
TOU_REGISTERS = ("sharp", "peak", "flat", "valley")
REGISTER_NAMES = {
    "total": "total",
    "sharp": "sharp-peak",
    "peak": "peak",
    "flat": "flat",
    "valley": "valley",
    "reactive": "reactive",
}
# Holds that already say why the power-factor adjustment cannot be priced.
POWER_FACTOR_HOLDS = ("no_power_factor", "impossible_power_factor", "register_backwards")
LIVE = ~Q(status=Bill.Status.VOID)


@dataclass(frozen=True)
class Hold:
    code: str
    message: str


@dataclass
class ReadDiff:
    meter: Meter
    register: str
    start_at: dt.datetime
    start_value: Decimal
    end_at: dt.datetime
    end_value: Decimal
    kwh: Decimal


@dataclass
class BillDraft:
    account: Account
    period_start: dt.date
    period_end: dt.date
    tariff: Tariff
    consumption_source: str = "registers"
    total_kwh: Decimal = ZERO
    annual_kwh_before: Decimal = ZERO
    estimated_share: Decimal = ZERO
    power_factor: Decimal | None = None
    max_demand_kw: Decimal | None = None
    quote: TariffQuote | None = None
    # What the engine was given (tariff advice prices the same inputs on other tariffs).
    quote_input: QuoteInput | None = None
    quote_readings: list[tuple[dt.datetime, Decimal]] | None = None
    reads: list[ReadDiff] = field(default_factory=list)
    holds: list[Hold] = field(default_factory=list)

    @property
    def amount(self) -> Decimal:
        return self.quote.total if self.quote else ZERO


@dataclass(frozen=True)
class BillingRunResult:
    run_id: int
    issued: int
    held: int
    existing: int
    skipped: int


def due_date_for(*, period_end: dt.date, issued_on: dt.date | None = None) -> dt.date:
    """BILL_DUE_DAYS after the period, moved forward to a working day (mainland calendar).

    ``issued_on``: a bill that reaches the customer late (a held bill released by staff) gets as many
    days as a bill issued on time, the day after its period: BILL_DUE_DAYS from the day before it was
    issued, when that is later than the period's end. A billing run passes no ``issued_on``."""
    anchor = period_end if issued_on is None else max(period_end, issued_on - dt.timedelta(days=1))
    return next_working_day(anchor + dt.timedelta(days=settings.BILL_DUE_DAYS))


class BillingContext:
    """Everything a chunk of accounts needs for one period, loaded set-wise."""

    def __init__(self, *, accounts: list[Account], period_start: dt.date, period_end: dt.date) -> None:
        self.period_start, self.period_end = period_start, period_end
        self.start_at, self.end_at = day_span(period_start, period_end)
        ids = [a.pk for a in accounts]
        self.assignments: dict[int, list[TariffAssignment]] = defaultdict(list)
        overlapping = TariffAssignment.objects.filter(account_id__in=ids, valid_from__lt=period_end).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=period_start)
        )
        for assignment in overlapping.order_by("valid_from"):
            self.assignments[assignment.account_id].append(assignment)
        tariff_ids = {a.tariff_id for items in self.assignments.values() for a in items}
        self.tariffs = Tariff.objects.in_bulk(tariff_ids)
        self.versions: dict[int, list[TariffVersion]] = {tid: load_versions(t) for tid, t in self.tariffs.items()}
        self.meters: dict[int, list[Meter]] = defaultdict(list)
        for meter in (
            Meter.objects.filter(account_id__in=ids, installed_at__lt=self.end_at)
            .filter(Q(removed_at__isnull=True) | Q(removed_at__gt=self.start_at))
            .order_by("installed_at")
        ):
            assert meter.account_id is not None  # filtered on account_id above
            self.meters[meter.account_id].append(meter)
        all_meters = [m for items in self.meters.values() for m in items]
        moments = (
            {self.start_at, self.end_at}
            | {m.installed_at for m in all_meters}
            | {m.removed_at for m in all_meters if m.removed_at}
        )
        self.reads = {
            (r.meter_id, r.read_at): r for r in RegisterRead.objects.filter(meter__in=all_meters, read_at__in=moments)
        }
        self.annual_before = dict(
            Bill.objects.filter(
                LIVE, account_id__in=ids, period_start__year=period_start.year, period_start__lt=period_start
            )
            .values_list("account_id")
            .annotate(kwh=Sum("total_kwh"))
        )
        history_from = month_start(period_start - dt.timedelta(days=183))
        self.daily_history: dict[int, Decimal] = {}
        history = Bill.objects.filter(
            LIVE, account_id__in=ids, period_start__gte=history_from, period_start__lt=period_start
        ).values_list("account_id", "period_start", "period_end", "total_kwh")
        days: dict[int, int] = defaultdict(int)
        kwh: dict[int, Decimal] = defaultdict(Decimal)
        for account_id, start, end, total in history:
            days[account_id] += (end - start).days
            kwh[account_id] += total
        for account_id, n in days.items():
            if n:
                self.daily_history[account_id] = kwh[account_id] / n
        self._intervals: dict[int, list[tuple[dt.datetime, Decimal, int]]] | None = None
        # Interval data is loaded only for meters billed from it or whose account pays for demand.
        demand_accounts = {
            account_id
            for account_id, items in self.assignments.items()
            if items[0].demand_basis == TariffAssignment.DemandBasis.DEMAND
        }
        self._interval_meter_ids = {
            m.pk for m in all_meters if not self._has_boundary_reads(m) or m.account_id in demand_accounts
        }

    def window(self, meter: Meter) -> tuple[dt.datetime, dt.datetime]:
        return max(self.start_at, meter.installed_at), min(self.end_at, meter.removed_at or self.end_at)

    def _has_boundary_reads(self, meter: Meter) -> bool:
        start, end = self.window(meter)
        return (meter.pk, start) in self.reads and (meter.pk, end) in self.reads

    def boundary_reads(self, meter: Meter) -> tuple[RegisterRead, RegisterRead] | None:
        start, end = self.window(meter)
        first, last = self.reads.get((meter.pk, start)), self.reads.get((meter.pk, end))
        return (first, last) if first and last else None

    def intervals(self, meter: Meter) -> list[tuple[dt.datetime, Decimal, int]]:
        """(start, kWh as measured, quality) of the meter's readings in its window, loaded for the
        chunk's meters at first use."""
        if self._intervals is None:
            self._intervals = defaultdict(list)
            if self._interval_meter_ids:
                rows = IntervalReading.objects.filter(
                    meter_id__in=self._interval_meter_ids,
                    interval_start__gte=self.start_at,
                    interval_start__lt=self.end_at,
                ).values_list("meter_id", "interval_start", "kwh", "quality")
                for meter_id, start, value, quality in rows:
                    self._intervals[meter_id].append((start, value, quality))
        start, end = self.window(meter)
        return [row for row in self._intervals.get(meter.pk, []) if start <= row[0] < end]


def _register_diff(
    *, meter: Meter, name: str, first: RegisterRead, last: RegisterRead, holds: list[Hold]
) -> ReadDiff | None:
    """The register's advance × multiplier (unwrapped at rollover); None, with a hold saying which
    register went backwards, when it fell; None without a hold when either read lacks the register."""
    start_value, end_value = getattr(first, name), getattr(last, name)
    if start_value is None or end_value is None:
        return None
    advance = register_advance(start=start_value, end=end_value, rollover=meter.rollover_kwh)
    if isinstance(advance, Backwards):
        holds.append(
            Hold(
                "register_backwards",
                f"meter {meter.meter_no} {REGISTER_NAMES.get(name, name)} register went backwards from "
                f"{start_value} ({local_date(first.read_at):%Y-%m-%d}) to {end_value} "
                f"({local_date(last.read_at):%Y-%m-%d}), not a rollover",
            )
        )
        return None
    return ReadDiff(
        meter=meter,
        register=name,
        start_at=first.read_at,
        start_value=start_value,
        end_at=last.read_at,
        end_value=end_value,
        kwh=round_kwh(advance * meter.multiplier),
    )


def _power_factor(active_kwh: Decimal, reactive_kvarh: Decimal) -> Decimal | None:
    if active_kwh <= 0:
        return None
    value = active_kwh / Decimal(math.sqrt(float(active_kwh**2 + reactive_kvarh**2)))
    return value.quantize(POWER_FACTOR_STEP, rounding=ROUND_HALF_UP)


def compute_bill(*, account: Account, context: BillingContext) -> BillDraft | str:
    """The bill of one account for the context's period, or a string saying why there is none."""
    period_start, period_end = context.period_start, context.period_end
    assignments = context.assignments.get(account.pk, [])
    if not assignments:
        return "no tariff assigned for the period"
    tariff = context.tariffs[assignments[0].tariff_id]
    versions = context.versions[tariff.pk]
    draft = BillDraft(account=account, period_start=period_start, period_end=period_end, tariff=tariff)
    if len(assignments) > 1:
        draft.holds.append(Hold("tariff_change", "the account's tariff assignment changes within the period"))
    # First and final bills: only the part of the period the account was supplied.
    supply_start = max(period_start, account.opened_on)
    supply_end = min(period_end, account.closed_on) if account.closed_on else period_end
    version = next((v for v in versions if v.covers(supply_start)), None)
    is_tou = bool(version and version.tou_calendar_id)

    consumption: dict[str, Decimal] = defaultdict(Decimal)
    readings: list[tuple[dt.datetime, Decimal]] = []
    estimated = total_interval = ZERO
    active_kwh = reactive = ZERO
    has_reactive = True
    meters = context.meters.get(account.pk, [])
    if not meters:
        draft.holds.append(Hold("missing_reads", "the account has no meter in the period"))
    for meter in meters:
        boundary = context.boundary_reads(meter)
        if boundary is not None:
            first, last = boundary
            for name in ("total", *TOU_REGISTERS):
                diff = _register_diff(meter=meter, name=name, first=first, last=last, holds=draft.holds)
                if diff is not None:
                    draft.reads.append(diff)
            diffs = {d.register: d.kwh for d in draft.reads if d.meter is meter}
            if is_tou:
                if not any(r in diffs for r in TOU_REGISTERS):
                    draft.holds.append(
                        Hold("missing_reads", f"meter {meter.meter_no} has no TOU registers for a time-of-use tariff")
                    )
                for name in TOU_REGISTERS:
                    consumption[name] += diffs.get(name, ZERO)
            else:
                consumption["total"] += diffs.get("total", ZERO)
            active_kwh += diffs.get("total", ZERO)
            reactive_diff = _register_diff(meter=meter, name="reactive", first=first, last=last, holds=draft.holds)
            if reactive_diff is not None:
                reactive += reactive_diff.kwh  # kvarh: the same unwrap, backwards check and multiplier
            else:
                has_reactive = False
            continue
        intervals = context.intervals(meter)
        if not intervals:
            draft.holds.append(
                Hold("missing_reads", f"meter {meter.meter_no} has neither start/end register reads nor interval data")
            )
            continue
        draft.consumption_source = "intervals"
        has_reactive = False
        for start, value, quality in intervals:
            kwh = value * meter.multiplier
            readings.append((start, kwh))
            total_interval += kwh
            if quality == Quality.ESTIMATED:
                estimated += kwh
        expected = int(
            (context.window(meter)[1] - context.window(meter)[0]) / dt.timedelta(minutes=meter.interval_minutes)
        )
        if len(intervals) < expected:
            draft.holds.append(
                Hold("missing_reads", f"meter {meter.meter_no} has {len(intervals)} of {expected} intervals")
            )

    if readings and consumption:
        # Mixed sources (an exchange between a register meter and an interval-only one): classify the
        # intervals on the period's calendar and price everything as per-period kWh.
        extra = (
            kwh_by_period(calendar=version_calendar(version), readings=readings)
            if is_tou and version  # is_tou: there is a version, with a calendar
            else {"total": total_interval}
        )
        for key, value in extra.items():
            consumption[key] += value
        readings = []
    draft.total_kwh = sum(consumption.values(), ZERO) + sum((kwh for _, kwh in readings), ZERO)
    draft.annual_kwh_before = context.annual_before.get(account.pk, ZERO)
    if total_interval:
        draft.estimated_share = round_share(estimated / total_interval)
        if draft.estimated_share > Decimal(str(settings.BILL_HOLD_ESTIMATED_SHARE)):
            draft.holds.append(Hold("estimated_data", f"{draft.estimated_share:.1%} of the kWh are estimated"))

    days = (supply_end - supply_start).days or 1
    average = context.daily_history.get(account.pk)
    if (
        draft.total_kwh == 0
        and account.status == Account.Status.ACTIVE
        and not any(h.code in ("missing_reads", "register_backwards") for h in draft.holds)
    ):
        draft.holds.append(Hold("zero_usage", "no consumption on an active account"))
    elif average and draft.total_kwh / days > Decimal(str(settings.BILL_HOLD_USAGE_FACTOR)) * average:
        draft.holds.append(
            Hold("high_usage", f"{draft.total_kwh / days:.1f} kWh/day against an average of {average:.1f}")
        )

    if version and version.power_factor_standard is not None:
        draft.power_factor = _power_factor(active_kwh, reactive) if has_reactive else None
        if draft.power_factor is None:
            if not any(h.code == "register_backwards" for h in draft.holds):
                draft.holds.append(Hold("no_power_factor", "no reactive-energy reads to compute the power factor"))
        elif not ZERO < draft.power_factor <= 1:
            draft.holds.append(
                Hold(
                    "impossible_power_factor",
                    f"computed power factor {draft.power_factor} ({active_kwh} kWh, {reactive} kvarh) is impossible",
                )
            )
    demand_basis = assignments[0].demand_basis
    if version and version.demand_rate is not None and demand_basis == TariffAssignment.DemandBasis.DEMAND:
        peaks = [
            value * meter.multiplier * 60 / meter.interval_minutes
            for meter in meters
            for _, value, _ in context.intervals(meter)
        ]
        draft.max_demand_kw = round_kw(max(peaks)) if peaks else None
        if draft.max_demand_kw is None:
            draft.holds.append(Hold("no_demand_data", "no interval data to find the month's maximum demand"))

    draft.quote_input = QuoteInput(
        period_start=supply_start,
        period_end=supply_end,
        consumption=dict(consumption) if not readings else {},
        annual_kwh_before=draft.annual_kwh_before,
        contracted_kva=account.contracted_kva,
        max_demand_kw=draft.max_demand_kw if draft.max_demand_kw is not None else ZERO,
        # Never substituted: a missing or impossible power factor holds the bill (above) and the
        # engine, given none, refuses to price the adjustment rather than assume the standard.
        power_factor=draft.power_factor if draft.power_factor is not None and ZERO < draft.power_factor <= 1 else None,
        demand_basis=demand_basis,
    )
    draft.quote_readings = readings or None
    try:
        draft.quote = quote_on_versions(
            tariff=tariff, versions=versions, data=draft.quote_input, readings=draft.quote_readings
        )
    except QuoteError as exc:
        if not (exc.field == "power_factor" and any(h.code in POWER_FACTOR_HOLDS for h in draft.holds)):
            draft.holds.append(Hold("cannot_price", str(exc)))
    return draft


def bill_draft_for(*, account: Account, period_start: dt.date, period_end: dt.date) -> BillDraft | str:
    """What a billing run would compute for the account and period now, without saving anything: the
    same reads or intervals, tier-year kWh billed before, power factor and demand, priced by the same
    engine (``draft.quote_input`` / ``draft.quote_readings`` are the engine's inputs)."""
    context = BillingContext(accounts=[account], period_start=period_start, period_end=period_end)
    return compute_bill(account=account, context=context)


def accounts_in_scope(*, period_start: dt.date, period_end: dt.date, account_ids: list[int] | None = None):
    """Accounts supplied at some point in the period."""
    queryset = Account.objects.filter(opened_on__lt=period_end).filter(
        Q(closed_on__isnull=True) | Q(closed_on__gt=period_start)
    )
    if account_ids is not None:
        queryset = queryset.filter(pk__in=account_ids)
    return queryset.order_by("pk")


@transaction.atomic
def start_billing_run(
    *,
    period_start: dt.date,
    period_end: dt.date,
    as_of: dt.datetime,
    account_ids: list[int] | None = None,
    chunk_size: int = 500,
) -> BillingRun:
    run = BillingRun.objects.create(
        period_start=period_start, period_end=period_end, as_of=as_of, account_ids=account_ids
    )
    ids = list(
        accounts_in_scope(period_start=period_start, period_end=period_end, account_ids=account_ids).values_list(
            "pk", flat=True
        )
    )
    BillingRunChunk.objects.bulk_create(
        BillingRunChunk(run=run, index=i, first_account_id=part[0], last_account_id=part[-1])
        for i, part in enumerate(ids[offset : offset + chunk_size] for offset in range(0, len(ids), chunk_size))
    )
    BillingRun.objects.filter(pk=run.pk).update(accounts=len(ids))
    run.refresh_from_db()
    return run


def _bill_from_draft(*, draft: BillDraft, run: BillingRun, revision: int) -> Bill:
    return Bill(
        account=draft.account,
        period_start=draft.period_start,
        period_end=draft.period_end,
        revision=revision,
        status=Bill.Status.HELD if draft.holds else Bill.Status.ISSUED,
        hold_reasons=[{"code": h.code, "message": h.message} for h in draft.holds],
        tariff=draft.tariff,
        split_method=(draft.quote.split_method or "") if draft.quote else "",
        consumption_source=draft.consumption_source,
        total_kwh=draft.total_kwh,
        annual_kwh_before=draft.annual_kwh_before,
        estimated_share=draft.estimated_share,
        power_factor=draft.power_factor,
        max_demand_kw=draft.max_demand_kw,
        amount=draft.amount,
        due_date=None if draft.holds else due_date_for(period_end=draft.period_end),
        issued_at=None if draft.holds else run.as_of,
        run=run,
    )


def _children(*, bill: Bill, draft: BillDraft, on: dt.date) -> tuple[list[BillLine], list[BillRead], list[LedgerEntry]]:
    lines = [
        BillLine(
            bill=bill,
            position=i,
            code=line.code,
            description=line.description[:200],
            quantity=line.quantity,
            unit=line.unit,
            rate=line.rate,
            amount=line.amount,
        )
        for i, line in enumerate(draft.quote.lines if draft.quote else [], start=1)
    ]
    reads = [
        BillRead(
            bill=bill,
            meter=r.meter,
            register=r.register,
            start_at=r.start_at,
            start_value=r.start_value,
            end_at=r.end_at,
            end_value=r.end_value,
            multiplier=r.meter.multiplier,
            kwh=r.kwh,
        )
        for r in draft.reads
    ]
    charge = bill_charge_entry(bill=bill, on=on) if bill.status == Bill.Status.ISSUED else None
    charges = [charge] if charge else []
    return lines, reads, charges


def save_draft(*, draft: BillDraft, run: BillingRun) -> Bill:
    """Save one bill (staff rebills, and the fallback when a chunk's bulk insert meets a race)."""
    revision = (
        Bill.objects.filter(account=draft.account, period_start=draft.period_start).aggregate(r=Max("revision"))["r"]
        or 0
    ) + 1
    bill = _bill_from_draft(draft=draft, run=run, revision=revision)
    bill.save()
    lines, reads, _ = _children(bill=bill, draft=draft, on=local_date(run.as_of))
    BillLine.objects.bulk_create(lines)
    BillRead.objects.bulk_create(reads)
    if bill.status == Bill.Status.ISSUED:
        post_bill_charge(bill=bill, on=local_date(run.as_of))
    return bill


def announce_issued(*, bill_ids: list[int]) -> None:
    """Tell the customers of newly issued bills once they have committed (nothing if the transaction
    rolls back). Services implements the task: billing, below services, enqueues it by name."""
    if bill_ids:
        enqueue_on_commit("services.notify_bills_issued", queue="notify", kwargs={"bill_ids": bill_ids})


def _save_drafts_in_bulk(*, drafts: list[BillDraft], run: BillingRun) -> list[Bill]:
    """A chunk's bills, lines, reads and ledger charges in four INSERTs."""
    revisions = dict(
        Bill.objects.filter(account__in=[d.account for d in drafts], period_start=run.period_start)
        .values_list("account_id")
        .annotate(r=Max("revision"))
    )
    bills = Bill.objects.bulk_create(
        [_bill_from_draft(draft=d, run=run, revision=revisions.get(d.account.pk, 0) + 1) for d in drafts],
        batch_size=1000,
    )
    on = local_date(run.as_of)
    lines, reads, charges = [], [], []
    for bill, draft in zip(bills, drafts, strict=True):
        bill_lines, bill_reads, bill_charges = _children(bill=bill, draft=draft, on=on)
        lines += bill_lines
        reads += bill_reads
        charges += bill_charges
    BillLine.objects.bulk_create(lines, batch_size=5000)
    BillRead.objects.bulk_create(reads, batch_size=5000)
    LedgerEntry.objects.bulk_create(charges, batch_size=5000)
    return bills


def _process_chunk(*, chunk: BillingRunChunk, run: BillingRun, announce: bool = True) -> None:
    accounts = list(
        accounts_in_scope(period_start=run.period_start, period_end=run.period_end, account_ids=run.account_ids).filter(
            pk__gte=chunk.first_account_id, pk__lte=chunk.last_account_id
        )
    )
    billed = set(
        Bill.objects.filter(LIVE, account__in=accounts, period_start=run.period_start).values_list(
            "account_id", flat=True
        )
    )
    todo = [a for a in accounts if a.pk not in billed]
    chunk.existing = len(billed)
    context = BillingContext(accounts=todo, period_start=run.period_start, period_end=run.period_end)
    drafts: list[BillDraft] = []
    for account in todo:
        draft = compute_bill(account=account, context=context)
        if isinstance(draft, str):
            chunk.skipped += 1
            chunk.problems[account.number] = draft
        else:
            drafts.append(draft)
    try:
        with transaction.atomic():
            bills = _save_drafts_in_bulk(drafts=drafts, run=run)
        saved = drafts
    except IntegrityError:
        # Someone billed one of these accounts meanwhile (a staff rebill): fall back to one by one.
        saved, bills = [], []
        for draft in drafts:
            try:
                with transaction.atomic():
                    bills.append(save_draft(draft=draft, run=run))
                saved.append(draft)
            except IntegrityError:
                chunk.existing += 1  # still exactly one bill
    # Credit already on the ledger (overpayments, prepaid top-ups) pays the new bills at once.
    apply_unallocated_payments(account_ids=[d.account.pk for d in saved if not d.holds])
    chunk.held += sum(1 for d in saved if d.holds)
    chunk.issued += sum(1 for d in saved if not d.holds)
    # A version that priced a bill is never edited again.
    used_versions = {segment.version.pk for d in saved if d.quote for segment in d.quote.segments}
    TariffVersion.objects.filter(pk__in=used_versions, locked_at__isnull=True).update(locked_at=run.as_of)
    chunk.done = True
    chunk.save()
    BillingRun.objects.filter(pk=run.pk).update(heartbeat_at=Now())
    if announce:  # with the chunk's commit: a chunk rolled back (and retried) announces nothing twice
        announce_issued(bill_ids=[bill.pk for bill in bills if bill.status == Bill.Status.ISSUED])


def run_billing(*, run_id: int, announce: bool = True) -> BillingRunResult:
    """Work through the run's open chunks until none is left; safe to call from several workers.
    ``announce``: tell customers of the bills issued (seeded demo history is not news, so not there)."""
    run = BillingRun.objects.get(pk=run_id)
    BillingRun.objects.filter(pk=run.pk, started_at__isnull=True).update(
        status=BillingRun.Status.RUNNING,
        started_at=Now(),  # the database clock: when a worker took it
    )
    BillingRun.objects.filter(pk=run.pk).update(heartbeat_at=Now())
    while True:
        with transaction.atomic():
            chunk = (
                BillingRunChunk.objects.select_for_update(skip_locked=True)
                .filter(run=run, done=False)
                .order_by("index")
                .first()
            )
            if chunk is None:
                break
            _process_chunk(chunk=chunk, run=run, announce=announce)
    totals = run.chunks.aggregate(
        issued=Sum("issued"), held=Sum("held"), existing=Sum("existing"), skipped=Sum("skipped")
    )
    if not run.chunks.filter(done=False).exists():
        problems: dict[str, str] = {}
        for chunk_problems in run.chunks.values_list("problems", flat=True):
            problems.update(chunk_problems)
        BillingRun.objects.filter(pk=run.pk).update(
            status=BillingRun.Status.COMPLETED,
            finished_at=Now(),
            problems=problems,
            **{k: v or 0 for k, v in totals.items()},
        )
    return BillingRunResult(run_id=run.pk, **{k: v or 0 for k, v in totals.items()})


def enqueue_billing_run(*, run: BillingRun, workers: int = 2) -> None:
    """Hand the run to ``workers`` Celery tasks on the billing queue once the run is committed; they
    share its chunks (SKIP LOCKED)."""
    for _ in range(max(1, workers)):
        enqueue_on_commit("billing.run_billing", queue="billing", kwargs={"run_id": run.pk})


@transaction.atomic
def queue_billing_run(
    *,
    period_start: dt.date,
    period_end: dt.date,
    as_of: dt.datetime,
    account_ids: list[int] | None = None,
    chunk_size: int = 500,
    workers: int = 2,
) -> BillingRun:
    """Start a run and hand it to the billing workers (staff's "start a billing run", ``run_billing
    --queue``): the workers are enqueued when the run and its chunks have committed."""
    run = start_billing_run(
        period_start=period_start, period_end=period_end, as_of=as_of, account_ids=account_ids, chunk_size=chunk_size
    )
    enqueue_billing_run(run=run, workers=workers)
    return run


OPEN_RUN_STATUSES = (BillingRun.Status.PENDING, BillingRun.Status.RUNNING)


def _has_worker(*, run: BillingRun) -> bool:
    """Whether a worker holds one of the run's open chunks now: a chunk is locked (FOR UPDATE) for as
    long as a worker bills it, and a dead worker's connection — and its lock — is gone."""
    with transaction.atomic():
        open_chunks = BillingRunChunk.objects.filter(run=run, done=False)
        lockable = open_chunks.select_for_update(skip_locked=True).values_list("pk", flat=True)
        return len(list(lockable)) < open_chunks.count()


def redrive_billing_run(*, run: BillingRun, workers: int = 2) -> bool:
    """Hand an unfinished run to the billing workers again (its queued messages were lost, or its
    worker died). Safe at any time: chunks are claimed with SKIP LOCKED and a billed account is never
    billed twice. Returns False when the run has nothing left to do."""
    if not BillingRunChunk.objects.filter(run=run, done=False).exists():
        if run.status in OPEN_RUN_STATUSES:
            enqueue_billing_run(run=run, workers=1)  # one pass adds up the totals and completes it
            return True
        return False
    BillingRun.objects.filter(pk=run.pk).update(redriven=F("redriven") + 1, redriven_at=Now())
    enqueue_billing_run(run=run, workers=workers)
    return True


def redrive_stalled_runs(*, as_of: dt.datetime, stalled_after: dt.timedelta) -> list[int]:
    """The beat janitor: every unfinished run with no worker on any of its chunks and no progress
    since ``stalled_after`` ago (or never started that long after it was queued) is re-driven — also
    one whose chunks are all done but whose worker died before adding up the totals.
    Returns the ids re-driven."""
    cutoff = as_of - stalled_after
    candidates = (
        BillingRun.objects.filter(status__in=OPEN_RUN_STATUSES)
        .filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff))
        .filter(Q(redriven_at__isnull=True) | Q(redriven_at__lt=cutoff))
        .order_by("pk")
    )
    redriven = []
    for run in candidates:
        if not _has_worker(run=run) and redrive_billing_run(run=run):
            redriven.append(run.pk)
    return redriven
