"""Vietnamese identifiers: the 12-digit citizen ID (CCCD), the legacy 9-digit CMND, phones,
bank account numbers. Digits are the ASCII digits 0-9 only.

Pure functions. A CCCD is: 3 digits for the province where the birth was registered, one
digit for century and sex (1900s: 0 male / 1 female, 2000s: 2 / 3, 2100s: 4 / 5, ...), the
last two digits of the birth year, and six serial digits.
"""

import re
from datetime import date

MALE, FEMALE = "male", "female"
SEXES = (MALE, FEMALE)

# Birth-registration codes are the 63 pre-2025 province codes, zero-padded to three digits:
# 001 (Hà Nội) to 096 (Cà Mau), with gaps where no province has the number.
PROVINCE_OF_BIRTH_CODES = frozenset(
    f"{code:03d}"
    for code in (
        1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35,
        36, 37, 38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70,
        72, 74, 75, 77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
    )
)  # fmt: skip
# [0-9], not \d: \d also matches full-width, Arabic-Indic and every other script's digits, and
# a citizen ID written in those would pass and get a blind index of its own (a second person).
_CCCD = re.compile(r"[0-9]{12}")
_CMND = re.compile(r"[0-9]{9}")
_PHONE = re.compile(r"0[0-9]{9}")
_ACCOUNT_NUMBER = re.compile(r"[0-9]{6,19}")
_PHONE_NOISE = re.compile(r"[\s.\-()]")
_ASCII_DIGITS_ONLY = "digits 0-9 only; full-width digits and other scripts' digits are refused"


def century_sex_digit(date_of_birth: date, sex: str) -> str:
    """The fourth digit a CCCD must carry for this birth date and sex."""
    century_index = (date_of_birth.year - 1900) // 100
    return str(century_index * 2 + (1 if sex == FEMALE else 0))


def citizen_id_problems(citizen_id: str, date_of_birth: date | None, sex: str | None) -> list[str]:
    """Plain messages for everything wrong with a CCCD (empty when it is valid).

    The date of birth and sex may be None when they are themselves invalid: only the format
    and the province code are then checked.
    """
    if not _CCCD.fullmatch(citizen_id):
        return ["a citizen ID has exactly 12 digits" + _non_ascii_hint(citizen_id)]
    problems = []
    if citizen_id[:3] not in PROVINCE_OF_BIRTH_CODES:
        problems.append(f"{citizen_id[:3]} is not a province-of-birth code (001 to 096)")
    if date_of_birth is not None and sex in SEXES:
        if not 1900 <= date_of_birth.year < 2400:
            problems.append("a citizen ID can only encode birth years 1900 to 2399")
        elif citizen_id[3] != century_sex_digit(date_of_birth, sex):
            expected = century_sex_digit(date_of_birth, sex)
            problems.append(f"digit 4 must be {expected} for a {sex} born in {date_of_birth.year}")
        if citizen_id[4:6] != f"{date_of_birth.year % 100:02d}":
            problems.append(f"digits 5-6 must be {date_of_birth.year % 100:02d}, the birth year")
    return problems


def is_valid_citizen_id(citizen_id: str, date_of_birth: date, sex: str) -> bool:
    return not citizen_id_problems(citizen_id, date_of_birth, sex)


def make_citizen_id(province_code: str, date_of_birth: date, sex: str, serial: int) -> str:
    """Build a valid CCCD (for tests, benchmarks and the demo)."""
    year = f"{date_of_birth.year % 100:02d}"
    return f"{province_code}{century_sex_digit(date_of_birth, sex)}{year}{serial % 1_000_000:06d}"


def legacy_id_problem(legacy_id: str) -> str | None:
    if _CMND.fullmatch(legacy_id):
        return None
    return "a legacy ID (CMND) has exactly 9 digits" + _non_ascii_hint(legacy_id)


def normalise_phone(raw: str) -> str:
    """'+84 912 345 678' -> '0912345678'. Returns the input cleaned even when still invalid."""
    phone = _PHONE_NOISE.sub("", raw)
    for prefix in ("+84", "0084"):
        if phone.startswith(prefix):
            return "0" + phone[len(prefix) :]
    return phone


def phone_problem(phone: str) -> str | None:
    """For a normalised phone: None when it is a 10-digit mobile number `0[0-9]{9}`."""
    if _PHONE.fullmatch(phone):
        return None
    return "a phone number is 10 digits starting with 0 (or +84)" + _non_ascii_hint(phone)


def account_number_problem(account_number: str) -> str | None:
    """None when a bank account number is 6 to 19 digits 0-9."""
    if _ACCOUNT_NUMBER.fullmatch(account_number):
        return None
    return "an account number is 6 to 19 digits" + _non_ascii_hint(account_number)


def _non_ascii_hint(value: str) -> str:
    """Why a value that looks right is refused: digits that are not 0-9 (so the person is not
    registered twice under two spellings of one number)."""
    return f" ({_ASCII_DIGITS_ONLY})" if any(c.isdigit() and not c.isascii() for c in value) else ""
