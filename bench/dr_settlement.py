#!/usr/bin/env python
"""Settlement of one 4-hour demand-response event for N accounts on PostgreSQL (target: 10,000 in ≤ 60 s
on 2 cores), against a straightforward per-account implementation measured in the same run.

    .venv/bin/python bench/dr_settlement.py [--accounts 10000] [--sample 200]

Database: BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/mp_bench_dr. It is DROPPED
and re-created (its name must contain "bench"). Seeding is not timed: N residential accounts with one
15-minute meter each and 46 days of readings (45 look-back days and the event day, 14:00–18:00 on a
working day), every account enrolled and opted in. Then, in the same run:

1. the reference: per account, its readings through the ORM into a pandas series, the per-account
   baseline (similar working days), measurement and gaming check, for ``--sample`` accounts;
2. ``settle_event``: the whole event, set-wise (one COPY, batch baselines, vectorised measurement and
   gaming, Decimal pricing, settlements and ledger entries written).

Prints accounts/s for both and the settlement's wall time; the last line is the ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _common import connect, cpu_model, recreate_database, throwaway_key  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/mp_bench_dr"
EVENT_DAY = dt.date(2026, 8, 12)  # a Wednesday
DAYS = 46


def setup_django(url: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="marketing_portal.settings.local",
        DJANGO_DEBUG="false",
        DATABASE_URL=url,
        SECRET_KEY=secrets.token_urlsafe(50),
        FIELD_ENCRYPTION_KEYS=f"bench:{throwaway_key()}",
        BLIND_INDEX_KEY=throwaway_key(),
    )
    import django

    django.setup()


def seed(*, url: str, accounts: int) -> int:
    from django.core.management import call_command

    from billing.models import Meter
    from core.time import SHANGHAI
    from customers.models import Account, Customer, Feeder, TransformerArea
    from services.actions.demand_response.programs import add_terms_version
    from services.models import DREnrolment, DREvent, DRParticipation, DRProgram

    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"  migrated in {time.perf_counter() - began:.1f} s")
    feeder = Feeder.objects.create(code="F-BENCH", name="bench feeder")
    areas = [TransformerArea.objects.create(code=f"TA-B{i:03d}", name=f"台区{i}", feeder=feeder) for i in range(20)]
    customers = Customer.objects.bulk_create(
        Customer(name=f"住户{i}", kind=Customer.Kind.INDIVIDUAL, phone=f"139{i:08d}", address="杭州")
        for i in range(accounts)
    )
    account_rows = Account.objects.bulk_create(
        Account(
            number=f"55{i:08d}",
            customer=customers[i],
            premise_address="杭州",
            category=Account.Category.RESIDENTIAL,
            voltage_level=Account.VoltageLevel.V220,
            contracted_kva=Decimal("8"),
            opened_on=dt.date(2020, 1, 1),
            area=areas[i % len(areas)],
        )
        for i in range(accounts)
    )
    installed = dt.datetime(2026, 1, 1, tzinfo=SHANGHAI)
    meters = Meter.objects.bulk_create(
        Meter(meter_no=f"BM{i:09d}", account=a, area=a.area, installed_at=installed) for i, a in enumerate(account_rows)
    )
    began = time.perf_counter()
    write_readings(url=url, meter_ids=[m.pk for m in meters])
    print(f"  readings written in {time.perf_counter() - began:.1f} s")
    program = DRProgram.objects.create(
        code="bench",
        name="bench program",
        kind=DRProgram.Kind.PEAK_SHAVING,
        notice_class=DRProgram.NoticeClass.DAY_AHEAD,
        min_notice_minutes=60,
        valid_from=dt.date(2026, 6, 1),
        eligible_categories=["residential"],
        baseline_method=DRProgram.BaselineMethod.SIMILAR_WORKING_DAYS,
    )
    terms = add_terms_version(program=program, valid_from=dt.date(2026, 6, 1), energy_price=Decimal("1.5"))
    now = dt.datetime(2026, 8, 1, 9, tzinfo=SHANGHAI)
    enrolments = DREnrolment.objects.bulk_create(
        DREnrolment(
            program=program, account=a, committed_kw=Decimal("0.8"), terms=terms, accepted_at=now, channel="hall"
        )
        for a in account_rows
    )
    start = dt.datetime.combine(EVENT_DAY, dt.time(14), tzinfo=SHANGHAI)
    event = DREvent.objects.create(
        program=program,
        name="bench event",
        start=start,
        end=start + dt.timedelta(hours=4),
        notice_at=start - dt.timedelta(hours=20),
        response_deadline=start - dt.timedelta(hours=4),
        requested_kw=Decimal(accounts),
        status=DREvent.Status.COMPLETED,
    )
    DRParticipation.objects.bulk_create(
        DRParticipation(
            event=event,
            enrolment=e,
            account_id=e.account_id,
            committed_kw=e.committed_kw,
            response="opted_in",
            invited_at=event.notice_at,
        )
        for e in enrolments
    )
    return event.pk


# Set-wise seeding: PostgreSQL generates every reading itself (INSERT … SELECT over generate_series) into
# a fresh UNLOGGED table without indexes, which then gets its primary key and is attached as the
# partition of billing_intervalreading for the bench's days: 10,000 accounts × 46 days × 96 intervals
# (44 million rows) in a few minutes rather than the hour a Python loop writing COPY text takes (no
# WAL, one index build instead of 44 million index insertions). Reading it back is what production
# reads do: the same partitioned table, heap and primary-key index. The load: an afternoon peak
# profile (1.0 + 0.8·sin²(2π·slot/96 − 2) kW) × a per-meter scale in [0.5, 2.0) × ±10 % noise per
# interval, and the event day's 14:00–18:00 reduced by 40 %.
READINGS_SQL = """
INSERT INTO bench_readings (meter_id, interval_start, kwh, quality)
SELECT m.id,
       %(first)s::timestamptz + make_interval(mins => 15 * s.i),
       round((
           (1.0 + 0.8 * power(sin(2 * pi() * (s.i %% 96) / 96.0 - 2.0), 2))
           * (0.5 + 1.5 * ((m.id * 2654435761) %% 1000) / 1000.0)
           * (0.9 + 0.2 * random())
           * CASE WHEN s.i >= %(event_from)s AND s.i < %(event_to)s THEN 0.6 ELSE 1.0 END
           / 4)::numeric, 4),
       0
FROM unnest(%(meters)s::bigint[]) AS m(id)
CROSS JOIN generate_series(0, %(slots)s - 1) AS s(i)
ORDER BY m.id, s.i
"""
SEED_BLOCK = 2000  # meters per INSERT


def write_readings(*, url: str, meter_ids: list[int]) -> None:
    from core.time import SHANGHAI

    first = dt.datetime.combine(EVENT_DAY - dt.timedelta(days=DAYS - 1), dt.time(), tzinfo=SHANGHAI)
    following = dt.datetime.combine(EVENT_DAY + dt.timedelta(days=1), dt.time(), tzinfo=SHANGHAI)
    event_from = (DAYS - 1) * 96 + 56  # the event day, 14:00
    connection = connect(url)
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.2026)")
        cursor.execute(
            "CREATE UNLOGGED TABLE bench_readings (LIKE billing_intervalreading INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )
        for offset in range(0, len(meter_ids), SEED_BLOCK):
            cursor.execute(
                READINGS_SQL,
                {
                    "first": first,
                    "event_from": event_from,
                    "event_to": event_from + 16,
                    "meters": meter_ids[offset : offset + SEED_BLOCK],
                    "slots": DAYS * 96,
                },
            )
        cursor.execute("ALTER TABLE bench_readings ADD PRIMARY KEY (meter_id, interval_start)")
        cursor.execute(
            "ALTER TABLE billing_intervalreading ATTACH PARTITION bench_readings FOR VALUES FROM (%s) TO (%s)",
            [first, following],
        )
        connection.commit()
        cursor.execute("ANALYZE")
        connection.commit()
    connection.close()


def reference(*, event_id: int, sample: int) -> float:
    """Seconds per account of the straightforward way: ORM rows → pandas → per-account functions."""
    import pandas as pd

    from analytics.demand_response import Direction, EventWindow, compute_baseline
    from analytics.demand_response.gaming import check_gaming
    from analytics.demand_response.measurement import measure_performance
    from billing.models import IntervalReading, Meter
    from core.time import local_midnight
    from services.actions.demand_response.settlement import baseline_settings, dr_day_kind
    from services.models import DREvent

    event = DREvent.objects.select_related("program").get(pk=event_id)
    window = EventWindow(start=event.start, end=event.end, notice_at=event.notice_at)
    settings = baseline_settings(program=event.program)
    first = local_midnight(EVENT_DAY - dt.timedelta(days=DAYS - 1))
    participations = list(event.participations.order_by("account_id")[:sample])
    began = time.perf_counter()
    for participation in participations:
        meter = Meter.objects.get(account_id=participation.account_id)
        rows = list(
            IntervalReading.objects.filter(meter_id=meter.pk, interval_start__gte=first).values_list(
                "interval_start", "kwh", "quality"
            )
        )
        load = pd.Series([float(k) * 4 for _, k, _ in rows], index=pd.DatetimeIndex([t for t, _, _ in rows]))
        quality = pd.Series([q for _, _, q in rows], index=load.index)
        result = compute_baseline(
            method=event.program.baseline_method,
            load=load,
            event=window,
            day_kind=dr_day_kind,
            quality=quality,
            settings=settings,
        )
        actual = load.reindex(result.values.index)
        measure_performance(
            baseline=result.values,
            actual=actual,
            direction=Direction.SHAVE,
            committed_kw=participation.committed_kw,
            interval_minutes=15,
        )
        check_gaming(load=load, event=window, baseline_days=result.days_used, day_kind=dr_day_kind)
    return (time.perf_counter() - began) / max(len(participations), 1)


class BackendCpu:
    """CPU seconds of this database's PostgreSQL backends while it runs (PostgreSQL on this machine):
    /proc is polled every 50 ms for their processes and the last reading of each is kept. On a loaded
    machine wall time says little; this process's CPU plus its backends' CPU, over the 2 cores, is the
    time the set-wise work would take on an idle machine (a lower bound: the pipeline never overlaps
    perfectly)."""

    def __init__(self, dbname: str) -> None:
        import threading

        self.marker = f" {dbname} ".encode()
        self.ticks = os.sysconf("SC_CLK_TCK")
        self.seen: dict[int, float] = {}
        self.baseline: dict[int, float] = {}
        self.others: set[str] = set()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def _scan(self) -> dict[int, float]:
        found = {}
        for name in os.listdir("/proc"):
            if not name.isdigit() or name in self.others:
                continue
            entry = Path("/proc") / name
            try:
                command = (entry / "cmdline").read_bytes()
                if not command.startswith(b"postgres:") or self.marker not in command:
                    self.others.add(name)  # pids are not reused within a run, in practice
                    continue
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                found[int(entry.name)] = (int(fields[11]) + int(fields[12])) / self.ticks
            except OSError:
                continue
        return found

    def _poll(self) -> None:
        while not self.stop.wait(0.05):
            self.seen.update(self._scan())

    def __enter__(self) -> BackendCpu:
        self.baseline = self._scan()
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()
        self.seen.update(self._scan())

    @property
    def seconds(self) -> float:
        return sum(cpu - self.baseline.get(pid, 0.0) for pid, cpu in self.seen.items())


def unsettle(*, accounts: int) -> int:
    """The previous run's event back to "completed", its settlements and ledger entries gone."""
    from billing.models import LedgerEntry
    from services.models import DREvent, DRProgramTerms, DRSettlement

    event = DREvent.objects.get(name="bench event")
    if event.participations.count() != accounts:
        sys.exit(
            f"the seeded database has {event.participations.count()} accounts, not {accounts}: run without --reuse"
        )
    DRSettlement.objects.filter(participation__event=event).delete()
    LedgerEntry.objects.filter(posting_key__startswith=f"dr:{event.pk}:").delete()
    DRProgramTerms.objects.filter(program=event.program).update(locked_at=None)
    DREvent.objects.filter(pk=event.pk).update(status=DREvent.Status.COMPLETED)
    return event.pk


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="print settle_event's top functions (cProfile)")
    parser.add_argument("--seed-only", action="store_true", help="seed the database and stop (then run with --reuse)")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the database of the previous run (same --accounts) and only undo its settlement",
    )
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if args.reuse:
        setup_django(url)
        event_id = unsettle(accounts=args.accounts)
        print(f"reusing the seeded database: {args.accounts} accounts × {DAYS} days")
    else:
        recreate_database(url)
        setup_django(url)
        seeding = time.perf_counter()
        event_id = seed(url=url, accounts=args.accounts)
        print(f"seeded {args.accounts} accounts × {DAYS} days in {time.perf_counter() - seeding:.1f} s (not timed)")
        if args.seed_only:
            return

    from django.db import connection

    from billing.models import LedgerEntry
    from core.time import SHANGHAI
    from services.actions.demand_response.settlement import settle_event
    from services.models import DREvent, DRSettlement

    cpu = cpu_model()
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"machine: {os.cpu_count()} cores, {cpu}; PostgreSQL {connection.pg_version // 10000}; load average {load}")
    per_account = reference(event_id=event_id, sample=args.sample)
    print(
        f"reference (per account, ORM + pandas): {per_account * 1000:.1f} ms/account = {1 / per_account:.0f} accounts/s"
    )

    event = DREvent.objects.get(pk=event_id)
    settled_at = dt.datetime(2026, 8, 13, 9, tzinfo=SHANGHAI)
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    began, cpu_began = time.perf_counter(), time.process_time()
    with BackendCpu(connection.settings_dict["NAME"]) as backends:
        run = settle_event(event=event, now=settled_at)
    elapsed, own_cpu = time.perf_counter() - began, time.process_time() - cpu_began
    if profiler is not None:
        import pstats

        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(70)
    posted = LedgerEntry.objects.filter(posting_key__startswith=f"dr:{event_id}:").count()
    statuses = dict.fromkeys(DRSettlement.Status.values, 0)
    for status in DRSettlement.objects.values_list("status", flat=True):
        statuses[status] += 1
    print(
        f"settle_event: {args.accounts} accounts in {elapsed:.1f} s = {args.accounts / elapsed:.0f} accounts/s; {run}"
    )
    print(f"ledger entries posted: {posted}; settlements by status: {statuses}")
    idle = max(own_cpu, (own_cpu + backends.seconds) / 2)
    print(
        f"CPU: this process {own_cpu:.1f} s, its PostgreSQL backends {backends.seconds:.1f} s "
        f"→ on an idle 2-core machine ≈ {idle:.1f} s (lower bound)"
    )
    print(f"ratio settle_event ÷ reference (accounts/s): {(args.accounts / elapsed) * per_account:.1f}")


if __name__ == "__main__":
    main()
