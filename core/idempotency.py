"""``Idempotency-Key`` for API writes: the same key with the same body repeats the first response;
with a different body it is a 422; while the first request is still running, a 409.

A record keeps only what a replay needs: the status, a reference to the resource created, a SHA-256
of the response body and the body itself sealed (AES-256-GCM under the field-encryption keyring, bound
to the record's user and key) — responses may carry personal data, so none of it is stored in clear.
Records expire after ``IDEMPOTENCY_TTL_HOURS`` (a beat task deletes them; an expired key is free again).

The kernel imports no app: the cipher is registered by the security app at start-up
(``register_body_cipher``); without one, bodies are not stored at all and a replay answers the
status and the resource reference only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from core.models import IdempotencyRecord


class IdempotencyMismatch(Exception):
    """The key was used before with a different request body (422)."""


class IdempotencyInFlight(Exception):
    """A request with this key is still being processed (409)."""


class ReplayIntegrityError(Exception):
    """A sealed body did not hash to what was stored: never replay something else."""


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: dict[str, Any]


@dataclass(frozen=True)
class BodyCipher:
    encrypt: Callable[..., str]  # (*, plaintext, binding) -> stored text
    decrypt: Callable[..., str]  # (*, stored, binding) -> plaintext; raises when tampered


_cipher: BodyCipher | None = None


def register_body_cipher(cipher: BodyCipher | None) -> None:
    global _cipher
    _cipher = cipher


def request_fingerprint(*, method: str, path: str, body: dict[str, Any]) -> str:
    canonical = json.dumps({"method": method, "path": path, "body": body}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _canonical_body(body: dict[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def body_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(_canonical_body(body).encode()).hexdigest()


def _binding(record: IdempotencyRecord) -> str:
    # Associated data: a sealed body copied to another user's or key's record fails to decrypt.
    return f"core.idempotencyrecord.response:{record.user_id}:{record.key}"


ABANDONED_AFTER = dt.timedelta(minutes=2)


def ttl() -> dt.timedelta:
    return dt.timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)


def claim_key(*, user: Any, key: str, fingerprint: str, as_of: dt.datetime) -> IdempotencyRecord | StoredResponse:
    """Claim ``key`` for this request, committed at once so a concurrent duplicate sees it; or return
    the stored response of the earlier identical request. ``user``: an AUTH_USER_MODEL instance (core
    does not import the app that defines it). A claim left incomplete for longer than
    ABANDONED_AFTER (its worker died) may be taken over; a record past its time to live is gone."""
    IdempotencyRecord.objects.filter(user=user, key=key, created_at__lt=as_of - ttl()).delete()
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(user=user, key=key, request_hash=fingerprint)
    except IntegrityError:
        existing = IdempotencyRecord.objects.get(user=user, key=key)
    if existing.request_hash != fingerprint:
        raise IdempotencyMismatch("this Idempotency-Key was used with a different request")
    if not existing.completed:
        taken = IdempotencyRecord.objects.filter(
            pk=existing.pk, completed=False, created_at__lt=as_of - ABANDONED_AFTER
        ).update(created_at=as_of)
        if taken:
            return IdempotencyRecord.objects.get(pk=existing.pk)
        raise IdempotencyInFlight("a request with this Idempotency-Key is still being processed")
    assert existing.response_status is not None  # a completed record always has its status
    return StoredResponse(status=existing.response_status, body=_replayed_body(existing))


def _replayed_body(record: IdempotencyRecord) -> dict[str, Any]:
    if record.response_sealed and _cipher is not None:
        body: dict[str, Any] = json.loads(_cipher.decrypt(stored=record.response_sealed, binding=_binding(record)))
        if body_hash(body) != record.response_hash:
            raise ReplayIntegrityError(f"idempotency record {record.pk}: sealed body does not match its hash")
        return body
    # Nothing sealed (no cipher configured, or a record from before bodies were sealed): the outcome
    # and where the resource is, never a second execution.
    return {"replayed": True, "resource": record.resource_ref}


def resource_reference(*, path: str, body: dict[str, Any]) -> str:
    """Where the created resource is: the collection path and the body's identifier, if it has one."""
    for name in ("public_id", "number", "id", "order_no", "reference"):
        if isinstance(body, dict) and body.get(name) not in (None, ""):
            return f"{path.rstrip('/')}/{body[name]}"[:200]
    return path[:200]


def complete_key(*, record: IdempotencyRecord, status: int, body: dict[str, Any], resource_ref: str = "") -> None:
    sealed = _cipher.encrypt(plaintext=_canonical_body(body), binding=_binding(record)) if _cipher else None
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        completed=True,
        response_status=status,
        resource_ref=resource_ref,
        response_hash=body_hash(body),
        response_sealed=sealed,
    )


def release_key(*, record: IdempotencyRecord) -> None:
    """The request failed unexpectedly: let the client retry with the same key."""
    IdempotencyRecord.objects.filter(pk=record.pk, completed=False).delete()


def expire_records(*, as_of: dt.datetime) -> int:
    """Delete every record older than the time to live; returns how many."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=as_of - ttl()).delete()
    return deleted
