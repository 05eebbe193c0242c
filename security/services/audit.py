"""The one way audit events are written."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from core.web.client import client_ip
from security.context import current_actor
from security.models import AuditEvent


def record_event(
    *,
    action: str,
    actor=None,
    actor_label: str = "",
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    outcome: str = AuditEvent.Outcome.SUCCESS,
    request: HttpRequest | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event. ``details`` must never carry personal data, only names and ids."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if target is not None:
        object_type = target._meta.label_lower
        object_id = str(target.pk)
    source_ip = client_ip(request)
    if source_ip is None and (acting := current_actor()) is not None:
        source_ip = acting.source_ip  # written by a signal or service while serving a request
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_label=actor_label or (actor.get_username() if actor is not None else ""),
        object_type=object_type,
        object_id=object_id,
        outcome=outcome,
        source_ip=source_ip,
        details=details or {},
    )
