"""Subscriptions: a client's objects × operations with a callback URL (and the bearer token the VTN
presents to it). Always under the caller's own client id. A callback URL that can never be called
(not http(s), a literal private address in production) is refused at once; every delivery checks the
resolved address again (services.actions.openadr.webhook)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from services.actions.openadr.errors import bad_request
from services.actions.openadr.notify import notify_change
from services.actions.openadr.webhook import literal_address_refused
from services.models import DRProgram, Subscription


def _clean(data: dict) -> DRProgram | None:
    for entry in data["object_operations"]:
        reason = literal_address_refused(entry["callbackUrl"])
        if reason:
            raise bad_request(reason)
    program_id = data["program_id"]
    if program_id is None:
        return None
    program = DRProgram.objects.filter(pk=int(program_id)).first() if program_id.isdigit() else None
    if program is None:
        raise bad_request("programID names no program.")
    return program


@transaction.atomic
def create_subscription(*, client_id: str, data: dict, now: dt.datetime, program_visible) -> Subscription:
    program = _clean(data)
    if program is not None and not program_visible(program):
        raise bad_request("programID names no program.")
    subscription = Subscription.objects.create(
        client_id=client_id,
        client_name=data["client_name"],
        program=program,
        object_operations=data["object_operations"],
        targets=data["targets"],
        created_at=now,
        modified_at=now,
    )
    notify_change(object_type="SUBSCRIPTION", operation="CREATE", obj=subscription, now=now)
    return subscription


@transaction.atomic
def update_subscription(*, subscription: Subscription, data: dict, now: dt.datetime, program_visible) -> Subscription:
    program = _clean(data)
    if program is not None and not program_visible(program):
        raise bad_request("programID names no program.")
    subscription.client_name = data["client_name"]
    subscription.program = program
    subscription.object_operations = data["object_operations"]
    subscription.targets = data["targets"]
    subscription.modified_at = now
    subscription.save()
    notify_change(object_type="SUBSCRIPTION", operation="UPDATE", obj=subscription, now=now)
    return subscription


@transaction.atomic
def delete_subscription(*, subscription: Subscription, now: dt.datetime) -> None:
    notify_change(object_type="SUBSCRIPTION", operation="DELETE", obj=subscription, now=now)
    subscription.delete()
