"""Identifiers are written with the digits 0-9 only: a regex `\\d` or str.isdigit() also accepts
full-width, Arabic-Indic and other scripts' digits, which would give the same citizen ID a second
blind index (a second person) and send a bank a number it cannot read."""

from datetime import date

import pytest

from payments.registry.citizen_id import (
    citizen_id_problems,
    legacy_id_problem,
    normalise_phone,
    phone_problem,
)
from payments.registry.validation import Instrument, Reference, instrument_problems

BORN, SEX = date(1950, 5, 1), "female"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
REF = Reference(communes={}, categories={}, banks=frozenset({"970436"}), wallet_providers=frozenset({"MOMO"}))


@pytest.mark.parametrize("script", [FULL_WIDTH, ARABIC_INDIC], ids=["full-width", "arabic-indic"])
def test_a_citizen_id_with_digits_other_than_0_to_9_is_refused_saying_why(script):
    valid = "060150123456"
    assert citizen_id_problems(valid, BORN, SEX) == []
    written_otherwise = valid[:6] + valid[6:].translate(script)
    [problem] = citizen_id_problems(written_otherwise, BORN, SEX)
    assert "digits 0-9 only" in problem


def test_a_legacy_id_with_full_width_digits_is_refused():
    assert legacy_id_problem("123456789") is None
    assert "digits 0-9 only" in (legacy_id_problem("123456789".translate(FULL_WIDTH)) or "")


@pytest.mark.parametrize("raw", ["0912345678", "+84 912 345 678"])
def test_a_phone_with_full_width_digits_is_refused(raw):
    assert phone_problem(normalise_phone(raw)) is None
    assert "digits 0-9 only" in (phone_problem(normalise_phone(raw.translate(FULL_WIDTH))) or "")


def test_a_bank_account_number_with_full_width_or_superscript_digits_is_refused():
    def problems(account: str) -> list[tuple[str, str]]:
        bank = Instrument("bank", bank_bin="970436", account_number=account, holder_name="NGUYEN THI DAO")
        return [(p.column, p.message) for p in instrument_problems(bank.normalised(), REF)]

    assert problems("0123456789") == []
    for account in ("0123456789".translate(FULL_WIDTH), "012345678²"):
        [(column, message)] = problems(account)
        assert column == "account_number"
        assert message.startswith("an account number is 6 to 19 digits")


def test_a_wallet_phone_with_full_width_digits_is_refused_naming_the_field():
    wallet = Instrument("ewallet", wallet_provider="MOMO", wallet_phone="0912345678".translate(FULL_WIDTH))
    [problem] = instrument_problems(wallet.normalised(), REF)
    assert problem.column == "wallet_phone"
    assert "digits 0-9 only" in problem.message
