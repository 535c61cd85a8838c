from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payments.registry.citizen_id import (
    PROVINCE_OF_BIRTH_CODES,
    century_sex_digit,
    citizen_id_problems,
    is_valid_citizen_id,
    legacy_id_problem,
    make_citizen_id,
    normalise_phone,
    phone_problem,
)

births = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))
sexes = st.sampled_from(["male", "female"])
provinces = st.sampled_from(sorted(PROVINCE_OF_BIRTH_CODES))
serials = st.integers(min_value=0, max_value=999_999)


@pytest.mark.parametrize(
    ("born", "sex", "digit"),
    [
        (date(1955, 1, 1), "male", "0"),
        (date(1955, 1, 1), "female", "1"),
        (date(2005, 6, 1), "male", "2"),
        (date(2005, 6, 1), "female", "3"),
        (date(2101, 1, 1), "female", "5"),
    ],
)
def test_century_and_sex_digit(born, sex, digit):
    assert century_sex_digit(born, sex) == digit


def test_a_known_good_id_is_valid():
    assert is_valid_citizen_id("068155000123", date(1955, 4, 2), "female")


def test_wrong_sex_digit_is_explained():
    problems = citizen_id_problems("068055000123", date(1955, 4, 2), "female")
    assert problems == ["digit 4 must be 1 for a female born in 1955"]


def test_wrong_birth_year_digits_are_explained():
    assert citizen_id_problems("068156000123", date(1955, 4, 2), "female") == [
        "digits 5-6 must be 55, the birth year"
    ]


def test_unknown_province_code_and_bad_format_are_refused():
    assert (
        "003 is not a province-of-birth code"
        in citizen_id_problems("003155000123", date(1955, 1, 1), "female")[0]
    )
    assert citizen_id_problems("06815500012", None, None) == ["a citizen ID has exactly 12 digits"]
    assert citizen_id_problems("06815500012a", None, None) == ["a citizen ID has exactly 12 digits"]


@given(provinces, births, sexes, serials)
def test_generated_ids_are_valid_for_their_owner(province, born, sex, serial):
    assert is_valid_citizen_id(make_citizen_id(province, born, sex, serial), born, sex)


@given(provinces, births, sexes, serials)
def test_an_id_is_invalid_for_the_other_sex(province, born, sex, serial):
    other = "female" if sex == "male" else "male"
    assert not is_valid_citizen_id(make_citizen_id(province, born, sex, serial), born, other)


@given(provinces, births, sexes, serials, st.integers(min_value=1, max_value=99))
def test_an_id_is_invalid_for_another_birth_year(province, born, sex, serial, shift):
    other_year = born.replace(year=1900 + (born.year - 1900 + shift) % 200, day=1)
    assert not is_valid_citizen_id(make_citizen_id(province, born, sex, serial), other_year, sex)


@given(st.text(max_size=14))
def test_anything_but_twelve_digits_is_refused(text):
    if not (len(text) == 12 and text.isascii() and text.isdigit()):
        [problem] = citizen_id_problems(text, None, None)
        assert problem.startswith("a citizen ID has exactly 12 digits")


def test_legacy_id_has_nine_digits():
    assert legacy_id_problem("123456789") is None
    assert legacy_id_problem("12345678") is not None


@pytest.mark.parametrize("raw", ["+84 912 345 678", "0912.345.678", "0084912345678", "0912-345-678"])
def test_phones_normalise_to_ten_digits(raw):
    assert normalise_phone(raw) == "0912345678"
    assert phone_problem(normalise_phone(raw)) is None


def test_short_phone_is_refused():
    assert phone_problem(normalise_phone("+84 91234")) is not None
