"""Normalisers applied before blind indexing, so equal values index equally however they are typed."""

import re

_PHONE_NOISE = re.compile(r"[\s\-()]")


def normalize_phone(value: str) -> str:
    """'+86 138-0013-8000' → '13800138000'."""
    digits = _PHONE_NOISE.sub("", value or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits


def normalize_identifier(value: str) -> str:
    """ID numbers and credit codes: no spaces, upper case (a trailing 'x' is the check character X)."""
    return re.sub(r"\s", "", value or "").upper()


def normalize_email(value: str) -> str:
    return (value or "").strip().lower()


def normalize_text(value: str) -> str:
    return " ".join((value or "").split())


NORMALIZERS = {
    "phone": normalize_phone,
    "identifier": normalize_identifier,
    "email": normalize_email,
    "text": normalize_text,
}
