import pytest

from payments.errors import InvalidInput
from payments.ledger import accounts
from payments.ledger.accounts import AccountType, account_code, parse_account_code


def test_each_account_kind_has_a_helper_that_spells_its_code():
    assert accounts.expense("BTXH") == "expense:BTXH"
    assert accounts.payable(1042) == "payable:1042"
    assert accounts.in_flight("napas") == "in_flight:napas"
    assert accounts.settlement("momo") == "settlement:momo"
    assert accounts.receivable("1042") == "receivable:1042"


def test_a_code_parses_into_its_type_and_owner():
    assert parse_account_code("in_flight:vnpost") == (AccountType.IN_FLIGHT, "vnpost")
    assert account_code(AccountType.PAYABLE, "B-17.a_2") == "payable:B-17.a_2"


@pytest.mark.parametrize(
    "code",
    ["assets:cash", "payable", "payable:", "payable: 12", "payable:12 ", "payable:a/b", "payable:-1", 42],
)
def test_malformed_codes_are_refused_with_the_code_named(code):
    with pytest.raises(InvalidInput) as refused:
        parse_account_code(code)
    assert repr(code) in refused.value.detail


def test_an_owner_longer_than_the_column_is_refused():
    with pytest.raises(InvalidInput):
        accounts.payable("x" * 101)


def test_a_code_built_for_a_numbered_owner_is_one_that_parses_and_a_negative_one_is_refused():
    assert accounts.payable(42) == "payable:42"
    assert parse_account_code(accounts.receivable(7)) == (AccountType.RECEIVABLE, "7")
    with pytest.raises(InvalidInput, match="owner"):
        accounts.payable(-1)
