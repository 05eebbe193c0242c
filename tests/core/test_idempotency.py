"""Finding 3: Idempotency-Key records keep only what a replay needs — status, a resource reference,
the body's SHA-256 and the body sealed under the field-encryption keys — never personal data in
clear; they expire after IDEMPOTENCY_TTL_HOURS (beat task); a replay still answers the same."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from django.conf import settings
from django.db import connection

from core import clock
from core.idempotency import (
    StoredResponse,
    body_hash,
    claim_key,
    complete_key,
    request_fingerprint,
)
from core.models import IdempotencyRecord
from core.tasks import expire_idempotency_records_task
from security.crypto import DecryptionError
from tests.billing.test_payments import bank, issued_bill  # noqa: F401  (fixtures)
from tests.factories import make_portal_user

pytestmark = pytest.mark.django_db

PERSONAL = {"id": 42, "phone": "13812345678", "id_number": "330106198503120019", "name": "王小明", "amount": "161.40"}


def _raw_row(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM core_idempotencyrecord WHERE id = %s", [pk])
        return json.dumps([str(value) for value in cursor.fetchone()], ensure_ascii=False)


def _complete(user, key: str, body: dict, status: int = 201) -> IdempotencyRecord:
    fingerprint = request_fingerprint(method="POST", path="/api/v1/things", body={"a": 1})
    record = claim_key(user=user, key=key, fingerprint=fingerprint, as_of=clock.now())
    complete_key(record=record, status=status, body=body, resource_ref="/api/v1/things/42")
    return IdempotencyRecord.objects.get(pk=record.pk)


def test_the_stored_row_holds_no_personal_data_only_status_reference_hash_and_sealed_body():
    user = make_portal_user()
    record = _complete(user, "k-personal", PERSONAL)
    raw = _raw_row(record.pk)
    for value in ("13812345678", "330106198503120019", "王小明", "161.40"):
        assert value not in raw
    assert record.response_status == 201 and record.resource_ref == "/api/v1/things/42"
    canonical = json.dumps(PERSONAL, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert record.response_hash == hashlib.sha256(canonical.encode()).hexdigest() == body_hash(PERSONAL)
    assert record.response_sealed.startswith("v1:k1:")  # the field-encryption format, primary key k1
    assert not hasattr(record, "response_body")


def test_replay_returns_the_same_outcome():
    user = make_portal_user()
    _complete(user, "k-replay", PERSONAL)
    fingerprint = request_fingerprint(method="POST", path="/api/v1/things", body={"a": 1})
    replay = claim_key(user=user, key="k-replay", fingerprint=fingerprint, as_of=clock.now())
    assert replay == StoredResponse(status=201, body=PERSONAL)


def test_a_sealed_body_copied_to_another_users_record_fails_closed():
    alice, mallory = make_portal_user(), make_portal_user()
    sealed = _complete(alice, "k-copy", PERSONAL).response_sealed
    theirs = _complete(mallory, "k-copy", {"id": 1})
    IdempotencyRecord.objects.filter(pk=theirs.pk).update(response_sealed=sealed)
    fingerprint = request_fingerprint(method="POST", path="/api/v1/things", body={"a": 1})
    with pytest.raises(DecryptionError):
        claim_key(user=mallory, key="k-copy", fingerprint=fingerprint, as_of=clock.now())


def test_payment_replay_over_http_is_identical_and_stored_sealed(bank, issued_bill):  # noqa: F811
    body = {"account_number": issued_bill.account.number, "amount": "161.40", "channel": "bank", "reference": "ICBC-9"}
    first = bank.post("/api/v1/payments", body, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    second = bank.post("/api/v1/payments", body, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    assert first.status_code == second.status_code == 201 and first.json() == second.json()
    record = IdempotencyRecord.objects.get(key="pay-1")
    assert issued_bill.account.number not in _raw_row(record.pk)
    assert record.resource_ref == f"/api/v1/payments/{first.json()['order_no']}"


def test_records_expire_after_the_time_to_live_by_the_beat_task():
    user = make_portal_user()
    old, fresh = _complete(user, "k-old", PERSONAL), _complete(user, "k-fresh", PERSONAL)
    now = clock.now()
    IdempotencyRecord.objects.filter(pk=old.pk).update(created_at=now - dt.timedelta(hours=24, seconds=1))
    IdempotencyRecord.objects.filter(pk=fresh.pk).update(created_at=now - dt.timedelta(hours=23, minutes=59))
    assert expire_idempotency_records_task() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["k-fresh"]
    schedule = settings.CELERY_BEAT_SCHEDULE["core.expire_idempotency_records"]
    assert schedule["task"] == "core.expire_idempotency_records" and schedule["schedule"] <= 3600


def test_an_expired_key_not_yet_pruned_is_free_again():
    user = make_portal_user()
    old = _complete(user, "k-again", PERSONAL)
    IdempotencyRecord.objects.filter(pk=old.pk).update(created_at=clock.now() - dt.timedelta(hours=25))
    fingerprint = request_fingerprint(method="POST", path="/api/v1/things", body={"other": 2})
    claimed = claim_key(user=user, key="k-again", fingerprint=fingerprint, as_of=clock.now())
    assert isinstance(claimed, IdempotencyRecord) and not claimed.completed
