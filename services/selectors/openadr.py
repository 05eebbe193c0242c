"""Reads of the OpenADR VTN: what a caller may see, and our objects in the spec's representation.

Object privacy (Definition.md, "Object Privacy"): BL sees everything. A VEN sees the ven, resource,
report and subscription objects under its own client id, and the programs and events targeted at it:
those an account bound to one of its resources is enrolled in / invited to, or whose OpenADR targets
meet the targets granted to it (its ven's and resources' targets, plus ``account:``, ``area:`` and
``feeder:`` targets derived from the accounts its resources are bound to). With a ``targets`` query a
VEN is narrowed to the objects matching (requested ∩ granted); responses show a VEN only the targets
granted to it (target hiding)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet

from billing.models import IntervalReading, Meter
from core.time import SHANGHAI
from services.models import (
    DREnrolment,
    DREvent,
    DRParticipation,
    DRProgram,
    OadrClient,
    OadrEvent,
    OadrProgram,
    Subscription,
    Ven,
    VenReading,
    VenReport,
    VenResource,
)

VISIBLE_EVENT_STATUSES = (
    DREvent.Status.SCHEDULED,
    DREvent.Status.ACTIVE,
    DREvent.Status.COMPLETED,
    DREvent.Status.SETTLED,
)
BL_EVENT_STATUSES = (DREvent.Status.DRAFT, *VISIBLE_EVENT_STATUSES)  # cancelled = deleted in OpenADR


@dataclass(frozen=True)
class Viewer:
    """Who reads: BL (everything) or a VEN (its client id, its accounts, the targets granted to it)."""

    client_id: str
    is_bl: bool
    account_ids: frozenset[int] = frozenset()
    granted: frozenset[str] = frozenset()
    requested: frozenset[str] | None = None  # the ``targets`` query, when given

    @property
    def effective(self) -> frozenset[str] | None:
        """Targets an object must meet: requested ∩ granted for a VEN, requested for BL, None = any."""
        if self.is_bl:
            return self.requested
        return self.granted if self.requested is None else self.granted & self.requested

    def shown(self, targets: list[str]) -> list[str]:
        if self.is_bl:
            return list(targets)
        return [t for t in targets if t in self.granted]


def viewer_for(*, client_id: str, is_bl: bool, requested: list[str] | None = None) -> Viewer:
    req = frozenset(requested) if requested else None
    if is_bl:
        return Viewer(client_id=client_id, is_bl=True, requested=req)
    resources = list(
        VenResource.objects.filter(ven__client_id=client_id).select_related("ven", "account__area__feeder")
    )
    granted: set[str] = set()
    for ven in Ven.objects.filter(client_id=client_id):
        granted.update(ven.targets or [])
    accounts: set[int] = set()
    for resource in resources:
        granted.update(resource.targets or [])
        granted.update(derived_resource_targets(resource))
        if resource.account_id:
            accounts.add(resource.account_id)
    return Viewer(
        client_id=client_id, is_bl=False, account_ids=frozenset(accounts), granted=frozenset(granted), requested=req
    )


def derived_resource_targets(resource: VenResource) -> list[str]:
    account = resource.account
    if account is None:
        return []
    targets = [f"account:{account.number}"]
    if account.area_id:
        targets.append(f"area:{account.area.code}")
        targets.append(f"feeder:{account.area.feeder.code}")
    return targets


def _targets_q(field_name: str, targets: frozenset[str]) -> Q:
    condition = Q(pk__in=[])
    for target in targets:
        condition |= Q(**{f"{field_name}__contains": [target]})
    return condition


# -- programs --------------------------------------------------------------------------------------


def program_targets(program: DRProgram) -> list[str]:
    explicit = list(getattr(_oadr_program(program), "targets", None) or [])
    areas = [f"area:{area.code}" for area in program.target_areas.all()]
    return sorted(set(explicit) | set(areas))


def _oadr_program(program: DRProgram) -> OadrProgram | None:
    try:
        return program.openadr
    except OadrProgram.DoesNotExist:
        return None


def visible_programs(*, viewer: Viewer) -> QuerySet[DRProgram]:
    programs = DRProgram.objects.select_related("openadr").prefetch_related("target_areas").order_by("pk")
    if viewer.is_bl:
        return programs
    enrolled = DREnrolment.objects.filter(account_id__in=viewer.account_ids, status=DREnrolment.Status.ACTIVE).values(
        "program_id"
    )
    return programs.filter(Q(pk__in=enrolled) | _targets_q("openadr__targets", viewer.granted))


def program_list(*, viewer: Viewer, skip: int, limit: int) -> list[DRProgram]:
    programs = list(visible_programs(viewer=viewer))
    if viewer.requested is not None:
        wanted = viewer.effective or frozenset()
        programs = [p for p in programs if set(_program_targets_for(p, viewer=viewer)) & wanted]
    return programs[skip : skip + limit]


def _program_targets_for(program: DRProgram, *, viewer: Viewer) -> list[str]:
    """The program's targets, and for a VEN the implicit ``account:`` targets of its enrolled accounts."""
    targets = set(program_targets(program))
    if not viewer.is_bl:
        targets.update(
            f"account:{n}"
            for n in DREnrolment.objects.filter(
                program=program, account_id__in=viewer.account_ids, status=DREnrolment.Status.ACTIVE
            ).values_list("account__number", flat=True)
        )
    return sorted(targets)


def program_for(*, viewer: Viewer, program_id: int) -> DRProgram | None:
    return visible_programs(viewer=viewer).filter(pk=program_id).first()


def program_json(program: DRProgram, *, viewer: Viewer) -> dict:
    extra = _oadr_program(program)
    modified = max(program.updated_at, extra.modified_at) if extra else program.updated_at
    start = dt.datetime.combine(program.valid_from, dt.time(), tzinfo=SHANGHAI)
    period = {"start": _iso(start)}
    if program.valid_to:
        period["duration"] = f"P{(program.valid_to - program.valid_from).days}D"
    attributes = [
        {"type": "DR_KIND", "values": [program.kind]},
        {"type": "NOTICE_CLASS", "values": [program.notice_class]},
        {"type": "MIN_NOTICE_MINUTES", "values": [program.min_notice_minutes]},
        {"type": "ALLOW_VEN_DATA", "values": [program.allow_ven_reported_data]},
    ]
    return {
        "id": str(program.pk),
        "createdDateTime": _iso(program.created_at),
        "modificationDateTime": _iso(modified),
        "objectType": "PROGRAM",
        "programName": extra.program_name if extra else program.code,
        "intervalPeriod": (extra.interval_period if extra and extra.interval_period else period),
        "programDescriptions": extra.program_descriptions if extra else None,
        "payloadDescriptors": (extra.payload_descriptors if extra and extra.payload_descriptors else None)
        or default_event_payload_descriptors(program),
        "attributes": (extra.attributes if extra and extra.attributes else None) or attributes,
        "targets": viewer.shown(_program_targets_for(program, viewer=viewer)),
    }


def default_event_payload_descriptors(program: DRProgram) -> list[dict]:
    level = "SIMPLE" if program.is_peak_shaving else "CONTROL_LEVEL_OFFSET"
    return [
        {"objectType": "EVENT_PAYLOAD_DESCRIPTOR", "payloadType": level, "units": None, "currency": None},
        {"objectType": "EVENT_PAYLOAD_DESCRIPTOR", "payloadType": "PRICE", "units": "KWH", "currency": "CNY"},
    ]


# -- events ----------------------------------------------------------------------------------------


def visible_events(*, viewer: Viewer) -> QuerySet[DREvent]:
    events = (
        DREvent.objects.select_related("program", "openadr")
        .prefetch_related("target_areas", "target_feeders", "target_segments", "target_accounts")
        .order_by("start", "pk")
    )
    if viewer.is_bl:
        return events.filter(status__in=BL_EVENT_STATUSES)
    invited = DRParticipation.objects.filter(account_id__in=viewer.account_ids)
    return (
        events.filter(status__in=VISIBLE_EVENT_STATUSES)
        .filter(Q(pk__in=invited.values("event_id")) | _targets_q("openadr__targets", viewer.granted))
        .prefetch_related(
            Prefetch("participations", queryset=invited.select_related("account"), to_attr="_viewer_invited")
        )
    )


def event_targets(event: DREvent, *, viewer: Viewer) -> list[str]:
    extra = getattr(event, "openadr", None) if _has_oadr_event(event) else None
    targets = set(extra.targets or []) if extra else set()
    targets.update(f"area:{area.code}" for area in event.target_areas.all())
    targets.update(f"feeder:{feeder.code}" for feeder in event.target_feeders.all())
    targets.update(f"segment:{segment.pk}" for segment in event.target_segments.all())
    targets.update(f"account:{account.number}" for account in event.target_accounts.all())
    if not viewer.is_bl:
        invited = getattr(event, "_viewer_invited", None)
        if invited is None:
            invited = event.participations.filter(account_id__in=viewer.account_ids).select_related("account")
        targets.update(f"account:{p.account.number}" for p in invited)
    return sorted(targets)


def _has_oadr_event(event: DREvent) -> bool:
    try:
        event.openadr  # noqa: B018
    except OadrEvent.DoesNotExist:
        return False
    return True


def event_list(
    *, viewer: Viewer, program_id: int | None, active_after: dt.datetime | None, skip: int, limit: int
) -> list[DREvent]:
    events = visible_events(viewer=viewer)
    if program_id is not None:
        events = events.filter(program_id=program_id)
    if active_after is not None:
        events = events.filter(end__gt=active_after)
    rows = list(events)
    if viewer.requested is not None:
        wanted = viewer.effective or frozenset()
        rows = [e for e in rows if set(event_targets(e, viewer=viewer)) & wanted]
    return rows[skip : skip + limit]


def event_for(*, viewer: Viewer, event_id: int) -> DREvent | None:
    return visible_events(viewer=viewer).filter(pk=event_id).first()


def event_json(event: DREvent, *, viewer: Viewer) -> dict:
    extra = event.openadr if _has_oadr_event(event) else None
    minutes = int((event.end - event.start).total_seconds() // 60)
    period = {"start": _iso(event.start), "duration": f"PT{minutes}M"}
    modified = max(event.modified_at, extra.modified_at) if extra else event.modified_at
    return {
        "id": str(event.pk),
        "createdDateTime": _iso(event.created_at),
        "modificationDateTime": _iso(modified),
        "objectType": "EVENT",
        "programID": str(event.program_id),
        "eventName": event.name,
        "priority": extra.priority if extra else None,
        "targets": viewer.shown(event_targets(event, viewer=viewer)),
        "reportDescriptors": (extra.report_descriptors if extra and extra.report_descriptors else None)
        or [
            {
                "payloadType": "USAGE",
                "readingType": "DIRECT_READ",
                "units": "KWH",
                "targets": None,
                "aggregate": False,
                "startInterval": -1,
                "numIntervals": -1,
                "historical": True,
                "frequency": -1,
                "repeat": 1,
                "reportIntervals": "INTERVALS",
            }
        ],
        "payloadDescriptors": (extra.payload_descriptors if extra and extra.payload_descriptors else None)
        or default_event_payload_descriptors(event.program),
        "intervalPeriod": period,
        "intervals": (extra.intervals if extra and extra.intervals else None) or default_intervals(event),
    }


def default_intervals(event: DREvent) -> list[dict]:
    level = {"type": "SIMPLE", "values": [1]} if event.program.is_peak_shaving else None
    level = level or {"type": "CONTROL_LEVEL_OFFSET", "values": [-1]}
    return [{"id": 0, "payloads": [level]}]


# -- vens, resources, reports, subscriptions --------------------------------------------------------


def visible_vens(*, viewer: Viewer) -> QuerySet[Ven]:
    vens = Ven.objects.order_by("pk")
    return vens if viewer.is_bl else vens.filter(client_id=viewer.client_id)


def ven_json(ven: Ven, *, viewer: Viewer) -> dict:
    return {
        "id": str(ven.pk),
        "createdDateTime": _iso(ven.created_at),
        "modificationDateTime": _iso(ven.modified_at),
        "objectType": "VEN",
        "clientID": ven.client_id,
        "venName": ven.ven_name,
        "targets": list(ven.targets or []),
        "attributes": ven.attributes or None,
    }


def visible_resources(*, viewer: Viewer) -> QuerySet[VenResource]:
    resources = VenResource.objects.select_related("ven").order_by("pk")
    return resources if viewer.is_bl else resources.filter(ven__client_id=viewer.client_id)


def resource_json(resource: VenResource, *, viewer: Viewer) -> dict:
    return {
        "id": str(resource.pk),
        "createdDateTime": _iso(resource.created_at),
        "modificationDateTime": _iso(resource.modified_at),
        "objectType": "RESOURCE",
        "clientID": resource.client_id,
        "resourceName": resource.resource_name,
        "venID": str(resource.ven_id),
        "targets": list(resource.targets or []),
        "attributes": resource.attributes or None,
    }


def visible_reports(*, viewer: Viewer) -> QuerySet[VenReport]:
    reports = VenReport.objects.select_related("event").order_by("pk")
    return reports if viewer.is_bl else reports.filter(client_id=viewer.client_id)


def report_json(report: VenReport, *, viewer: Viewer) -> dict:
    return {
        "id": str(report.pk),
        "createdDateTime": _iso(report.created_at),
        "modificationDateTime": _iso(report.modified_at),
        "objectType": "REPORT",
        "clientID": report.client_id,
        "eventID": str(report.event_id),
        "clientName": report.client_name,
        "reportName": report.report_name or None,
        "payloadDescriptors": report.payload_descriptors,
        "resources": report.resources,
    }


def visible_subscriptions(*, viewer: Viewer) -> QuerySet[Subscription]:
    subscriptions = Subscription.objects.order_by("pk")
    return subscriptions if viewer.is_bl else subscriptions.filter(client_id=viewer.client_id)


def subscription_json(subscription: Subscription, *, viewer: Viewer) -> dict:
    body = {
        "id": str(subscription.pk),
        "createdDateTime": _iso(subscription.created_at),
        "modificationDateTime": _iso(subscription.modified_at),
        "objectType": "SUBSCRIPTION",
        "clientID": subscription.client_id,
        "clientName": subscription.client_name,
        "objectOperations": subscription.object_operations,
        "targets": subscription.targets,
    }
    if subscription.program_id:
        body["programID"] = str(subscription.program_id)
    return body


# -- measurement: VEN data beside meter data ---------------------------------------------------------


@dataclass
class IntervalComparison:
    start: dt.datetime
    ven_kwh: Decimal
    meter_kwh: Decimal | None
    report_id: int

    @property
    def difference_kwh(self) -> Decimal | None:
        return None if self.meter_kwh is None else self.ven_kwh - self.meter_kwh


@dataclass
class AccountComparison:
    account_number: str
    intervals: list[IntervalComparison] = field(default_factory=list)

    @property
    def ven_total_kwh(self) -> Decimal:
        return sum((i.ven_kwh for i in self.intervals), Decimal(0))

    @property
    def meter_total_kwh(self) -> Decimal | None:
        metered = [i.meter_kwh for i in self.intervals if i.meter_kwh is not None]
        return sum(metered, Decimal(0)) if metered else None


def ven_vs_meter(*, event: DREvent) -> list[AccountComparison]:
    """Per account, each VEN-reported interval of the event beside the meter's kWh for the same
    interval (× multiplier, summed over the account's customer meters), where the meter has data."""
    readings = list(
        VenReading.objects.filter(report__event=event, kind=VenReading.Kind.USAGE)
        .select_related("account")
        .order_by("account__number", "interval_start")
    )
    accounts = {r.account_id for r in readings}
    meters = {m.pk: m for m in Meter.objects.filter(account_id__in=accounts, role=Meter.Role.CUSTOMER)}
    metered: dict[tuple[int, dt.datetime], Decimal] = {}
    for meter_id, start, kwh in IntervalReading.objects.filter(
        meter_id__in=list(meters), interval_start__gte=event.start, interval_start__lt=event.end
    ).values_list("meter_id", "interval_start", "kwh"):
        meter = meters[meter_id]
        assert meter.account_id is not None  # customer meters: filtered on account above
        key = (meter.account_id, start)
        metered[key] = metered.get(key, Decimal(0)) + kwh * meter.multiplier
    out: dict[int, AccountComparison] = {}
    for reading in readings:
        comparison = out.setdefault(reading.account_id, AccountComparison(account_number=reading.account.number))
        meter_kwh = _meter_kwh_over(metered, reading.account_id, reading.interval_start, reading.interval_end)
        comparison.intervals.append(
            IntervalComparison(
                start=reading.interval_start, ven_kwh=reading.kwh, meter_kwh=meter_kwh, report_id=reading.report_id
            )
        )
    return list(out.values())


def _meter_kwh_over(metered, account_id: int, start: dt.datetime, end: dt.datetime) -> Decimal | None:
    total, found, moment = Decimal(0), False, start
    while moment < end:
        value = metered.get((account_id, moment))
        if value is not None:
            total, found = total + value, True
        moment += dt.timedelta(minutes=15)
    return total if found else None


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat()


def bl_client_ids() -> set[str]:
    return set(OadrClient.objects.filter(role=OadrClient.Role.BL).values_list("application__client_id", flat=True))
