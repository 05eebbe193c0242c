"""GB 11643 ID numbers, GB 32100 credit codes, mobile and account numbers (customers.validators)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from customers.validators import (
    CREDIT_CHARSET,
    credit_code_check_char,
    id_number_check_char,
    validate_account_number,
    validate_credit_code,
    validate_id_number,
    validate_mobile,
)

# Published examples: the two numbers in GB 11643-1999 and a credit code from GB 32100-2015 material.
GB11643_EXAMPLE = "11010519491231002X"
GB11643_EXAMPLE_1880 = "440524188001010014"  # born 1880: right check digit, outside the accepted years
GB32100_EXAMPLE = "91350100M000100Y43"


def _id_number(body17: str) -> str:
    return body17 + id_number_check_char(body17)


def _credit_code(body17: str) -> str:
    return body17 + credit_code_check_char(body17)


def _error_code(validator, value, **kwargs) -> str:
    with pytest.raises(ValidationError) as excinfo:
        validator(value, **kwargs)
    return excinfo.value.code


# --- ID numbers ------------------------------------------------------------------------------------


def test_published_gb11643_examples_have_the_check_chars_the_standard_gives():
    assert id_number_check_char(GB11643_EXAMPLE[:17]) == "X"
    assert id_number_check_char(GB11643_EXAMPLE_1880[:17]) == "4"
    validate_id_number(GB11643_EXAMPLE)
    # The validator accepts birth years from 1900 only (nobody alive was born earlier).
    assert _error_code(validate_id_number, GB11643_EXAMPLE_1880) == "id_birth_date"


@pytest.mark.parametrize(
    "body17",
    [
        "33010619850312001",  # Hangzhou Xihu
        "33020319400101002",  # Ningbo Haishu, oldest demo birth year
        "33010220051231003",  # youngest demo birth year
        "65010219720229004",  # Xinjiang, leap day 1972
        "81000019991001005",  # Hong Kong residence permit region 81
    ],
)
def test_computed_id_numbers_are_valid(body17):
    validate_id_number(_id_number(body17))


def test_x_check_char_is_accepted_in_lower_case_and_with_spaces():
    validate_id_number(GB11643_EXAMPLE.lower())
    validate_id_number(" 110105 19491231 002x ")


def test_every_wrong_check_char_is_rejected():
    for wrong in "0123456789":
        assert _error_code(validate_id_number, GB11643_EXAMPLE[:17] + wrong) == "id_check_digit"


def test_single_digit_typo_is_caught_by_the_check_digit():
    valid = _id_number("33010619850312001")
    for position in range(17):
        digit = valid[position]
        typo = valid[:position] + str((int(digit) + 1) % 10) + valid[position + 1 :]
        with pytest.raises(ValidationError):
            validate_id_number(typo)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "11010519491231002",  # 17 characters
        "11010519491231002XX",  # 19 characters
        "1101051949123100X2",  # X not last
        "11010519491231002Y",  # letter other than X
        "110105194912310 2X",  # inner garbage
    ],
)
def test_malformed_id_numbers_are_rejected_with_the_format_code(value):
    assert _error_code(validate_id_number, value) == "id_format"


@pytest.mark.parametrize("region", ["000000", "990101", "100101", "390101", "700101"])
def test_unknown_region_is_rejected(region):
    assert _error_code(validate_id_number, _id_number(f"{region}19850312001")) == "id_region"


@pytest.mark.parametrize("birth", ["19990230", "20230229", "19851301", "19850000", "19850431"])
def test_impossible_birth_date_is_rejected(birth):
    assert _error_code(validate_id_number, _id_number(f"330106{birth}001")) == "id_birth_date"


def test_future_and_pre_1900_birth_dates_are_rejected():
    today = dt.date(2025, 6, 1)
    assert _error_code(validate_id_number, _id_number("33010620250602001"), today=today) == "id_birth_date"
    validate_id_number(_id_number("33010620250601001"), today=today)
    assert _error_code(validate_id_number, _id_number("33010618991231001"), today=today) == "id_birth_date"


def test_future_birth_date_uses_the_real_clock_by_default():
    next_year = dt.date.today().year + 1
    assert _error_code(validate_id_number, _id_number(f"330106{next_year}0101001")) == "id_birth_date"


# --- credit codes ----------------------------------------------------------------------------------


def test_published_gb32100_example_passes():
    assert credit_code_check_char(GB32100_EXAMPLE[:17]) == "3"
    validate_credit_code(GB32100_EXAMPLE)
    validate_credit_code(GB32100_EXAMPLE.lower())


@pytest.mark.parametrize(
    "body17",
    ["91330106MA27XY123", "91330109143852210", "93330109MA2B0000A", "92330102MA2KQ8R5X"],
)
def test_computed_credit_codes_are_valid(body17):
    validate_credit_code(_credit_code(body17))


def test_check_char_can_be_any_of_the_31_characters():
    # Sanity of the helper over many bodies: it always returns an allowed character.
    seen = {credit_code_check_char(f"913301{n:011d}") for n in range(2000)}
    assert seen <= set(CREDIT_CHARSET)
    assert len(seen) == 31


def test_every_wrong_credit_check_char_is_rejected():
    for wrong in CREDIT_CHARSET:
        if wrong == GB32100_EXAMPLE[17]:
            continue
        assert _error_code(validate_credit_code, GB32100_EXAMPLE[:17] + wrong) == "credit_check_char"


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_forbidden_letters_are_rejected(letter):
    body = f"91330106MA27{letter}Y123"
    assert _error_code(validate_credit_code, body + "0") == "credit_format"


@pytest.mark.parametrize("value", ["", "91350100M000100Y4", "91350100M000100Y433", "91350100M000100Y4-", "9135 0100"])
def test_malformed_credit_codes_are_rejected(value):
    assert _error_code(validate_credit_code, value) == "credit_format"


def test_credit_code_with_non_mainland_region_is_rejected():
    assert _error_code(validate_credit_code, _credit_code("91990100M000100Y4")) == "credit_region"
    assert _error_code(validate_credit_code, _credit_code("9135A100M000100Y4")) == "credit_region"


def test_id_number_validator_rejects_a_credit_code_and_vice_versa():
    with pytest.raises(ValidationError):
        validate_id_number(GB32100_EXAMPLE)
    with pytest.raises(ValidationError):
        validate_credit_code(GB11643_EXAMPLE)


# --- mobile and account numbers --------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["13800138000", "+8613800138000", "+86 138 0013 8000", "0086 138-0013-8000", "(+86) 19912345678", "16612345678"],
)
def test_valid_mobile_numbers(value):
    validate_mobile(value)


@pytest.mark.parametrize(
    "value",
    ["", "1380013800", "138001380001", "12800138000", "23800138000", "+85 13800138000", "0571-88888888", "138OO138000"],
)
def test_invalid_mobile_numbers(value):
    assert _error_code(validate_mobile, value) == "mobile_format"


@pytest.mark.parametrize("value", ["3301234567", "0000000000"])
def test_valid_account_numbers(value):
    validate_account_number(value)


@pytest.mark.parametrize("value", ["", "330123456", "33012345678", "33O1234567", " 3301234567", None])
def test_invalid_account_numbers(value):
    assert _error_code(validate_account_number, value) == "account_number_format"
