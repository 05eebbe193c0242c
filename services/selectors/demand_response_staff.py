"""Staff reads of demand-response results: one event's settlements per account, the season figures of
the dashboard panel, and an event's aggregate baseline vs actual curve (from the stored settlement
details, so the panel shows exactly what was paid on).

Definitions (docs/demand-response.md, "Staff console"):

* **events** — dispatched events (scheduled, in progress, completed, settled; not drafts, not
  cancelled) whose start lies in the period;
* **requested MW** — Σ requested kW ÷ 1000; **verified MW** — Σ over settlements of the verified
  average kW ÷ 1000 (an event's accounts respond at the same time, so their kW add up);
* **cost** — Σ net of the settlements (incentive − penalty, posted or not yet); **cost per verified
  kWh** — cost ÷ Σ verified kWh, CNY to 0.0001, half up;
* **participation rate** — opted-in participations ÷ invited participations, in %, to 0.1 half up.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from core.money import percent
from services.models import DREvent, DRParticipation, DRSettlement

ZERO = Decimal("0")
MW = Decimal("1000")
MW_STEP = Decimal("0.001")
UNIT_COST_STEP = Decimal("0.0001")
COUNTED = (DREvent.Status.SCHEDULED, DREvent.Status.ACTIVE, DREvent.Status.COMPLETED, DREvent.Status.SETTLED)


def event_settlements(*, event: DREvent) -> QuerySet[DRSettlement]:
    return (
        DRSettlement.objects.filter(participation__event=event)
        .select_related("participation__account")
        .order_by("participation__account__number")
    )


def event_result_rows(*, event: DREvent) -> list[dict]:
    """One row per settled account, the figures exactly as stored on its ``DRSettlement``."""
    methods = dict(event.program.BaselineMethod.choices)
    statuses = dict(DRSettlement.Status.choices)
    return [
        {
            "account": s.participation.account.number,
            "baseline_method": str(methods.get(s.baseline_method, s.baseline_method)),
            "baseline_kwh": s.baseline_kwh,
            "actual_kwh": s.actual_kwh,
            "verified_kwh": s.verified_kwh,
            "verified_kw": s.verified_kw,
            "committed_kw": s.participation.committed_kw,
            "ratio": s.ratio,
            "incentive": s.incentive,
            "penalty": s.penalty,
            "net": s.net,
            "flags": ", ".join(f.get("code", "") for f in s.flags or []),
            "status": str(statuses.get(s.status, s.status)),
            "revision": s.revision,
        }
        for s in event_settlements(event=event)
    ]


def season_events(*, start: dt.datetime, end: dt.datetime, area_ids: list[int] | None = None) -> list[dict]:
    """Per dispatched event starting in [start, end): requested and verified MW, cost, cost per verified
    kWh and the participation rate (module docstring). ``area_ids`` narrows the accounts counted."""
    events = DREvent.objects.filter(start__gte=start, start__lt=end, status__in=COUNTED).select_related("program")
    participations = DRParticipation.objects.filter(event__in=events)
    settlements = DRSettlement.objects.filter(participation__event__in=events)
    if area_ids is not None:
        participations = participations.filter(account__area_id__in=area_ids)
        settlements = settlements.filter(participation__account__area_id__in=area_ids)
    invited = {
        row["event_id"]: row
        for row in participations.values("event_id").annotate(
            invited=Count("id"), opted_in=Count("id", filter=Q(response=DRParticipation.Response.OPTED_IN))
        )
    }
    settled: dict[int, dict[str, Any]] = {
        row["participation__event_id"]: dict(row)
        for row in settlements.values("participation__event_id").annotate(
            verified_kw=Sum("verified_kw"), verified_kwh=Sum("verified_kwh"), cost=Sum("net"), settled=Count("id")
        )
    }
    rows = []
    for event in events.order_by("start"):
        counts = invited.get(event.pk, {"invited": 0, "opted_in": 0})
        money = settled.get(event.pk, {})
        rows.append(
            _figures(
                event=event,
                requested_kw=event.requested_kw,
                verified_kw=money.get("verified_kw") or ZERO,
                verified_kwh=money.get("verified_kwh") or ZERO,
                cost=money.get("cost") or ZERO,
                invited=counts["invited"],
                opted_in=counts["opted_in"],
                settled=money.get("settled", 0),
            )
        )
    return rows


def season_total(rows: list[dict]) -> dict | None:
    """The same figures over all the events of ``season_events`` (sums, then the ratios)."""
    if not rows:
        return None
    return _figures(
        event=None,
        requested_kw=sum((r["requested_kw"] for r in rows), ZERO),
        verified_kw=sum((r["verified_kw"] for r in rows), ZERO),
        verified_kwh=sum((r["verified_kwh"] for r in rows), ZERO),
        cost=sum((r["cost"] for r in rows), ZERO),
        invited=sum(r["invited"] for r in rows),
        opted_in=sum(r["opted_in"] for r in rows),
        settled=sum(r["settled"] for r in rows),
        events=len(rows),
    )


def _figures(
    *,
    event: DREvent | None,
    requested_kw: Decimal,
    verified_kw: Decimal,
    verified_kwh: Decimal,
    cost: Decimal,
    invited: int,
    opted_in: int,
    settled: int,
    events: int = 1,
) -> dict:
    return {
        "event": event,
        "events": events,
        "requested_kw": requested_kw,
        "verified_kw": verified_kw,
        "verified_kwh": verified_kwh,
        "requested_mw": (requested_kw / MW).quantize(MW_STEP, rounding=ROUND_HALF_UP),
        "verified_mw": (verified_kw / MW).quantize(MW_STEP, rounding=ROUND_HALF_UP),
        "verified_share": percent(verified_kw, requested_kw) if requested_kw else None,
        "cost": cost,
        "cost_per_kwh": (cost / verified_kwh).quantize(UNIT_COST_STEP, rounding=ROUND_HALF_UP)
        if verified_kwh
        else None,
        "invited": invited,
        "opted_in": opted_in,
        "settled": settled,
        "participation_rate": percent(opted_in, invited) if invited else None,
    }


def event_curve(*, event: DREvent, area_ids: list[int] | None = None) -> dict:
    """Σ over the event's settlements of baseline and actual kW per interval (the stored details):
    ``slots`` (local interval starts, ISO), ``baseline_kw`` and ``actual_kw`` (None where no account
    had a value), ``accounts`` counted."""
    settlements = DRSettlement.objects.filter(participation__event=event)
    if area_ids is not None:
        settlements = settlements.filter(participation__account__area_id__in=area_ids)
    slots: list[str] = []
    baseline: list[Decimal | None] = []
    actual: list[Decimal | None] = []
    accounts = 0
    for detail in settlements.values_list("detail", flat=True).iterator():
        if not detail or not detail.get("slots"):
            continue
        accounts += 1
        if not slots:
            slots = list(detail["slots"])
            baseline, actual = [None] * len(slots), [None] * len(slots)
        for series, key in ((baseline, "baseline_kw"), (actual, "actual_kw")):
            for k, value in enumerate(detail.get(key) or []):
                if value is not None and k < len(series):
                    series[k] = (series[k] or ZERO) + Decimal(str(value))
    return {"slots": slots, "baseline_kw": baseline, "actual_kw": actual, "accounts": accounts}


def events_for_choice(*, start: dt.datetime, end: dt.datetime) -> list[DREvent]:
    """Events with settlements in the period, latest first (the panel's event picker)."""
    return list(
        DREvent.objects.filter(start__gte=start, start__lt=end, participations__settlement__isnull=False)
        .distinct()
        .order_by("-start")
    )
