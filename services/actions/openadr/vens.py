"""ven and resource objects. BL may create them for any client id and grant targets; a VEN creates
and edits only its own (under its own client id) and can never grant itself targets. Binding a
resource to an account or meter is a staff step in the admin console (``bind_resource``)."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from services.actions.openadr.errors import OpenADRError, bad_request, conflict
from services.actions.openadr.notify import notify_change
from services.models import Ven, VenResource


def _check_name_free(*, ven_name: str, exclude_pk: int | None = None) -> None:
    """venName is unique in the VTN: 409 on update; the spec's POST /vens has no 409, so 400 there."""
    same_name = Ven.objects.filter(ven_name=ven_name)
    if exclude_pk is not None:
        same_name = same_name.exclude(pk=exclude_pk)
    if same_name.exists():
        error = conflict if exclude_pk is not None else bad_request
        raise error(f"A ven named {ven_name!r} exists already.")


def _owner(*, data: dict, is_bl: bool, caller_client_id: str) -> str:
    """The client id a new object belongs to: the BL_*_REQUEST's clientID when BL names one, else the
    caller's own (a BL sending the VEN_*_REQUEST form has none; that was a NOT NULL IntegrityError)."""
    return data["client_id"] if is_bl and data["client_id"] else caller_client_id


@transaction.atomic
def create_ven(*, caller_client_id: str, is_bl: bool, data: dict, now: dt.datetime) -> Ven:
    _check_name_free(ven_name=data["ven_name"])
    ven = Ven.objects.create(
        ven_name=data["ven_name"],
        client_id=_owner(data=data, is_bl=is_bl, caller_client_id=caller_client_id),
        targets=(data["targets"] or []) if is_bl else [],
        attributes=data["attributes"] or [],
        created_at=now,
        modified_at=now,
    )
    notify_change(object_type="VEN", operation="CREATE", obj=ven)
    return ven


@transaction.atomic
def update_ven(*, ven: Ven, is_bl: bool, data: dict, now: dt.datetime) -> Ven:
    ven = Ven.objects.select_for_update().get(pk=ven.pk)
    _check_name_free(ven_name=data["ven_name"], exclude_pk=ven.pk)
    ven.ven_name = data["ven_name"]
    ven.attributes = data["attributes"] or []
    if is_bl and data["object_type"] == "BL_VEN_REQUEST":
        ven.client_id = data["client_id"]
        ven.targets = data["targets"] or []
    ven.modified_at = now
    ven.save()
    notify_change(object_type="VEN", operation="UPDATE", obj=ven)
    return ven


@transaction.atomic
def delete_ven(*, ven: Ven) -> Ven:
    if ven.resources.filter(readings__isnull=False).exists():
        raise bad_request("This ven's resources have reported data; staff can retire it in the admin console.")
    notify_change(object_type="VEN", operation="DELETE", obj=ven)
    ven.resources.all().delete()
    ven.delete()
    return ven


def _ven_of(*, ven_id: str, caller_client_id: str, is_bl: bool) -> Ven:
    ven = Ven.objects.filter(pk=int(ven_id)).first() if ven_id.isdigit() else None
    if ven is None or (not is_bl and ven.client_id != caller_client_id):
        raise bad_request("venID names no ven of yours.")
    return ven


@transaction.atomic
def create_resource(*, caller_client_id: str, is_bl: bool, data: dict, now: dt.datetime) -> VenResource:
    ven = _ven_of(ven_id=data["ven_id"], caller_client_id=caller_client_id, is_bl=is_bl)
    try:
        with transaction.atomic():
            resource = VenResource.objects.create(
                ven=ven,
                resource_name=data["resource_name"],
                client_id=_owner(data=data, is_bl=is_bl, caller_client_id=caller_client_id),
                targets=(data["targets"] or []) if is_bl else [],
                attributes=data["attributes"] or [],
                created_at=now,
                modified_at=now,
            )
    except IntegrityError:
        raise conflict(f"The ven has a resource named {data['resource_name']!r} already.") from None
    notify_change(object_type="RESOURCE", operation="CREATE", obj=resource)
    return resource


@transaction.atomic
def update_resource(
    *, resource: VenResource, caller_client_id: str, is_bl: bool, data: dict, now: dt.datetime
) -> VenResource:
    resource = VenResource.objects.select_for_update().get(pk=resource.pk)
    ven = _ven_of(ven_id=data["ven_id"], caller_client_id=caller_client_id, is_bl=is_bl)
    if ven.pk != resource.ven_id and resource.readings.exists():
        raise conflict("A resource with reported data cannot move to another ven.")
    if VenResource.objects.filter(ven=ven, resource_name=data["resource_name"]).exclude(pk=resource.pk).exists():
        raise conflict(f"The ven has a resource named {data['resource_name']!r} already.")
    resource.ven, resource.resource_name = ven, data["resource_name"]
    resource.attributes = data["attributes"] or []
    if is_bl and data["object_type"] == "BL_RESOURCE_REQUEST":
        resource.client_id = data["client_id"]
        resource.targets = data["targets"] or []
    resource.modified_at = now
    resource.save()
    notify_change(object_type="RESOURCE", operation="UPDATE", obj=resource)
    return resource


@transaction.atomic
def delete_resource(*, resource: VenResource) -> VenResource:
    if resource.readings.exists():
        raise bad_request("This resource has reported data; staff can unbind it in the admin console.")
    notify_change(object_type="RESOURCE", operation="DELETE", obj=resource)
    resource.delete()
    return resource


@transaction.atomic
def bind_resource(*, resource: VenResource, account, meter=None, now: dt.datetime) -> VenResource:
    """Staff: the account (and optionally the meter) this resource acts for."""
    if meter is not None and meter.account_id != getattr(account, "pk", None):
        raise OpenADRError(400, "The meter must belong to the account.")
    resource.account, resource.meter, resource.modified_at = account, meter, now
    resource.save(update_fields=["account", "meter", "modified_at"])
    return resource
