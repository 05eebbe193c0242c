"""Request bodies of the spec, checked field by field (types, lengths, enumerations, required names) and
handed to the actions as plain values. Every refusal is a 400 problem that names the field."""

from __future__ import annotations

import re
from typing import Any

from services.actions.openadr.durations import parse_datetime, parse_duration
from services.api.openadr.problems import Problem

OBJECT_TYPES = {"PROGRAM", "EVENT", "REPORT", "SUBSCRIPTION", "VEN", "RESOURCE"}
OPERATIONS = {"READ", "CREATE", "UPDATE", "DELETE"}
OBJECT_ID = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")


def bad(detail: str) -> Problem:
    return Problem(400, detail)


def body_object(data: Any) -> dict:
    if not isinstance(data, dict):
        raise bad("The request body must be a JSON object.")
    return data


def string(data: dict, name: str, *, required: bool = False, max_length: int = 128, nullable: bool = True):
    value = data.get(name)
    if value is None:
        if required:
            raise bad(f"{name} is required.")
        return None
    if not isinstance(value, str) or not (1 <= len(value) <= max_length):
        raise bad(f"{name} must be a string of 1 to {max_length} characters.")
    return value


def object_id(data: dict, name: str, *, required: bool = False) -> str | None:
    value = string(data, name, required=required)
    if value is not None and not OBJECT_ID.match(value):
        raise bad(f"{name} must be an object ID (letters, digits, _ and -).")
    return value


def string_list(data: dict, name: str) -> list[str] | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and 1 <= len(v) <= 128 for v in value):
        raise bad(f"{name} must be a list of strings of 1 to 128 characters.")
    return value


def object_list(data: dict, name: str) -> list[dict] | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise bad(f"{name} must be a list of objects.")
    return value


def values_maps(data: dict, name: str) -> list[dict] | None:
    maps = object_list(data, name)
    for item in maps or []:
        if not isinstance(item.get("type"), str) or not isinstance(item.get("values"), list):
            raise bad(f"Every {name} entry needs a type (string) and values (list).")
    return maps


def integer(data: dict, name: str, *, minimum: int | None = None) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or (minimum is not None and value < minimum):
        raise bad(f"{name} must be an integer" + (f" of at least {minimum}." if minimum is not None else "."))
    return value


def interval_period(data: dict, name: str = "intervalPeriod") -> dict | None:
    period = data.get(name)
    if period is None:
        return None
    if not isinstance(period, dict):
        raise bad(f"{name} must be an object.")
    if "start" in period:
        parse_datetime(period["start"], f"{name}.start")
    for key in ("duration", "randomizeStart"):
        if key in period and period[key] is not None:
            parse_duration(period[key], f"{name}.{key}")
    return period


def intervals(data: dict, name: str = "intervals") -> list[dict] | None:
    items = object_list(data, name)
    for item in items or []:
        integer(item, "id")
        if not isinstance(item.get("id"), int):
            raise bad(f"Every {name} entry needs an integer id.")
        values_maps(item, "payloads")
        if item.get("payloads") is None:
            raise bad(f"Every {name} entry needs payloads.")
        interval_period(item)
    return items


def program_request(data: Any) -> dict:
    data = body_object(data)
    descriptions = object_list(data, "programDescriptions")
    for item in descriptions or []:
        if not isinstance(item.get("URL"), str):
            raise bad("Every programDescriptions entry needs a URL.")
    descriptors = object_list(data, "payloadDescriptors")
    for item in descriptors or []:
        if item.get("objectType") not in ("EVENT_PAYLOAD_DESCRIPTOR", "REPORT_PAYLOAD_DESCRIPTOR"):
            raise bad("payloadDescriptors: objectType must be EVENT_PAYLOAD_DESCRIPTOR or REPORT_PAYLOAD_DESCRIPTOR.")
        string(item, "payloadType", required=True)
    return {
        "program_name": string(data, "programName", required=True),
        "interval_period": interval_period(data),
        "program_descriptions": descriptions,
        "payload_descriptors": descriptors,
        "attributes": values_maps(data, "attributes"),
        "targets": string_list(data, "targets"),
    }


def event_request(data: Any) -> dict:
    data = body_object(data)
    duration = data.get("duration")
    if duration is not None:
        parse_duration(duration, "duration")
    return {
        "program_id": object_id(data, "programID", required=True),
        "event_name": string(data, "eventName", max_length=100),
        "duration": duration,
        "priority": integer(data, "priority", minimum=0),
        "targets": string_list(data, "targets"),
        "report_descriptors": object_list(data, "reportDescriptors"),
        "payload_descriptors": object_list(data, "payloadDescriptors"),
        "interval_period": interval_period(data),
        "intervals": intervals(data),
    }


def report_request(data: Any) -> dict:
    data = body_object(data)
    resources = object_list(data, "resources")
    if resources is None:
        raise bad("resources is required.")
    for item in resources:
        string(item, "resourceName", required=True)
        interval_period(item)
        if intervals(item) is None:
            raise bad("Every resources entry needs intervals.")
    descriptors = object_list(data, "payloadDescriptors")
    for item in descriptors or []:
        string(item, "payloadType", required=True)
    return {
        "event_id": object_id(data, "eventID", required=True),
        "client_name": string(data, "clientName", required=True),
        "report_name": data.get("reportName") if isinstance(data.get("reportName"), str) else None,
        "payload_descriptors": descriptors,
        "resources": resources,
    }


def subscription_request(data: Any) -> dict:
    data = body_object(data)
    operations = object_list(data, "objectOperations")
    if not operations:
        raise bad("objectOperations is required.")
    for item in operations:
        objects, ops = item.get("objects"), item.get("operations")
        if not isinstance(objects, list) or not set(objects) <= OBJECT_TYPES:
            raise bad(f"objectOperations.objects must be a list of {', '.join(sorted(OBJECT_TYPES))}.")
        if not isinstance(ops, list) or not set(ops) <= OPERATIONS:
            raise bad(f"objectOperations.operations must be a list of {', '.join(sorted(OPERATIONS))}.")
        url = item.get("callbackUrl")
        if not isinstance(url, str) or not (2 <= len(url) <= 8000):
            raise bad("objectOperations.callbackUrl is required (a URL).")
        token = item.get("bearerToken")
        if token is not None and not isinstance(token, str):
            raise bad("objectOperations.bearerToken must be a string.")
    return {
        "client_name": string(data, "clientName", required=True),
        "program_id": object_id(data, "programID"),
        "object_operations": [
            {
                "objects": item["objects"],
                "operations": item["operations"],
                "callbackUrl": item["callbackUrl"],
                "bearerToken": item.get("bearerToken"),
            }
            for item in operations
        ],
        "targets": string_list(data, "targets"),
    }


def ven_request(data: Any, *, is_bl: bool) -> dict:
    data = body_object(data)
    kind = data.get("objectType")
    if kind == "BL_VEN_REQUEST":
        if not is_bl:
            raise Problem(403, "Only BL may send BL_VEN_REQUEST (it grants targets).")
        client_id = string(data, "clientID", required=True)
    elif kind == "VEN_VEN_REQUEST":
        client_id = None
        if "targets" in data or "clientID" in data:
            raise bad("VEN_VEN_REQUEST has no targets or clientID: only BL grants targets.")
    else:
        raise bad("objectType must be BL_VEN_REQUEST or VEN_VEN_REQUEST.")
    return {
        "object_type": kind,
        "client_id": client_id,
        "ven_name": string(data, "venName", required=True),
        "targets": string_list(data, "targets") if kind == "BL_VEN_REQUEST" else None,
        "attributes": values_maps(data, "attributes"),
    }


def resource_request(data: Any, *, is_bl: bool) -> dict:
    data = body_object(data)
    kind = data.get("objectType")
    if kind == "BL_RESOURCE_REQUEST":
        if not is_bl:
            raise Problem(403, "Only BL may send BL_RESOURCE_REQUEST (it grants targets).")
        client_id = string(data, "clientID", required=True)
    elif kind == "VEN_RESOURCE_REQUEST":
        client_id = None
        if "targets" in data or "clientID" in data:
            raise bad("VEN_RESOURCE_REQUEST has no targets or clientID: only BL grants targets.")
    else:
        raise bad("objectType must be BL_RESOURCE_REQUEST or VEN_RESOURCE_REQUEST.")
    return {
        "object_type": kind,
        "client_id": client_id,
        "resource_name": string(data, "resourceName", required=True),
        "ven_id": object_id(data, "venID", required=True),
        "targets": string_list(data, "targets") if kind == "BL_RESOURCE_REQUEST" else None,
        "attributes": values_maps(data, "attributes"),
    }


def paging(params) -> tuple[int, int]:
    def number(name: str, default: int, maximum: int | None) -> int:
        raw = params.get(name)
        if raw in (None, ""):
            return default
        try:
            value = int(raw)
        except ValueError:
            raise bad(f"{name} must be an integer.") from None
        if value < 0 or (maximum is not None and value > maximum):
            raise bad(f"{name} must be between 0 and {maximum}." if maximum else f"{name} must be 0 or more.")
        return value

    return number("skip", 0, None), number("limit", 50, 50)


def targets_param(params) -> list[str] | None:
    values = params.getlist("targets")
    if not values:
        return None
    out = [v for value in values for v in value.split(",") if v]
    if any(len(v) > 128 for v in out):
        raise bad("targets must be strings of at most 128 characters.")
    return out


def id_param(params, name: str) -> str | None:
    value = params.get(name)
    if value in (None, ""):
        return None
    if not OBJECT_ID.match(value):
        raise bad(f"{name} must be an object ID.")
    return value
