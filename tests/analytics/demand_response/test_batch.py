"""The vectorised batch gives what the per-account functions give, account by account."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analytics.demand_response import (
    DEFAULT_SETTINGS,
    AdjustmentKind,
    BaselineMethod,
    Quality,
    compute_baseline,
)
from analytics.demand_response.batch import (
    high_5_of_10_baseline_batch,
    similar_days_baseline_batch,
    ten_of_ten_baseline_batch,
)

from .helpers import at, d, event_on, mainland_day_kind

BATCH = {
    BaselineMethod.SIMILAR_WORKING_DAYS: similar_days_baseline_batch,
    BaselineMethod.HIGH_5_OF_10: high_5_of_10_baseline_batch,
    BaselineMethod.TEN_OF_TEN_ADJUSTED: ten_of_ten_baseline_batch,
}


def random_accounts(event_day: dt.date, *, accounts: int, per_day: int, seed: int):
    """Accounts × days × intervals with level shifts (some days abnormal), holes, estimates and exclusions."""
    rng = np.random.default_rng(seed)
    first_day = event_day - dt.timedelta(days=DEFAULT_SETTINGS.lookback_days + 1)
    n_days = (event_day - first_day).days + 1
    level = rng.uniform(5, 500, (accounts, 1, 1))
    day_factor = rng.choice([1.0, 1.0, 1.0, 1.4, 0.6], (accounts, n_days, 1))
    load = level * day_factor * (1 + rng.normal(0, 0.05, (accounts, n_days, per_day)))
    load[rng.random(load.shape) < 0.01] = np.nan
    estimated = rng.random(load.shape) < 0.01
    excluded = rng.random((accounts, n_days)) < 0.08
    excluded[:, -1] = False
    return first_day, load, estimated, excluded


def as_series(first_day, load_row, est_row, per_day):
    minutes = 24 * 60 // per_day
    index = pd.date_range(at(first_day, 0), periods=load_row.size, freq=f"{minutes}min")
    flat = load_row.reshape(-1)
    keep = ~np.isnan(flat)  # missing = absent timestamps, as the ingestion delivers them
    load = pd.Series(flat[keep], index=index[keep])
    quality = pd.Series(
        np.where(est_row.reshape(-1)[keep], int(Quality.ESTIMATED), int(Quality.ACTUAL)), index=index[keep]
    )
    return load, quality


@pytest.mark.parametrize("method", list(BATCH))
@pytest.mark.parametrize(
    ("event_day", "per_day", "kind"),
    [
        (d("2026-10-20"), 24, AdjustmentKind.RATIO),
        (d("2026-10-17"), 96, AdjustmentKind.DIFFERENCE),
        (d("2026-10-12"), 48, AdjustmentKind.RATIO),
    ],
)
def test_batch_equals_per_account(method, event_day, per_day, kind):
    settings = dataclasses.replace(DEFAULT_SETTINGS, adjustment_kind=kind)
    first_day, load, estimated, excluded = random_accounts(event_day, accounts=40, per_day=per_day, seed=per_day)
    # Day-ahead notice for one case, same-day for the others.
    notice = at(event_day - dt.timedelta(days=1), 17) if per_day == 48 else at(event_day, 10)
    event = event_on(event_day, notice=notice)
    batch = BATCH[method](
        load=load,
        first_day=first_day,
        event=event,
        day_kind=mainland_day_kind,
        estimated=estimated,
        excluded=excluded,
        settings=settings,
    )
    days = [first_day + dt.timedelta(days=i) for i in range(load.shape[1])]
    for account in range(load.shape[0]):
        series, quality = as_series(first_day, load[account], estimated[account], per_day)
        single = compute_baseline(
            method=method,
            load=series,
            quality=quality,
            event=event,
            day_kind=mainland_day_kind,
            excluded_days={day: "event" for day, flag in zip(days, excluded[account], strict=True) if flag},
            settings=settings,
        )
        used = tuple(day for day, flag in zip(days, batch.days_used[account], strict=True) if flag)
        assert used == single.days_used, account
        assert bool(batch.insufficient[account]) == single.insufficient
        np.testing.assert_allclose(batch.values[account], single.values.to_numpy(), rtol=1e-12)
        if method is BaselineMethod.TEN_OF_TEN_ADJUSTED:
            assert batch.adjustment_applied[account] == pytest.approx(single.adjustment.applied, rel=1e-12)


def test_batch_checks_its_shape():
    with pytest.raises(ValueError, match="event day"):
        similar_days_baseline_batch(
            load=np.ones((2, 5, 24)),
            first_day=d("2026-10-01"),
            event=event_on(d("2026-10-20")),
            day_kind=mainland_day_kind,
        )
