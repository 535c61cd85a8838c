"""Who a payout is paid to: a bank account, an e-wallet, or cash at the post office counter.

Each creditor checks its identifiers when it is made, so an instruction can never carry a BIN,
phone number, commune or citizen ID of the wrong shape; `masked` is the form fit for logs.
"""

import re
from dataclasses import dataclass

_BIN = re.compile(r"^\d{6}$")
_ACCOUNT = re.compile(r"^[0-9A-Za-z]{4,34}$")
_PHONE = re.compile(r"^0\d{9}$")
_COMMUNE = re.compile(r"^\d{5}$")
_CITIZEN_ID = re.compile(r"^(\d{12}|\d{9})$")  # CCCD (12 digits) or legacy CMND (9)


def normalise_phone(raw: str) -> str:
    """A Vietnamese mobile number as `0\\d{9}`; `+84…`/`84…` become `0…`. Raises ValueError."""
    digits = re.sub(r"[\s.()-]", "", raw)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if not _PHONE.match(digits):
        raise ValueError("phone number must be 10 digits starting with 0 (or +84)")
    return digits


def mask_account(number: str) -> str:
    """An account or phone number for logs: all but the last three characters hidden."""
    return "*" * max(len(number) - 3, 0) + number[-3:]


@dataclass(frozen=True, kw_only=True)
class BankAccount:
    """A bank account named by its 6-digit NAPAS BIN; `holder_name` as we hold it."""

    bin: str
    account_number: str
    holder_name: str = ""

    def __post_init__(self) -> None:
        if not _BIN.match(self.bin):
            raise ValueError("bank BIN must be 6 digits")
        if not _ACCOUNT.match(self.account_number):
            raise ValueError("account number must be 4-34 letters or digits")

    @property
    def masked(self) -> str:
        return f"{self.bin}/{mask_account(self.account_number)}"


@dataclass(frozen=True, kw_only=True)
class WalletAccount:
    """An e-wallet named by provider and mobile number; `+84` is normalised to `0` on creation."""

    provider: str
    phone: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "phone", normalise_phone(self.phone))
        if not self.provider:
            raise ValueError("wallet provider is required")

    @property
    def masked(self) -> str:
        return f"{self.provider}/{mask_account(self.phone)}"


@dataclass(frozen=True, kw_only=True)
class CashPickup:
    """Cash handed over at the post office serving the beneficiary's commune, against their ID.

    `commune_code` is the 5-digit administrative code of the commune; `citizen_id` the 12-digit
    CCCD or legacy 9-digit CMND the counter checks; `holder_name` the name on that ID.
    """

    commune_code: str
    citizen_id: str
    holder_name: str

    def __post_init__(self) -> None:
        if not _COMMUNE.match(self.commune_code):
            raise ValueError("commune code must be 5 digits")
        if not _CITIZEN_ID.match(self.citizen_id):
            raise ValueError("citizen ID must be 12 digits (CCCD) or 9 digits (CMND)")
        if not self.holder_name.strip():
            raise ValueError("the holder name on the ID is required for a cash pickup")

    @property
    def masked(self) -> str:
        return f"cash/{self.commune_code}/{mask_account(self.citizen_id)}"


Creditor = BankAccount | WalletAccount | CashPickup
