"""Validators for mainland identifiers: GB 11643 ID numbers, GB 32100 credit codes, mobile numbers."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core import clock
from security.normalize import normalize_identifier, normalize_phone

# GB/T 2260 province-level codes: the first two digits of every ID number and credit-code region.
PROVINCE_CODES = frozenset(
    {
        11,
        12,
        13,
        14,
        15,
        21,
        22,
        23,
        31,
        32,
        33,
        34,
        35,
        36,
        37,
        41,
        42,
        43,
        44,
        45,
        46,
        50,
        51,
        52,
        53,
        54,
        61,
        62,
        63,
        64,
        65,
        71,
        81,
        82,
    }
)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"  # ISO 7064 MOD 11-2: index = weighted sum mod 11
CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
MOBILE_PATTERN = re.compile(r"^1[3-9]\d{9}$")


def id_number_check_char(first17: str) -> str:
    return ID_CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def credit_code_check_char(first17: str) -> str:
    total = sum(CREDIT_CHARSET.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_CHARSET[(31 - total % 31) % 31]


def validate_id_number(value: str, *, today: dt.date | None = None) -> None:
    """GB 11643 resident identity number: 18 characters, region, birth date, MOD 11-2 check digit."""
    number = normalize_identifier(value)
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise ValidationError(_("An ID number has 18 characters: 17 digits and a final digit or X."), code="id_format")
    if int(number[:2]) not in PROVINCE_CODES:
        raise ValidationError(
            _("The ID number's region code %(code)s is not a mainland region."),
            code="id_region",
            params={"code": number[:6]},
        )
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(
            _("The ID number's birth date %(date)s is not a real date."),
            code="id_birth_date",
            params={"date": number[6:14]},
        ) from None
    if birth.year < 1900 or birth > (today or clock.today()):
        raise ValidationError(
            _("The ID number's birth date %(date)s is out of range."),
            code="id_birth_date",
            params={"date": birth.isoformat()},
        )
    expected = id_number_check_char(number[:17])
    if number[17] != expected:
        raise ValidationError(
            _("The ID number's check digit is wrong: please check the number for typing errors."), code="id_check_digit"
        )


def validate_credit_code(value: str) -> None:
    """GB 32100 unified social credit code: 18 characters from its 31-letter alphabet plus check character."""
    code = normalize_identifier(value)
    if len(code) != 18 or any(c not in CREDIT_CHARSET for c in code):
        raise ValidationError(
            _("A unified social credit code has 18 characters: digits and capital letters except I, O, S, V and Z."),
            code="credit_format",
        )
    if not code[2:8].isdigit() or int(code[2:4]) not in PROVINCE_CODES:
        raise ValidationError(
            _("The credit code's region code %(code)s is not a mainland region."),
            code="credit_region",
            params={"code": code[2:8]},
        )
    if code[17] != credit_code_check_char(code[:17]):
        raise ValidationError(
            _("The credit code's check character is wrong: please check it for typing errors."),
            code="credit_check_char",
        )


def validate_mobile(value: str) -> None:
    """Mainland mobile number: 11 digits starting 13–19 (an optional +86 prefix is accepted)."""
    if not MOBILE_PATTERN.match(normalize_phone(value)):
        raise ValidationError(
            _("Enter a mainland mobile number: 11 digits starting with 1 (e.g. 13812345678)."), code="mobile_format"
        )


def validate_account_number(value: str) -> None:
    if not re.fullmatch(r"\d{10}", value or ""):
        raise ValidationError(_("An account number (户号) has 10 digits."), code="account_number_format")
