"""Notifications to subscriptions: for one change (object type, operation, object), every subscription
that asked for it and may see the object gets a WebhookDelivery with the spec's ``notification`` body
(the object as that subscriber would read it), sent by a Celery task after commit. Computed at once,
inside the writer's transaction, so a deleted object is still described and a rolled-back write sends
nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db.models import Model

from core.tasks import enqueue_on_commit
from services.models import DREvent, Subscription, WebhookDelivery
from services.selectors import openadr as oadr

RENDER: dict[str, Callable[..., dict[str, Any]]] = {
    "PROGRAM": oadr.program_json,
    "EVENT": oadr.event_json,
    "REPORT": oadr.report_json,
    "SUBSCRIPTION": oadr.subscription_json,
    "VEN": oadr.ven_json,
    "RESOURCE": oadr.resource_json,
}


def _program_id_of(object_type: str, obj: Any) -> int | None:  # obj: the model object_type names
    if object_type == "PROGRAM":
        return obj.pk
    if object_type == "EVENT":
        return obj.program_id
    if object_type == "REPORT":
        return obj.event.program_id
    return None


def _visible(viewer: oadr.Viewer, object_type: str, obj: Any, operation: str) -> bool:
    if viewer.is_bl:
        return True
    if object_type == "PROGRAM":
        return oadr.visible_programs(viewer=viewer).filter(pk=obj.pk).exists()
    if object_type == "EVENT":
        if operation == "DELETE":  # a cancelled event: whoever could read it before
            invited = obj.participations.filter(account_id__in=viewer.account_ids).exists()
            return invited or bool(set(oadr.event_targets(obj, viewer=viewer)) & viewer.granted)
        return oadr.visible_events(viewer=viewer).filter(pk=obj.pk).exists()
    if object_type == "RESOURCE":
        return obj.ven.client_id == viewer.client_id
    return getattr(obj, "client_id", None) == viewer.client_id


def _wants(subscription: Subscription, object_type: str, operation: str) -> list[dict]:
    return [
        entry
        for entry in subscription.object_operations
        if object_type in entry.get("objects", []) and operation in entry.get("operations", [])
    ]


def notify_change(*, object_type: str, operation: str, obj: Model, now: dt.datetime | None = None) -> int:
    """Queue the notifications of one change; returns how many deliveries were created."""
    program_id = _program_id_of(object_type, obj)
    created = 0
    viewers: dict[str, oadr.Viewer] = {}
    bl_clients = oadr.bl_client_ids()
    for subscription in Subscription.objects.order_by("pk"):
        entries = _wants(subscription, object_type, operation)
        if not entries:
            continue
        if subscription.program_id and program_id is not None and subscription.program_id != program_id:
            continue
        viewer = viewers.get(subscription.client_id)
        if viewer is None:
            viewer = oadr.viewer_for(client_id=subscription.client_id, is_bl=subscription.client_id in bl_clients)
            viewers[subscription.client_id] = viewer
        if not _visible(viewer, object_type, obj, operation):
            continue
        body = RENDER[object_type](obj, viewer=viewer)
        if subscription.targets and object_type in ("PROGRAM", "EVENT"):
            wanted = set(subscription.targets) if viewer.is_bl else set(subscription.targets) & viewer.granted
            if not set(body.get("targets") or []) & wanted:
                continue
        notification = {"objectType": object_type, "operation": operation, "object": body}
        if body.get("targets"):
            notification["targets"] = body["targets"]
        for entry in entries:
            delivery = WebhookDelivery.objects.create(
                subscription=subscription,
                client_id=subscription.client_id,
                callback_url=entry["callbackUrl"],
                bearer_token=entry.get("bearerToken") or "",
                object_type=object_type,
                operation=operation,
                object_id=str(obj.pk),
                payload=notification,
                created_at=now or _created_at(obj),
            )
            enqueue_on_commit("services.openadr_deliver_webhook", queue="notify", kwargs={"delivery_id": delivery.pk})
            created += 1
    return created


def _created_at(obj: Model) -> dt.datetime:
    """The change's own time (the object's modification time) when the caller has no ``now``."""
    for name in ("modified_at", "updated_at", "created_at"):
        value = getattr(obj, name, None)
        if value is not None:
            return value
    raise ValueError("notify_change needs now for an object without timestamps")


def notify_event(*, event: DREvent, operation: str, now: dt.datetime) -> int:
    """Staff dispatched (CREATE: the event becomes visible to VENs) or cancelled (DELETE) an event."""
    return notify_change(object_type="EVENT", operation=operation, obj=event, now=now)
