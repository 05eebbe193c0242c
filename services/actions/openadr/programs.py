"""BL writes of programs over OpenADR: an OpenADR program is a DRProgram (its OpenADR-only fields in
OadrProgram). A BL-created program starts as a real-time peak-shaving program (attributes DR_KIND,
MIN_NOTICE_MINUTES and ALLOW_VEN_DATA say otherwise) with no incentive terms: staff add the terms in
the admin console before its events can be dispatched. A VEN never reaches these: its role cannot hold
write_programs."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.text import slugify

from core.time import local_date
from services.actions.openadr.errors import bad_request, conflict
from services.actions.openadr.notify import notify_change
from services.models import DRProgram, OadrProgram

ATTRIBUTE_KIND = "DR_KIND"
ATTRIBUTE_NOTICE = "MIN_NOTICE_MINUTES"
ATTRIBUTE_VEN_DATA = "ALLOW_VEN_DATA"


def _attribute(attributes: list[dict] | None, name: str):
    for item in attributes or []:
        if item.get("type") == name and item.get("values"):
            return item["values"][0]
    return None


def _season(period: dict | None, *, now: dt.datetime) -> tuple[dt.date, dt.date | None]:
    if not period or not period.get("start") or period["start"].startswith("0001-01-01"):
        start = now
    else:
        start = dt.datetime.fromisoformat(period["start"].replace("Z", "+00:00"))
    first = local_date(start)
    duration = period.get("duration") if period else None
    if not duration or duration == "P9999Y":
        return first, None
    days = duration_days(duration)
    return first, (first + dt.timedelta(days=days)) if days else None


def duration_days(duration: str) -> int:
    """Whole days of a PnD / PnW duration (programs' seasons are days); anything else is refused."""
    body = duration[1:] if duration.startswith("P") else ""
    if body.endswith("D") and body[:-1].isdigit():
        return int(body[:-1])
    if body.endswith("W") and body[:-1].isdigit():
        return 7 * int(body[:-1])
    raise bad_request("intervalPeriod.duration of a program must be whole days (P90D) or weeks (P13W).")


def _unique_code(name: str) -> str:
    base = (slugify(name) or "openadr")[:32]
    code, n = base, 1
    while DRProgram.objects.filter(code=code).exists():
        n += 1
        code = f"{base}-{n}"
    return code


def _check_program_name(name: str, *, exclude_pk: int | None = None) -> None:
    openadr_named = OadrProgram.objects.filter(program_name=name)
    ours_named = DRProgram.objects.filter(code=name, openadr__isnull=True)
    if exclude_pk is not None:
        openadr_named, ours_named = openadr_named.exclude(program_id=exclude_pk), ours_named.exclude(pk=exclude_pk)
    taken = openadr_named.exists() or ours_named.exists()
    if taken:
        raise conflict(f"A program named {name!r} exists already.")


@transaction.atomic
def create_program(*, data: dict, now: dt.datetime) -> DRProgram:
    _check_program_name(data["program_name"])
    valid_from, valid_to = _season(data["interval_period"], now=now)
    kind = _attribute(data["attributes"], ATTRIBUTE_KIND) or DRProgram.Kind.PEAK_SHAVING
    if kind not in DRProgram.Kind.values:
        raise bad_request(f"attributes {ATTRIBUTE_KIND} must be one of {', '.join(DRProgram.Kind.values)}.")
    notice = _attribute(data["attributes"], ATTRIBUTE_NOTICE)
    if notice is not None and (isinstance(notice, bool) or not isinstance(notice, int) or notice < 0):
        raise bad_request(f"attributes {ATTRIBUTE_NOTICE} must be a whole number of minutes.")
    program = DRProgram.objects.create(
        code=_unique_code(data["program_name"]),
        name=data["program_name"][:100],
        kind=kind,
        notice_class=DRProgram.NoticeClass.REAL_TIME,
        min_notice_minutes=notice or 0,
        valid_from=valid_from,
        valid_to=valid_to,
        baseline_method=DRProgram.BaselineMethod.SIMILAR_WORKING_DAYS,
        allow_ven_reported_data=_attribute(data["attributes"], ATTRIBUTE_VEN_DATA) is True,
    )
    OadrProgram.objects.create(
        program=program,
        program_name=data["program_name"],
        targets=data["targets"] or [],
        program_descriptions=data["program_descriptions"],
        payload_descriptors=data["payload_descriptors"],
        attributes=data["attributes"],
        interval_period=data["interval_period"],
        modified_at=now,
    )
    program = DRProgram.objects.select_related("openadr").get(pk=program.pk)
    notify_change(object_type="PROGRAM", operation="CREATE", obj=program, now=now)
    return program


@transaction.atomic
def update_program(*, program: DRProgram, data: dict, now: dt.datetime) -> DRProgram:
    _check_program_name(data["program_name"], exclude_pk=program.pk)
    extra, _created = OadrProgram.objects.get_or_create(
        program=program, defaults={"program_name": data["program_name"], "modified_at": now}
    )
    extra.program_name = data["program_name"]
    extra.targets = data["targets"] or []
    extra.program_descriptions = data["program_descriptions"]
    extra.payload_descriptors = data["payload_descriptors"]
    extra.attributes = data["attributes"]
    if data["interval_period"] is not None:
        valid_from, valid_to = _season(data["interval_period"], now=now)
        if program.events.exists() and (valid_from, valid_to) != (program.valid_from, program.valid_to):
            raise conflict("The season of a program with events is changed by staff in the admin console.")
        program.valid_from, program.valid_to = valid_from, valid_to
        extra.interval_period = data["interval_period"]
    extra.modified_at = now
    extra.save()
    program.name = data["program_name"][:100]
    program.save()
    program = DRProgram.objects.select_related("openadr").get(pk=program.pk)
    notify_change(object_type="PROGRAM", operation="UPDATE", obj=program, now=now)
    return program


@transaction.atomic
def delete_program(*, program: DRProgram, now: dt.datetime) -> None:
    if program.events.exists() or program.enrolments.exists():
        raise bad_request("The program has events or enrolments; it cannot be deleted.")  # the spec's DELETE has no 409
    notify_change(object_type="PROGRAM", operation="DELETE", obj=program, now=now)
    program.delete()
