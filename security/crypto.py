"""AES-256-GCM field encryption with a rotatable keyring, and keyed blind indexes.

Stored form (text, so it survives any database and dump tool)::

    v1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>

The ``v1:<key id>:`` header is authenticated: it is part of the associated data together with the
binding (model, field, row public id), so changing the header, moving a ciphertext to another row or
field, or flipping any byte makes decryption fail. Failures raise :class:`DecryptionError`; nothing
ever falls back to returning the stored text.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

FORMAT_VERSION = "v1"
NONCE_BYTES = 12
KEY_BYTES = 32
KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
# 64-bit blind indexes: see blind_index() for the reasoning.
BLIND_INDEX_HEX_CHARS = 16


class KeyConfigurationError(Exception):
    """The keyring or blind-index key in settings is missing or malformed."""


class DecryptionError(Exception):
    """A stored value could not be authenticated and decrypted. Fail closed: never show the input."""


@dataclass(frozen=True)
class Keyring:
    keys: dict[str, bytes]
    primary_key_id: str

    @property
    def primary_key(self) -> bytes:
        return self.keys[self.primary_key_id]


def decode_key(*, encoded: str, name: str) -> bytes:
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyConfigurationError(f"{name} is not valid base64") from exc
    if len(raw) != KEY_BYTES:
        raise KeyConfigurationError(f"{name} must decode to {KEY_BYTES} bytes, got {len(raw)}")
    return raw


def parse_keyring(*, keys_setting: str, primary_key_id: str = "") -> Keyring:
    """Parse ``"kid:base64key,kid:base64key"``; the primary defaults to the first key listed."""
    keys: dict[str, bytes] = {}
    for item in (part.strip() for part in keys_setting.split(",")):
        if not item:
            continue
        key_id, sep, encoded = item.partition(":")
        if not sep or not KEY_ID_PATTERN.match(key_id):
            raise KeyConfigurationError(
                "FIELD_ENCRYPTION_KEYS entries must look like 'kid:base64key' with a key id of 1-16 letters, digits, - or _"
            )
        if key_id in keys:
            raise KeyConfigurationError(f"FIELD_ENCRYPTION_KEYS lists key id {key_id!r} twice")
        keys[key_id] = decode_key(encoded=encoded, name=f"FIELD_ENCRYPTION_KEYS[{key_id}]")
    if not keys:
        raise KeyConfigurationError("FIELD_ENCRYPTION_KEYS is empty")
    primary = primary_key_id or next(iter(keys))
    if primary not in keys:
        raise KeyConfigurationError(f"FIELD_ENCRYPTION_PRIMARY_KEY_ID {primary!r} is not in FIELD_ENCRYPTION_KEYS")
    return Keyring(keys=keys, primary_key_id=primary)


@lru_cache(maxsize=1)
def get_keyring() -> Keyring:
    return parse_keyring(
        keys_setting=settings.FIELD_ENCRYPTION_KEYS, primary_key_id=settings.FIELD_ENCRYPTION_PRIMARY_KEY_ID
    )


def parse_blind_index_key(value: str) -> bytes:
    if not value:
        raise KeyConfigurationError("BLIND_INDEX_KEY is empty")
    return decode_key(encoded=value, name="BLIND_INDEX_KEY")


@lru_cache(maxsize=1)
def get_blind_index_key() -> bytes:
    return parse_blind_index_key(settings.BLIND_INDEX_KEY)


def parse_audit_chain_key(value: str) -> bytes:
    if not value:
        raise KeyConfigurationError("AUDIT_CHAIN_KEY is empty")
    return decode_key(encoded=value, name="AUDIT_CHAIN_KEY")


@lru_cache(maxsize=1)
def get_audit_chain_key() -> bytes:
    """The HMAC key of the audit log's hash chain (security.services.audit_chain): its own key. Left
    empty outside production (check security.W005), a key derived from SECRET_KEY stands in so a
    developer's old .env keeps working; production refuses to start without a real one."""
    if not settings.AUDIT_CHAIN_KEY:
        return hashlib.sha256(b"audit-chain-development-only:" + settings.SECRET_KEY.encode()).digest()
    return parse_audit_chain_key(settings.AUDIT_CHAIN_KEY)


@receiver(setting_changed)
def _reset_key_caches(*, setting: str, **kwargs) -> None:
    if setting in {"FIELD_ENCRYPTION_KEYS", "FIELD_ENCRYPTION_PRIMARY_KEY_ID", "BLIND_INDEX_KEY", "AUDIT_CHAIN_KEY"}:
        get_keyring.cache_clear()
        get_blind_index_key.cache_clear()
        get_audit_chain_key.cache_clear()


def _associated_data(*, header: str, binding: str) -> bytes:
    return f"{header}|{binding}".encode()


def encrypt(*, plaintext: str, binding: str, keyring: Keyring | None = None) -> str:
    """Encrypt with the primary key and a fresh random nonce; ``binding`` names model, field and row."""
    ring = keyring or get_keyring()
    header = f"{FORMAT_VERSION}:{ring.primary_key_id}:"
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(ring.primary_key).encrypt(
        nonce, plaintext.encode(), _associated_data(header=header, binding=binding)
    )
    return header + base64.urlsafe_b64encode(nonce + sealed).decode()


def key_id_of(stored: str) -> str:
    """The key id in a stored value's header, without decrypting (used by re-encryption)."""
    version, sep, rest = stored.partition(":")
    key_id, sep2, _ = rest.partition(":")
    if version != FORMAT_VERSION or not sep or not sep2:
        raise DecryptionError("stored value has no recognised encryption header")
    return key_id


def decrypt(*, stored: str, binding: str, keyring: Keyring | None = None) -> str:
    ring = keyring or get_keyring()
    key_id = key_id_of(stored)
    key = ring.keys.get(key_id)
    if key is None:
        raise DecryptionError(f"stored value uses unknown key id {key_id!r}")
    header = f"{FORMAT_VERSION}:{key_id}:"
    try:
        blob = base64.urlsafe_b64decode(stored[len(header) :].encode())
    except (binascii.Error, ValueError) as exc:
        raise DecryptionError("stored value is not valid base64") from exc
    if len(blob) < NONCE_BYTES + 16:
        raise DecryptionError("stored value is truncated")
    try:
        plain = AESGCM(key).decrypt(
            blob[:NONCE_BYTES], blob[NONCE_BYTES:], _associated_data(header=header, binding=binding)
        )
    except InvalidTag as exc:
        raise DecryptionError("stored value failed authentication (tampered, moved or wrong key)") from exc
    return plain.decode()


def blind_index(*, purpose: str, normalized_value: str) -> str:
    """Keyed HMAC-SHA256 of a normalised value, truncated to 64 bits (16 hex characters).

    Why 64 bits: the index only has to make exact-match lookups selective. At 10^8 rows the chance
    that *any* two different values share an index is about n²/2⁶⁵ ≈ 3·10⁻⁴, and a collision costs
    nothing but one extra decrypt, because callers confirm matches against the decrypted value.
    Longer indexes would not add secrecy — ID numbers and phone numbers have so little entropy that
    only the secret key stops a dictionary attack — while every byte is paid for in three indexes on
    the largest tables. ``purpose`` (e.g. ``"customers.customer.phone"``) separates the index spaces
    so equal values in different fields do not produce equal indexes.
    """
    digest = hmac.new(get_blind_index_key(), f"{purpose}\x00{normalized_value}".encode(), hashlib.sha256)
    return digest.hexdigest()[:BLIND_INDEX_HEX_CHARS]


def generate_key() -> str:
    """A fresh random base64 key, for `.env` generation and key rotation."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()
