"""Revealing the personal answers of a service request (ID number, phone, address, names): in clear
only for staff holding ``customers.reveal_customer_pii`` (the permission that reveals a customer's
record, since it is the same kind of data), and audited every time, refusals included."""

from __future__ import annotations

from django.http import HttpRequest

from security.models import AuditEvent
from security.services.audit import record_event
from services.models import ServiceRequest
from services.selectors.requests import private_answers

REVEAL_PERMISSION = "customers.reveal_customer_pii"


class RevealDenied(Exception):
    """The actor may not read personal data in clear; the refusal has been audited."""


def reveal_private_answers(*, actor, service_request: ServiceRequest, request: HttpRequest | None = None) -> dict:
    """The request's personal answers in clear by field name; the audit event names the fields, never
    their values. Raises RevealDenied (after auditing the refusal) without the permission."""
    allowed = actor.has_perm(REVEAL_PERMISSION)
    answers = private_answers(service_request=service_request) if allowed else {}
    record_event(
        action=AuditEvent.Action.PII_REVEAL,
        actor=actor,
        target=service_request,
        request=request,
        outcome=AuditEvent.Outcome.SUCCESS if allowed else AuditEvent.Outcome.DENIED,
        details={"fields": sorted(answers)} if allowed else None,
    )
    if not allowed:
        raise RevealDenied("You do not have permission to reveal personal data.")
    return answers
