"""The vectorised gaming check agrees with the per-account one, account by account."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from analytics.demand_response import DayKind, EventWindow
from analytics.demand_response.gaming import check_gaming
from analytics.demand_response.gaming_batch import gaming_batch
from core.time import SHANGHAI

FIRST = dt.date(2026, 6, 1)  # a Monday
DAYS = 60
EVENT_DAY = FIRST + dt.timedelta(days=DAYS - 1)


def kind(day: dt.date) -> DayKind:
    return DayKind.WORKING if day.weekday() < 5 else DayKind.NON_WORKING


def test_batch_flags_equal_single_account_flags():
    rng = np.random.default_rng(7)
    accounts = 12
    base = rng.uniform(2, 6, size=(accounts, 1, 96))
    load = base + rng.normal(0, 0.2, size=(accounts, DAYS, 96))
    start = dt.datetime.combine(EVENT_DAY, dt.time(14), SHANGHAI)
    event = EventWindow(start=start, end=start + dt.timedelta(hours=2), notice_at=start - dt.timedelta(hours=5))
    used = np.zeros((accounts, DAYS), dtype=bool)
    working_rows = [r for r in range(DAYS - 1) if kind(FIRST + dt.timedelta(days=r)) is DayKind.WORKING]
    used[:, working_rows[-5:]] = True
    # Account 3 inflated its baseline days' event window (×2); account 5 ramped up after notice (×1.6).
    for row in working_rows[-5:]:
        load[3, row, 56:64] *= 2.0
    load[5, DAYS - 1, 36:56] *= 1.6
    batch = gaming_batch(load=load, first_day=FIRST, event=event, days_used=used, day_kind=kind)
    index = pd.date_range(dt.datetime.combine(FIRST, dt.time(), SHANGHAI), periods=DAYS * 96, freq="15min")
    for account in range(accounts):
        series = pd.Series(load[account].reshape(-1), index=index)
        single = check_gaming(
            load=series,
            event=event,
            baseline_days=[FIRST + dt.timedelta(days=r) for r in working_rows[-5:]],
            day_kind=kind,
        )
        assert batch.flagged[account] == single.flagged, account
        assert int(batch.spike_runs[account]) == len(single.evidence.spikes), account
    assert batch.flagged[3] and batch.flagged[5]
    assert not batch.flagged[[0, 1, 2, 4]].any()
