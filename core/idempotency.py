"""``Idempotency-Key`` for API writes: the same key with the same body repeats the first response;
with a different body it is a 422; while the first request is still running, a 409."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from core.models import IdempotencyRecord


class IdempotencyMismatch(Exception):
    """The key was used before with a different request body (422)."""


class IdempotencyInFlight(Exception):
    """A request with this key is still being processed (409)."""


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: dict


def request_fingerprint(*, method: str, path: str, body: dict) -> str:
    canonical = json.dumps({"method": method, "path": path, "body": body}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


ABANDONED_AFTER = dt.timedelta(minutes=2)


def claim_key(*, user, key: str, fingerprint: str, as_of: dt.datetime) -> IdempotencyRecord | StoredResponse:
    """Claim ``key`` for this request, committed at once so a concurrent duplicate sees it; or return
    the stored response of the earlier identical request. A claim left incomplete for longer than
    ABANDONED_AFTER (its worker died) may be taken over."""
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
    return StoredResponse(status=existing.response_status, body=existing.response_body)


def complete_key(*, record: IdempotencyRecord, status: int, body: dict) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk).update(completed=True, response_status=status, response_body=body)


def release_key(*, record: IdempotencyRecord) -> None:
    """The request failed unexpectedly: let the client retry with the same key."""
    IdempotencyRecord.objects.filter(pk=record.pk, completed=False).delete()
