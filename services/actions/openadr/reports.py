"""VEN reports: USAGE (kWh over the interval) and DEMAND (average kW) per resource and interval,
stored as VenReading rows for the account the resource is bound to — a separate source of interval
data with its provenance (report, VEN, client id, time received); billing's meter readings are never
written. Refused with a 400 and the reason: an unknown or unbound resource, an interval outside the
event or off the 15-minute grid, a non-numeric value, intervals overlapping within the report; a 409
when another report of the same resource already covers an interval (update that report instead)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction

from services.actions.openadr.durations import parse_datetime, parse_duration
from services.actions.openadr.errors import bad_request, conflict
from services.actions.openadr.notify import notify_change
from services.models import DREvent, Ven, VenReading, VenReport, VenResource

KINDS = {"USAGE": VenReading.Kind.USAGE, "DEMAND": VenReading.Kind.DEMAND}
SCALE = {"KWH": Decimal(1), "WH": Decimal("0.001"), "MWH": Decimal(1000), "KW": Decimal(1), "W": Decimal("0.001"), "MW": Decimal(1000)}  # fmt: skip
UNITS = {"USAGE": ("KWH", "WH", "MWH"), "DEMAND": ("KW", "W", "MW")}
STEP = dt.timedelta(minutes=15)
MAX_VALUES = 20_000


def _units(descriptors: list[dict] | None) -> dict[str, Decimal]:
    scale = {"USAGE": Decimal(1), "DEMAND": Decimal(1)}
    for item in descriptors or []:
        kind, units = item.get("payloadType"), item.get("units")
        if kind in UNITS and units is not None:
            if str(units).upper() not in UNITS[kind]:
                raise bad_request(
                    f"payloadDescriptors: {kind} in {units!r} is not accepted; use {', '.join(UNITS[kind])}."
                )
            scale[kind] = SCALE[str(units).upper()]
    return scale


def _aligned(moment: dt.datetime) -> bool:
    return moment.minute % 15 == 0 and moment.second == 0 and moment.microsecond == 0


def _readings(*, event: DREvent, client_id: str, data: dict) -> list[VenReading]:
    scale = _units(data["payload_descriptors"])
    names = [item["resourceName"] for item in data["resources"]]
    resources = {
        r.resource_name: r
        for r in VenResource.objects.filter(ven__client_id=client_id, resource_name__in=names).select_related("ven")
    }
    readings: list[VenReading] = []
    for item in data["resources"]:
        name = item["resourceName"]
        if name == "AGGREGATED_REPORT":
            raise bad_request("AGGREGATED_REPORT is not accepted: report each resource, so it counts for its account.")
        resource = resources.get(name)
        if resource is None:
            raise bad_request(f"Unknown resource {name!r}: it is not one of this client's resources.")
        if resource.account_id is None:
            raise bad_request(f"Resource {name!r} is not bound to an account yet (a staff step).")
        default = item.get("intervalPeriod") or {}
        spans: dict[str, list[tuple[dt.datetime, dt.datetime]]] = {}
        for interval in item["intervals"]:
            period = {**default, **(interval.get("intervalPeriod") or {})}
            if not period.get("start") or not period.get("duration"):
                raise bad_request(f"Resource {name!r}, interval {interval['id']}: start and duration are required.")
            start = parse_datetime(period["start"], "intervalPeriod.start")
            end = start + parse_duration(period["duration"], "intervalPeriod.duration")
            if end <= start or not _aligned(start) or (end - start) % STEP:
                raise bad_request(
                    f"Resource {name!r}, interval {interval['id']}: intervals must start on a quarter hour and last whole quarter hours."
                )
            if start < event.start or end > event.end:
                raise bad_request(
                    f"Resource {name!r}, interval {interval['id']}: {start.isoformat()}–{end.isoformat()} lies outside the event "
                    f"({event.start.isoformat()}–{event.end.isoformat()})."
                )
            for payload in interval["payloads"]:
                kind = payload["type"]
                if kind not in KINDS:
                    continue  # e.g. DATA_QUALITY: kept in the report as received
                values = payload["values"]
                if len(values) != 1 or isinstance(values[0], bool) or not isinstance(values[0], int | float):
                    raise bad_request(f"Resource {name!r}, interval {interval['id']}: {kind} needs one numeric value.")
                try:
                    value = Decimal(str(values[0])) * scale[kind]
                except InvalidOperation:
                    raise bad_request(
                        f"Resource {name!r}, interval {interval['id']}: {kind} is not a number."
                    ) from None
                if not value.is_finite() or abs(value) >= Decimal(10) ** 9:
                    raise bad_request(f"Resource {name!r}, interval {interval['id']}: {kind} is out of range.")
                for other_start, other_end in spans.get(kind, []):
                    if start < other_end and other_start < end:
                        raise bad_request(f"Resource {name!r}: {kind} intervals overlap at {start.isoformat()}.")
                spans.setdefault(kind, []).append((start, end))
                hours = Decimal((end - start).total_seconds()) / Decimal(3600)
                kwh = value if kind == "USAGE" else value * hours
                readings.append(
                    VenReading(
                        resource=resource,
                        account_id=resource.account_id,
                        kind=KINDS[kind],
                        interval_start=start,
                        interval_end=end,
                        value=value.quantize(Decimal("0.000001")),
                        kwh=kwh.quantize(Decimal("0.000001")),
                    )
                )
                if len(readings) > MAX_VALUES:
                    raise bad_request(f"A report carries at most {MAX_VALUES} values.")
    return readings


def _check_no_overlap(*, readings: list[VenReading], exclude_report: int | None) -> None:
    for reading in readings:
        clash = (
            VenReading.objects.filter(
                resource=reading.resource,
                kind=reading.kind,
                interval_start__lt=reading.interval_end,
                interval_end__gt=reading.interval_start,
            )
            .exclude(report_id=exclude_report)
            .values_list("report_id", flat=True)
            .first()
        )
        if clash is not None:
            raise conflict(
                f"Report {clash} already has {reading.kind} of {reading.resource.resource_name!r} at "
                f"{reading.interval_start.isoformat()}; update that report instead."
            )


@transaction.atomic
def create_report(*, event: DREvent, client_id: str, data: dict, now: dt.datetime) -> VenReport:
    readings = _readings(event=event, client_id=client_id, data=data)
    _check_no_overlap(readings=readings, exclude_report=None)
    report = VenReport.objects.create(
        event=event,
        ven=Ven.objects.filter(client_id=client_id).order_by("pk").first(),
        client_id=client_id,
        client_name=data["client_name"],
        report_name=data["report_name"] or "",
        payload_descriptors=data["payload_descriptors"],
        resources=data["resources"],
        created_at=now,
        modified_at=now,
    )
    for reading in readings:
        reading.report = report
    VenReading.objects.bulk_create(readings)
    notify_change(object_type="REPORT", operation="CREATE", obj=report, now=now)
    return report


@transaction.atomic
def update_report(*, report: VenReport, event: DREvent, data: dict, now: dt.datetime) -> VenReport:
    report = VenReport.objects.select_for_update().get(pk=report.pk)
    readings = _readings(event=event, client_id=report.client_id, data=data)
    _check_no_overlap(readings=readings, exclude_report=report.pk)
    report.readings.all().delete()
    report.event, report.client_name = event, data["client_name"]
    report.report_name = data["report_name"] or ""
    report.payload_descriptors, report.resources, report.modified_at = (
        data["payload_descriptors"],
        data["resources"],
        now,
    )
    report.save()
    for reading in readings:
        reading.report = report
    VenReading.objects.bulk_create(readings)
    notify_change(object_type="REPORT", operation="UPDATE", obj=report, now=now)
    return report


@transaction.atomic
def delete_report(*, report: VenReport, now: dt.datetime) -> None:
    notify_change(object_type="REPORT", operation="DELETE", obj=report, now=now)
    report.delete()
