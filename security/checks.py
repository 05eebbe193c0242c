"""System checks: field-encryption keys must be present, well-formed and independent of SECRET_KEY."""

from __future__ import annotations

import base64
import hashlib

from django.conf import settings
from django.core import checks
from django.core.checks import Error, Tags, register

from security import crypto


def _secret_key_derivations(secret_key: str) -> set[bytes]:
    """Keys someone might have 'derived' from SECRET_KEY; none of them may be used as a field key."""
    raw = secret_key.encode()
    candidates = {
        raw[:32],
        raw[-32:],
        hashlib.sha256(raw).digest(),
        hashlib.blake2b(raw, digest_size=32).digest(),
        hashlib.sha512(raw).digest()[:32],
        hashlib.pbkdf2_hmac("sha256", raw, b"", 1, 32),
    }
    try:
        decoded = base64.b64decode(secret_key, validate=True)
        candidates.add(decoded[:32])
    except ValueError:
        pass
    return {c for c in candidates if len(c) == crypto.KEY_BYTES}


@register(Tags.security, deploy=False)
def check_field_encryption_keys(app_configs=None, **kwargs) -> list[Error]:
    errors: list[Error] = []
    keyring = None
    try:
        keyring = crypto.parse_keyring(
            keys_setting=settings.FIELD_ENCRYPTION_KEYS, primary_key_id=settings.FIELD_ENCRYPTION_PRIMARY_KEY_ID
        )
    except crypto.KeyConfigurationError as exc:
        errors.append(
            Error(
                f"Field encryption keys are not usable: {exc}.",
                hint="Set FIELD_ENCRYPTION_KEYS to 'kid:<32 random bytes, base64>' (python3 dev.py keys prints one).",
                id="security.E001",
            )
        )
    blind_key = None
    try:
        blind_key = crypto.parse_blind_index_key(settings.BLIND_INDEX_KEY)
    except crypto.KeyConfigurationError as exc:
        errors.append(
            Error(
                f"Blind-index key is not usable: {exc}.",
                hint="Set BLIND_INDEX_KEY to 32 random bytes, base64.",
                id="security.E002",
            )
        )
    derived = _secret_key_derivations(settings.SECRET_KEY or "")
    if keyring is not None:
        for key_id, key in keyring.keys.items():
            if key in derived:
                errors.append(
                    Error(
                        f"Field encryption key {key_id!r} is derived from SECRET_KEY.",
                        hint="Encryption keys must be generated independently so a leaked SECRET_KEY does not expose data.",
                        id="security.E003",
                    )
                )
    if blind_key is not None:
        if blind_key in derived:
            errors.append(Error("BLIND_INDEX_KEY is derived from SECRET_KEY.", id="security.E003"))
        if keyring is not None and blind_key in keyring.keys.values():
            errors.append(
                Error(
                    "BLIND_INDEX_KEY reuses a field encryption key.",
                    hint="Use a separate random key.",
                    id="security.E004",
                )
            )
    errors.extend(_audit_chain_key_errors(derived=derived, keyring=keyring, blind_key=blind_key))
    return errors


def _audit_chain_key_errors(*, derived: set[bytes], keyring, blind_key) -> list:
    """security.E005: AUDIT_CHAIN_KEY malformed, derived from SECRET_KEY or reusing another key;
    security.W005: not set (production settings refuse to start without it)."""
    if not settings.AUDIT_CHAIN_KEY:
        return [
            checks.Warning(
                "AUDIT_CHAIN_KEY is not set: the audit hash chain uses a development key derived from SECRET_KEY.",
                hint="Set AUDIT_CHAIN_KEY to 32 random bytes, base64 (python3 dev.py keys prints one).",
                id="security.W005",
            )
        ]
    try:
        key = crypto.parse_audit_chain_key(settings.AUDIT_CHAIN_KEY)
    except crypto.KeyConfigurationError as exc:
        return [Error(f"Audit chain key is not usable: {exc}.", id="security.E005")]
    others = set(keyring.keys.values()) if keyring is not None else set()
    if blind_key is not None:
        others.add(blind_key)
    if key in derived or key in others:
        return [
            Error(
                "AUDIT_CHAIN_KEY is derived from SECRET_KEY or reuses an encryption or blind-index key.",
                hint="Use a separate random key.",
                id="security.E005",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_staff_two_factor(app_configs=None, **kwargs) -> list[Error]:
    """等保 2.0 level 3 / ASVS 2.7: administrators authenticate with two factors — not optional in production."""
    if settings.STAFF_2FA_REQUIRED:
        return []
    return [
        Error(
            "STAFF_2FA_REQUIRED is off: staff could reach the admin console with a password alone.",
            hint="Remove STAFF_2FA_REQUIRED=false from the production environment.",
            id="security.E006",
        )
    ]
