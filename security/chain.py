"""The audit log's hash chain: every event carries the hash of the event before it and its own hash,
an HMAC-SHA256 under AUDIT_CHAIN_KEY (its own key, never an encryption or blind-index key) of its
canonical form. Changing, inserting or removing a row anywhere but at the very end breaks the chain at
that row, and without the key nobody can compute a valid link (``manage.py verify_audit_log``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import json

from security.crypto import get_audit_chain_key

GENESIS = "0" * 64


def canonical(*, event) -> bytes:
    """The fields an event is judged by, in a fixed order and format (time in UTC, microseconds)."""
    occurred = event.occurred_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    ip = ipaddress.ip_address(event.source_ip).compressed if event.source_ip else None
    return json.dumps(
        {
            "occurred_at": occurred,
            "actor_id": event.actor_id,
            "actor_label": event.actor_label,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "outcome": event.outcome,
            "source_ip": ip,
            "details": event.details,
            "prev_hash": event.prev_hash,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    ).encode()


def link_hash(*, event) -> str:
    return hmac.new(get_audit_chain_key(), canonical(event=event), hashlib.sha256).hexdigest()
