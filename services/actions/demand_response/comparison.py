"""Every baseline method side by side for one event (the staff "compare baselines" page): the same data
and rules settlement uses (interval load of the opted-in accounts, their prior-event days, the
program's baseline options), each method through the analytics batch functions — the regression one
account at a time, as settlement does. It writes nothing; it lives beside settlement because it needs
settlement's loading and settings, which selectors may not import."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from analytics.demand_response import BaselineMethod, EventWindow
from core.time import SHANGHAI, local_date, local_midnight
from services.actions.demand_response.readings import load_arrays
from services.actions.demand_response.settlement import (
    BATCH_METHODS,
    _excluded_days,
    _regression,
    baseline_settings,
    dr_day_kind,
)
from services.models import DREvent, DRParticipation

KWH3 = Decimal("0.001")
REGRESSION_LIMIT = 500  # accounts: the regression runs per account (~8 ms each); beyond this it is left out


@dataclass(frozen=True)
class AccountComparison:
    account_id: int
    account_number: str
    actual_kwh: Decimal | None
    kwh: dict[str, Decimal | None]  # method value → baseline kWh over the window


@dataclass(frozen=True)
class BaselineComparisonTable:
    event: DREvent
    program_method: str  # the method the program settles with
    methods: list[str]  # in order: the batch methods, then the regression when computed
    slots: list[dt.datetime]  # local interval starts of the event window
    aggregate_kw: dict[str, list[float | None]]  # method → Σ over accounts of baseline kW per interval
    actual_kw: list[float | None]  # Σ over accounts of actual kW per interval
    accounts: list[AccountComparison] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _kwh(values: np.ndarray) -> Decimal | None:
    if np.isnan(values).all():
        return None
    return Decimal(f"{float(np.nansum(values)) * 0.25:.6f}").quantize(KWH3)


def _aggregate(values: np.ndarray) -> list[float | None]:
    """Σ over accounts per interval, kW to 0.001; None where no account had a value."""
    if values.shape[0] == 0:
        return [None] * values.shape[1]
    present = ~np.isnan(values).all(axis=0)
    sums = np.nansum(values, axis=0)
    return [round(float(s), 3) if ok else None for s, ok in zip(sums, present, strict=True)]


def compare_event_baselines(*, event: DREvent, regression_limit: int = REGRESSION_LIMIT) -> BaselineComparisonTable:
    event = DREvent.objects.select_related("program").get(pk=event.pk)
    program = event.program
    participations = list(
        event.participations.filter(response=DRParticipation.Response.OPTED_IN)
        .select_related("account")
        .order_by("account_id")
    )
    settings = baseline_settings(program=program)
    event_day = local_date(event.start)
    first_day = event_day - dt.timedelta(days=max(settings.lookback_days, 7 * settings.regression_weeks))
    account_ids = [p.account_id for p in participations]
    arrays = load_arrays(account_ids=account_ids, first_day=first_day, last_day=event_day)
    excluded = _excluded_days(event=event, account_ids=account_ids, first_day=first_day)
    window = EventWindow(start=event.start, end=event.end, notice_at=event.notice_at)
    first_col = int((event.start - local_midnight(event_day)).total_seconds() // 900)
    last_col = int((event.end - local_midnight(event_day)).total_seconds() // 900)
    slots = [event.start.astimezone(SHANGHAI) + dt.timedelta(minutes=15 * k) for k in range(last_col - first_col)]

    values: dict[str, np.ndarray] = {}
    notes: list[str] = []
    if participations:
        for method, batch in BATCH_METHODS.items():
            result = batch(
                load=arrays.load_kw,
                first_day=first_day,
                event=window,
                day_kind=dr_day_kind,
                estimated=arrays.estimated,
                excluded=excluded,
                settings=settings,
            )
            values[method.value] = result.values
        if len(participations) <= regression_limit:
            regression, _, _, fallbacks = _regression(
                arrays=arrays,
                window=window,
                excluded=excluded,
                settings=settings,
                first_col=first_col,
                last_col=last_col,
            )
            values[BaselineMethod.REGRESSION.value] = regression
            if fallbacks:
                notes.append(
                    f"regression: {len(fallbacks)} account(s) fell back to similar working days "
                    f"({next(iter(fallbacks.values()))})"
                )
        else:
            notes.append(f"regression left out: more than {regression_limit} accounts")
    actual = arrays.load_kw[:, -1, first_col:last_col]
    accounts = [
        AccountComparison(
            account_id=p.account_id,
            account_number=p.account.number,
            actual_kwh=_kwh(actual[row]),
            kwh={method: _kwh(array[row]) for method, array in values.items()},
        )
        for row, p in enumerate(participations)
    ]
    return BaselineComparisonTable(
        event=event,
        program_method=program.baseline_method,
        methods=list(values),
        slots=slots,
        aggregate_kw={method: _aggregate(array) for method, array in values.items()},
        actual_kw=_aggregate(actual),
        accounts=accounts,
        notes=notes,
    )
