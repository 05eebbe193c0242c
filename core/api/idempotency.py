"""One create endpoint under an ``Idempotency-Key``: the first call runs and its answer is stored with
what it created, in one transaction; a retry with the same body replays that answer (400s included),
another body under the key is 422, a retry while the first still runs is 409."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.db import transaction
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from core import clock
from core.idempotency import (
    IdempotencyInFlight,
    IdempotencyMismatch,
    StoredResponse,
    claim_key,
    complete_key,
    release_key,
    request_fingerprint,
    resource_reference,
)

MAX_KEY_LENGTH = 100
_KEY_CHARACTERS = re.compile(r"[\x20-\x7e]+")


class Conflict(APIException):
    status_code = 409
    default_code = "idempotency_in_flight"


class Unprocessable(APIException):
    status_code = 422
    default_code = "idempotency_key_reused"


def idempotent_create(*, request: Request, key: str, create: Callable[[], tuple[int, dict[str, Any]]]) -> Response:
    """Run ``create`` (returning status and body) at most once for this user, key and body."""
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationError({"Idempotency-Key": [f"At most {MAX_KEY_LENGTH} characters."]})
    if not _KEY_CHARACTERS.fullmatch(key):
        # The key is stored: a NUL is a PostgreSQL error, other control characters are nobody's key.
        raise ValidationError({"Idempotency-Key": ["Only printable ASCII characters (e.g. a UUID)."]})
    fingerprint = request_fingerprint(
        method="POST", path=request.path, body=request.data if isinstance(request.data, dict) else {}
    )
    try:
        claimed = claim_key(user=request.user, key=key, fingerprint=fingerprint, as_of=clock.now())
    except IdempotencyMismatch as exc:
        raise Unprocessable(str(exc)) from exc
    except IdempotencyInFlight as exc:
        raise Conflict(str(exc)) from exc
    if isinstance(claimed, StoredResponse):
        return Response(claimed.body, status=claimed.status, headers={"Idempotent-Replayed": "true"})
    try:
        # What the call creates and its stored answer commit together: a retry after a crash finds the
        # completed key or re-claims an abandoned one, never half the work.
        with transaction.atomic():
            status_code, body = create()
            complete_key(
                record=claimed,
                status=status_code,
                body=body,
                resource_ref=resource_reference(path=request.path, body=body),
            )
    except ValidationError as exc:
        # Stored in the shape the error handler answers with, so the replay reads the same.
        stored = {
            "error": {
                "status": 400,
                "code": "invalid",
                "message": "The request has invalid fields.",
                "fields": exc.detail,
            }
        }
        complete_key(record=claimed, status=400, body=stored)
        raise
    except Exception:
        release_key(record=claimed)
        raise
    return Response(body, status=status_code)
