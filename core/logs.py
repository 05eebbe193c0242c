"""No personal data in logs: mobile numbers, ID numbers and credit codes, e-mail addresses and
verification codes are masked in every log record, and the values of search parameters in logged
URLs (access logs: ``?id_number=``, the admin's ``?q=``, …) are replaced by a keyed hash, so the
same search can still be correlated across lines without being readable.

Two layers, both installed by ``core.apps.CoreConfig.ready`` and the ``LOGGING`` setting:

* a log-record factory (``install()``): every record any logger creates in a process that loaded
  Django — web, gunicorn's access log, Celery workers, management commands — is masked when it is
  made, so every handler (ours, Django's defaults, Celery's, pytest's) only ever sees masked text;
* ``PersonalDataFilter`` on every handler in ``LOGGING``, for records made before Django was set up.

``mask_personal_data`` is also what the console SMS and e-mail backends print through.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets

# Values of these query parameters are hashed wherever a URL is logged.
SEARCH_PARAMETERS = (
    "id_number",
    "phone",
    "mobile",
    "email",
    "q",
    "code",
    "username",
    "name",
    "account_number",
    "address",
)
_QUERY = re.compile(r"([?&;](?:" + "|".join(SEARCH_PARAMETERS) + r")=)([^&;\s\"'#]+)", re.IGNORECASE)
_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-])[\w.+-]*@((?:[\w-]+\.)+[A-Za-z]{2,})")
# Mainland mobile numbers, with or without +86 / 0086 and spaces or dashes in the usual places.
_PHONE = re.compile(r"(?<![\w])(?:(?:\+|00)86[ -]?)?(1[3-9]\d)[ -]?\d{4}[ -]?(\d{4})(?![\w])")
# Resident ID numbers (18 characters, or the old 15 digits) and unified social credit codes (18).
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{3})(?:\d{11}[\dXx]|\d{8})(\d{4}|\d{3}[\dXx])(?![0-9A-Za-z])")
_CREDIT_CODE = re.compile(
    r"(?<![0-9A-Za-z])([0-9A-HJ-NP-RTUWXY]{3})[0-9A-HJ-NP-RTUWXY]{11}([0-9A-HJ-NP-RTUWXY]{4})(?![0-9A-Za-z])"
)
# One-time codes and passwords: a standalone group of 4–8 digits within 80 characters after the word
# that introduces them (English and Chinese), e.g. "code for binding account 3300000001 is 042917".
_CODE_WORD = re.compile(r"verification\s+code|code|otp|password|passcode|验证码|校验码|动态码|密码", re.IGNORECASE)
_CODE_DIGITS = re.compile(r"(?<![\d.,:-])\d{4,8}(?![\d.,:-]?\d)")
_CODE_REACH = 80


_fallback_key = secrets.token_bytes(32)


def _hash_key() -> bytes:
    try:
        from django.conf import settings

        return hashlib.sha256(b"core.logs:" + settings.SECRET_KEY.encode()).digest()
    except Exception:  # settings not configured (e.g. gunicorn's master before the app loads)
        return _fallback_key


def _hashed(match: re.Match) -> str:
    digest = hmac.new(_hash_key(), match.group(2).encode(), hashlib.sha256).hexdigest()[:12]
    return f"{match.group(1)}~{digest}"


def mask_personal_data(text: str) -> str:
    """``text`` with search values hashed and phone numbers, ID numbers, credit codes, e-mail addresses
    and verification codes masked (phone 138****5678, ID 330****0019, e-mail z***@example.cn)."""
    if not text:
        return text
    text = _QUERY.sub(_hashed, text)
    text = _EMAIL.sub(r"\1***@\2", text)
    text = _ID_NUMBER.sub(r"\1****\2", text)
    text = _CREDIT_CODE.sub(r"\1****\2", text)
    text = _PHONE.sub(r"\1****\2", text)
    return _mask_codes(text)


def _mask_codes(text: str) -> str:
    out, position = [], 0
    for word in _CODE_WORD.finditer(text):
        if word.start() < position:
            continue
        reach_end = text.find("\n", word.end())
        reach_end = min(word.end() + _CODE_REACH, reach_end if reach_end != -1 else len(text))
        out.append(text[position : word.end()])
        out.append(_CODE_DIGITS.sub(lambda m: "*" * len(m.group()), text[word.end() : reach_end]))
        position = reach_end
    out.append(text[position:])
    return "".join(out)


def _mask_record(record: logging.LogRecord) -> None:
    if getattr(record, "_personal_data_masked", False):
        return
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: leave it to the handler to report
        return
    record.msg, record.args = mask_personal_data(message), ()
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask_personal_data(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_personal_data(record.stack_info)
    record._personal_data_masked = True


class PersonalDataFilter(logging.Filter):
    """Handler filter: masks the record (see the module docstring); never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        _mask_record(record)
        return True


_installed = False


def install() -> None:
    """Mask every log record this process creates from now on (idempotent)."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _mask_record(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
