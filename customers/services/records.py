"""Writes to customer records by staff and integrators. Every change is validated and audited
(field names only in the audit details, never values)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.http import HttpRequest

from customers.models import Account, Customer, Interaction
from security.masking import mask_address, mask_email, mask_identifier, mask_phone
from security.models import AuditEvent
from security.services.audit import record_event

CUSTOMER_PII_FIELDS = ("id_number", "phone", "email", "address")


class RevealDenied(PermissionError):
    """The actor lacks customers.reveal_customer_pii."""


@transaction.atomic
def create_customer(*, actor, data: dict[str, Any], request: HttpRequest | None = None) -> Customer:
    """Create a customer from validated-or-not ``data``; raises ValidationError naming the fields."""
    tags = data.pop("tags", None)
    customer = Customer(**data)
    customer.full_clean()
    customer.save()
    if tags is not None:
        customer.tags.set(tags)
    record_event(
        action=AuditEvent.Action.CREATE, actor=actor, target=customer, request=request, details={"fields": sorted(data)}
    )
    return customer


@transaction.atomic
def update_customer(
    *, actor, customer: Customer, changes: dict[str, Any], request: HttpRequest | None = None
) -> Customer:
    tags = changes.pop("tags", None)
    changed = []
    for name, value in changes.items():
        if getattr(customer, name) != value:
            setattr(customer, name, value)
            changed.append(name)
    customer.full_clean()
    customer.save()
    if tags is not None:
        customer.tags.set(tags)
        changed.append("tags")
    if changed:
        record_event(
            action=AuditEvent.Action.UPDATE,
            actor=actor,
            target=customer,
            request=request,
            details={"fields": sorted(changed)},
        )
    return customer


@transaction.atomic
def save_customer(
    *, actor, customer: Customer, changed_fields: list[str], request: HttpRequest | None = None
) -> Customer:
    """Validate and save a customer built or edited in a form, auditing which fields changed."""
    adding = customer._state.adding
    customer.full_clean()
    customer.save()
    record_event(
        action=AuditEvent.Action.CREATE if adding else AuditEvent.Action.UPDATE,
        actor=actor,
        target=customer,
        request=request,
        details={"fields": sorted(changed_fields)},
    )
    return customer


@transaction.atomic
def delete_record(*, actor, record: Customer | Account | Interaction, request: HttpRequest | None = None) -> None:
    """Delete a customer record (PROTECT keeps customers with accounts), auditing the deletion."""
    object_type, object_id = record._meta.label_lower, str(record.pk)
    record.delete()
    record_event(
        action=AuditEvent.Action.DELETE, actor=actor, object_type=object_type, object_id=object_id, request=request
    )


def delete_records(
    *, actor, records: Iterable[Customer | Account | Interaction], request: HttpRequest | None = None
) -> int:
    """Delete several records (the admin's bulk delete), each in its own transaction and audited like
    :func:`delete_record`; returns how many were deleted."""
    count = 0
    for record in records:
        delete_record(actor=actor, record=record, request=request)
        count += 1
    return count


@transaction.atomic
def save_account(*, actor, account: Account, changed_fields: list[str], request: HttpRequest | None = None) -> Account:
    """Validate and save an account built or edited by staff, auditing which fields changed."""
    adding = account._state.adding
    account.full_clean()
    account.save()
    record_event(
        action=AuditEvent.Action.CREATE if adding else AuditEvent.Action.UPDATE,
        actor=actor,
        target=account,
        request=request,
        details={"fields": sorted(changed_fields)},
    )
    return account


def create_account(*, actor, data: dict[str, Any], request: HttpRequest | None = None) -> Account:
    """Open an account from validated ``data`` (the API's create), auditing the fields given."""
    return save_account(actor=actor, account=Account(**data), changed_fields=sorted(data), request=request)


def update_account(*, actor, account: Account, changes: dict[str, Any], request: HttpRequest | None = None) -> Account:
    """Apply ``changes`` to ``account`` (the API's update); the audit names the fields whose value differs."""
    changed = [name for name, value in changes.items() if getattr(account, name) != value]
    for name in changed:
        setattr(account, name, changes[name])
    return save_account(actor=actor, account=account, changed_fields=changed, request=request)


def record_interaction(*, actor, interaction: Interaction, request: HttpRequest | None = None) -> Interaction:
    interaction.full_clean()
    interaction.save()
    record_event(
        action=AuditEvent.Action.CREATE,
        actor=actor,
        target=interaction,
        request=request,
        details={"customer": interaction.customer_id},
    )
    return interaction


def masked_pii(*, customer: Customer) -> dict[str, str]:
    return {
        "id_number": mask_identifier(customer.id_number),
        "phone": mask_phone(customer.phone),
        "email": mask_email(customer.email),
        "address": mask_address(customer.address),
    }


def reveal_customer_pii(*, actor, customer: Customer, request: HttpRequest | None = None) -> dict[str, str]:
    """Unmasked personal data for a user holding customers.reveal_customer_pii; always audited,
    including refusals."""
    if not actor.has_perm("customers.reveal_customer_pii"):
        record_event(
            action=AuditEvent.Action.PII_REVEAL,
            actor=actor,
            target=customer,
            request=request,
            outcome=AuditEvent.Outcome.DENIED,
        )
        raise RevealDenied("You do not have permission to reveal personal data.")
    record_event(
        action=AuditEvent.Action.PII_REVEAL,
        actor=actor,
        target=customer,
        request=request,
        details={"fields": list(CUSTOMER_PII_FIELDS)},
    )
    return {name: getattr(customer, name) or "" for name in CUSTOMER_PII_FIELDS}
