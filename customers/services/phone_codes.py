"""One-time SMS codes that prove a caller holds a mobile number (registration, password reset, binding),
and the per-phone limit on what is texted to one number.

A code is six random digits, valid ``PHONE_CODE_TTL_SECONDS``, good for one successful check, and void
after ``PHONE_CODE_MAX_ATTEMPTS`` wrong entries. The cache holds only a keyed HMAC of it (a bare hash
of six digits is reversed by trying all 10^6), under a key built from a keyed digest of the subject,
so neither the number nor the code can be read back from Redis.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac

from core.cache import increment
from customers.services.attempt_limits import count_against_limit
from security.crypto import DecryptionError, blind_index, decrypt, encrypt

REGISTER = "register"
RECOVERY = "password_reset"  # the "forgot password" flow
BIND = "bind"


def _digest(value: str) -> str:
    return blind_index(purpose="customers.phone_code", normalized_value=value)


def _code_key(*, purpose: str, subject: str) -> str:
    return f"phone-code:{purpose}:{_digest(subject)}"


def _tries_key(*, purpose: str, subject: str) -> str:
    return f"phone-code-tries:{purpose}:{_digest(subject)}"


def _code_mac(*, purpose: str, subject: str, code: str) -> str:
    return salted_hmac("customers.phone_code", f"{purpose}\x00{subject}\x00{code}", algorithm="sha256").hexdigest()


def count_text_to(*, phone: str, client: str | None, now: dt.datetime) -> None:
    """One more text to ``phone`` (a code or a notice, from any flow) asked for from ``client``.

    Refused past ``PHONE_CODE_SENDS_PER_CLIENT`` from one client address, so nobody can flood a number
    or, by using up its texts on purpose, keep its holder from getting a code (issue 13 finding 10's
    lesson: count the requester, not only the target); and past ``PHONE_CODE_SENDS_PER_PHONE`` from
    everywhere together, against a flood spread over many addresses.
    """
    if client is not None:
        count_against_limit(
            name="sms-to-phone-from-client",
            subject=f"{client}|{phone}",
            limit=settings.PHONE_CODE_SENDS_PER_CLIENT,
            window_seconds=settings.PHONE_CODE_WINDOW_SECONDS,
            now=now,
        )
    count_against_limit(
        name="sms-to-phone",
        subject=phone,
        limit=settings.PHONE_CODE_SENDS_PER_PHONE,
        window_seconds=settings.PHONE_CODE_WINDOW_SECONDS,
        now=now,
    )


def issue_code(*, purpose: str, subject: str) -> str:
    """A fresh code for ``subject`` (replacing any earlier one); only its HMAC is kept."""
    code = f"{secrets.randbelow(10**6):06d}"
    ttl = settings.PHONE_CODE_TTL_SECONDS
    cache.set(_tries_key(purpose=purpose, subject=subject), 0, timeout=ttl)
    cache.set(_code_key(purpose=purpose, subject=subject), _code_mac(purpose=purpose, subject=subject, code=code), ttl)
    return code


def consume_code(*, purpose: str, subject: str, code: str) -> bool:
    """True once for the right code within its lifetime; each wrong entry uses up one attempt and the
    code is void after the last. Two concurrent right entries: only the one that deletes it wins."""
    key = _code_key(purpose=purpose, subject=subject)
    expected = cache.get(key)
    if expected is None:
        return False
    tries = increment(_tries_key(purpose=purpose, subject=subject), timeout=settings.PHONE_CODE_TTL_SECONDS)
    if tries > settings.PHONE_CODE_MAX_ATTEMPTS:
        cache.delete(key)
        return False
    if not hmac.compare_digest(expected, _code_mac(purpose=purpose, subject=subject, code=code.strip())):
        return False
    return bool(cache.delete(key))


# --- the number being verified, kept between "send code" and "enter code" ------------------------------
# The session store is a database table and Redis: the number goes there encrypted, bound to the flow.


def seal_phone(*, phone: str, purpose: str) -> str:
    return encrypt(plaintext=phone, binding=f"customers.pending_phone:{purpose}")


def unseal_phone(*, sealed: str, purpose: str) -> str | None:
    try:
        return decrypt(stored=sealed, binding=f"customers.pending_phone:{purpose}")
    except DecryptionError:
        return None
