"""Ledger account codes: `<type>:<owner>`, e.g. `expense:BTXH`, `payable:1042`, `in_flight:napas`.

Pure functions, no session. An account exists in the database from the first entry that
posts to it; these helpers only build and check codes, so every feature spells them alike.
"""

import re
from enum import StrEnum

from payments.errors import InvalidInput

MAX_CODE_LENGTH = 120
_OWNER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,99}$")
_NUMBERED_OWNERS = 10**99  # non-negative integers below this are owners _OWNER accepts (<= 99 digits)
_REMEMBERED = 65_536  # codes whose parsing is remembered; the memory is cleared beyond that
_parsed: dict[str, tuple["AccountType", str]] = {}


class AccountType(StrEnum):
    EXPENSE = "expense"  # a programme's spending (owner: programme code, e.g. BTXH)
    PAYABLE = "payable"  # owed to a beneficiary (owner: beneficiary id)
    IN_FLIGHT = "in_flight"  # sent to an adapter, not yet confirmed (owner: adapter name)
    SETTLEMENT = "settlement"  # confirmed paid out through an adapter (owner: adapter name)
    RECEIVABLE = "receivable"  # overpaid, to be recovered from a beneficiary (owner: beneficiary id)


def account_code(account_type: AccountType | str, owner: str | int) -> str:
    """Build a code, checking the type and the owner reference. Raises InvalidInput."""
    if type(account_type) is AccountType and type(owner) is int and 0 <= owner < _NUMBERED_OWNERS:
        return f"{account_type.value}:{owner}"  # a known type and digits: valid as built
    code = f"{account_type}:{owner}"  # a StrEnum formats as its value
    parse_account_code(code)
    return code


def parse_account_code(code: str) -> tuple[AccountType, str]:
    """(type, owner) of a code. Raises InvalidInput for an unknown type or a malformed owner.

    Remembered for the codes seen last: a bulk post checks each code when the caller builds it
    (`payable(42)`) and again in its draft, and the programme and adapter accounts recur in
    every entry."""
    if type(code) is str and (parsed := _parsed.get(code)) is not None:
        return parsed
    parsed = _parse(code)
    if len(_parsed) >= _REMEMBERED:
        _parsed.clear()
    _parsed[code] = parsed
    return parsed


def _parse(code: str) -> tuple[AccountType, str]:
    if not isinstance(code, str) or len(code) > MAX_CODE_LENGTH:
        raise InvalidInput(f"account code {code!r} is not a string of at most {MAX_CODE_LENGTH} characters")
    kind, sep, owner = code.partition(":")
    if not sep or not _known(kind):
        known = ", ".join(t.value for t in AccountType)
        raise InvalidInput(f"account code {code!r} must start with one of: {known}", account=code)
    if not _OWNER.match(owner):
        raise InvalidInput(
            f"account code {code!r} needs an owner of letters, digits, '.', '_' or '-'", account=code
        )
    return AccountType(kind), owner


def expense(programme: str) -> str:
    return account_code(AccountType.EXPENSE, programme)


def payable(beneficiary_id: str | int) -> str:
    return account_code(AccountType.PAYABLE, beneficiary_id)


def in_flight(adapter: str) -> str:
    return account_code(AccountType.IN_FLIGHT, adapter)


def settlement(adapter: str) -> str:
    return account_code(AccountType.SETTLEMENT, adapter)


def receivable(beneficiary_id: str | int) -> str:
    return account_code(AccountType.RECEIVABLE, beneficiary_id)


def _known(kind: object) -> bool:
    return kind in AccountType._value2member_map_
