"""BL writes of events over OpenADR. An OpenADR event is a DREvent, created and dispatched at once
(POST = publish) through the same rules as staff's events (services.actions.demand_response.events:
quarter hours, season, terms, notice, enrolled accounts in the targets); its OpenADR-only fields go to
OadrEvent. Targets: ``account:<number>``, ``area:<code>``, ``feeder:<code>`` and ``segment:<id>`` are
our event targets; any other string is an OpenADR target, reaching the accounts of the resources of
the vens (or the resources) it was granted to. DELETE cancels the event."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum

from customers.models import Account, Feeder, TransformerArea
from services.actions.demand_response.errors import DemandResponseError
from services.actions.demand_response.events import (
    EventTargets,
    cancel_event,
    create_event,
    dispatch_event,
    targeted_accounts,
)
from services.actions.openadr.durations import parse_datetime, parse_duration
from services.actions.openadr.errors import bad_request, conflict
from services.actions.openadr.notify import notify_change
from services.models import DREnrolment, DREvent, DRProgram, OadrEvent, VenResource

PLACEHOLDER_KW = Decimal("0.001")


def _window(data: dict) -> tuple[dt.datetime, dt.datetime]:
    period = data["interval_period"] or {}
    if not period.get("start") and data["intervals"]:
        period = data["intervals"][0].get("intervalPeriod") or {}
    if not period.get("start") or str(period["start"]).startswith("0001-01-01"):
        raise bad_request("intervalPeriod.start is required: an event here has a window on quarter hours.")
    start = parse_datetime(period["start"])
    duration = period.get("duration") or data["duration"]
    if not duration:
        raise bad_request("intervalPeriod.duration (or duration) is required: an event here has an end.")
    return start, start + parse_duration(duration)


def _targets(strings: list[str]) -> tuple[EventTargets, list[str]]:
    areas, feeders, segments, accounts, other = [], [], [], [], []
    for target in strings:
        kind, _, value = target.partition(":")
        if kind == "area" and value:
            area = TransformerArea.objects.filter(code=value).first()
            if area is None:
                raise bad_request(f"targets: no transformer area {value!r}.")
            areas.append(area.pk)
        elif kind == "feeder" and value:
            feeder = Feeder.objects.filter(code=value).first()
            if feeder is None:
                raise bad_request(f"targets: no feeder {value!r}.")
            feeders.append(feeder.pk)
        elif kind == "segment" and value.isdigit():
            segments.append(int(value))
        elif kind == "account" and value:
            account = Account.objects.filter(number=value).first()
            if account is None:
                raise bad_request(f"targets: no account {value!r}.")
            accounts.append(account.pk)
        else:
            other.append(target)
    if other:
        granted = Q(pk__in=[])
        for target in other:
            granted |= Q(targets__contains=[target]) | Q(ven__targets__contains=[target])
        reached = VenResource.objects.filter(granted, account__isnull=False).values_list("account_id", flat=True)
        accounts.extend(reached)
        if not reached and not (areas or feeders or segments or accounts):
            raise bad_request("targets: no ven or resource has been granted these targets.")
    return EventTargets(
        area_ids=areas, feeder_ids=feeders, segment_ids=segments, account_ids=sorted(set(accounts))
    ), other


@transaction.atomic
def create_event_over_openadr(*, data: dict, now: dt.datetime) -> DREvent:
    program = _program(data["program_id"])
    start, end = _window(data)
    targets, _other = _targets(data["targets"] or [])
    event = create_event(
        program=program,
        name=data["event_name"] or f"OpenADR {start:%Y-%m-%d %H:%M}",
        start=start,
        end=end,
        notice_at=now,
        requested_kw=PLACEHOLDER_KW,
        targets=targets,
        user=None,
        now=now,
    )
    committed = DREnrolment.objects.filter(
        program=program, status=DREnrolment.Status.ACTIVE, account__in=targeted_accounts(event=event)
    ).aggregate(total=Sum("committed_kw"))["total"]
    if committed:
        event.requested_kw = committed
        event.save(update_fields=["requested_kw", "modified_at"])
    _save_extra(event=event, data=data, now=now)
    dispatch_event(event=event, user=None, now=now)  # notifies customers and OpenADR subscribers on commit
    return DREvent.objects.select_related("program", "openadr").get(pk=event.pk)


def _program(program_id: str) -> DRProgram:
    program = DRProgram.objects.filter(pk=int(program_id)).first() if program_id.isdigit() else None
    if program is None:
        raise bad_request("programID names no program.")
    return program


def _save_extra(*, event: DREvent, data: dict, now: dt.datetime) -> OadrEvent:
    extra, _ = OadrEvent.objects.get_or_create(event=event, defaults={"modified_at": now})
    extra.targets = data["targets"] or []
    extra.priority = data["priority"]
    extra.duration = data["duration"] or ""
    extra.payload_descriptors = data["payload_descriptors"]
    extra.report_descriptors = data["report_descriptors"]
    extra.interval_period = data["interval_period"]
    extra.intervals = data["intervals"]
    extra.modified_at = now
    extra.save()
    return extra


@transaction.atomic
def update_event_over_openadr(*, event: DREvent, data: dict, now: dt.datetime) -> DREvent:
    event = DREvent.objects.select_for_update().get(pk=event.pk)
    if str(event.program_id) != data["program_id"]:
        raise conflict("An event cannot move to another program.")
    start, end = _window(data)
    if (start, end) != (event.start, event.end):
        raise conflict("The window of a published event cannot change: delete it and create a new one.")
    current = OadrEvent.objects.filter(event=event).values_list("targets", flat=True).first()
    if sorted(data["targets"] or []) != sorted(current or []) and current is not None:
        raise conflict("The targets of a published event cannot change: delete it and create a new one.")
    if data["event_name"]:
        event.name = data["event_name"]
        event.save(update_fields=["name", "modified_at"])
    _save_extra(event=event, data=data, now=now)
    event = DREvent.objects.select_related("program", "openadr").get(pk=event.pk)
    notify_change(object_type="EVENT", operation="UPDATE", obj=event, now=now)
    return event


def delete_event_over_openadr(*, event: DREvent, now: dt.datetime) -> DREvent:
    try:
        return cancel_event(event=event, reason="Deleted by BL over OpenADR", user=None, now=now)
    except DemandResponseError as refused:
        raise bad_request(refused.messages[0]) from None  # the spec's DELETE has no 409
