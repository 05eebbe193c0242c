"""security.checks.check_field_encryption_keys: missing, malformed and SECRET_KEY-derived keys."""

from __future__ import annotations

import base64
import hashlib

import pytest
from django.conf import settings
from django.core.checks import run_checks
from django.test import override_settings

from security.checks import check_field_encryption_keys

SECRET = settings.SECRET_KEY
K1, K0 = (item.split(":", 1)[1] for item in settings.FIELD_ENCRYPTION_KEYS.split(","))
BLIND = settings.BLIND_INDEX_KEY


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _ids(**overrides) -> list[str]:
    with override_settings(**overrides):
        return sorted(error.id for error in check_field_encryption_keys())


def test_the_test_configuration_is_valid():
    assert _ids() == []


def test_valid_single_key_configuration_has_no_errors():
    assert _ids(FIELD_ENCRYPTION_KEYS=f"main:{K1}", FIELD_ENCRYPTION_PRIMARY_KEY_ID="") == []


def test_valid_ring_with_old_key_primary_has_no_errors():
    assert _ids(FIELD_ENCRYPTION_PRIMARY_KEY_ID="k0") == []


@pytest.mark.parametrize(
    ("keys", "primary"),
    [
        ("", ""),  # missing
        ("   ", ""),
        ("k1", ""),  # no separator
        (f":{K1}", ""),  # empty key id
        (f"key id with spaces:{K1}", ""),
        (f"k1:{K1},k1:{K0}", ""),  # duplicate key id
        ("k1:not base64!!", ""),  # malformed base64
        (f"k1:{K1[:-4]}", ""),  # truncated base64
        (f"k1:{_b64(bytes(16))}", ""),  # 128-bit key: wrong length
        (f"k1:{_b64(bytes(64))}", ""),  # too long
        (f"k1:{K1}", "k9"),  # primary id not in the ring
    ],
)
def test_unusable_encryption_keys_give_e001(keys, primary):
    assert _ids(FIELD_ENCRYPTION_KEYS=keys, FIELD_ENCRYPTION_PRIMARY_KEY_ID=primary) == ["security.E001"]


@pytest.mark.parametrize("blind", ["", "not base64!!", _b64(bytes(16))])
def test_unusable_blind_index_key_gives_e002(blind):
    assert _ids(BLIND_INDEX_KEY=blind) == ["security.E002"]


def test_everything_missing_reports_both():
    assert _ids(FIELD_ENCRYPTION_KEYS="", BLIND_INDEX_KEY="") == ["security.E001", "security.E002"]


@pytest.mark.parametrize(
    "derive",
    [
        lambda s: hashlib.sha256(s.encode()).digest(),
        lambda s: hashlib.sha512(s.encode()).digest()[:32],
        lambda s: hashlib.blake2b(s.encode(), digest_size=32).digest(),
        lambda s: s.encode()[:32],
    ],
)
def test_encryption_key_derived_from_secret_key_gives_e003(derive):
    derived = _b64(derive(SECRET))
    assert _ids(FIELD_ENCRYPTION_KEYS=f"k1:{K1},old:{derived}") == ["security.E003"]


def test_blind_index_key_derived_from_secret_key_gives_e003():
    assert _ids(BLIND_INDEX_KEY=_b64(hashlib.sha256(SECRET.encode()).digest())) == ["security.E003"]


def test_derivation_check_follows_the_configured_secret_key():
    other_secret = "another-secret-key-" + "y" * 40
    derived = _b64(hashlib.sha256(other_secret.encode()).digest())
    assert _ids(FIELD_ENCRYPTION_KEYS=f"k1:{derived}") == []
    assert _ids(FIELD_ENCRYPTION_KEYS=f"k1:{derived}", SECRET_KEY=other_secret) == ["security.E003"]


@pytest.mark.parametrize("reused", [K1, K0])
def test_blind_index_key_reusing_an_encryption_key_gives_e004(reused):
    assert _ids(BLIND_INDEX_KEY=reused) == ["security.E004"]


def test_error_messages_never_contain_key_material():
    bad = _b64(bytes(range(16)))
    with override_settings(FIELD_ENCRYPTION_KEYS=f"k1:{bad}", BLIND_INDEX_KEY=K1):
        errors = check_field_encryption_keys()
    text = " ".join(f"{e.msg} {e.hint}" for e in errors)
    assert errors
    for secret in (bad, K1, K0):
        assert secret not in text


def test_check_is_registered_with_the_security_tag():
    with override_settings(FIELD_ENCRYPTION_KEYS=""):
        ids = {error.id for error in run_checks(tags=["security"])}
    assert "security.E001" in ids
