"""The adapter protocol: what disbursements and reconciliation may ask of a payout provider
(a bank, an e-wallet, or the post office handing over cash at the counter).

Values in and out are frozen dataclasses; amounts are integer đồng (`amount_vnd`), datetimes
are timezone-aware UTC. An adapter *returns* results for every expected outcome (accepted,
settled, rejected with a normalised reason, unknown) and *raises* only when it could not do its
job at all:

- `AdapterUnavailable`: nothing was sent (connection refused, endpoint down); retrying is safe.
- `AdapterProtocolError`: the provider answered something we cannot trust or understand (a bad
  response signature, a malformed body). Whether anything was sent is unknown: resolve by status.
- `AdapterConfigError`: the instance's settings are missing or wrong; fix configuration.
- `CallbackRejected`: a callback was forged, stale, replayed or malformed; answer 4xx, do not act.
- `AdapterUnsupported`: the operation, or the creditor kind (bank account, wallet, cash pickup),
  is not among the adapter's `capabilities`.

Concrete adapters import this module, the standard library, their HTTP client and
`cryptography`; never the database, Flask or another feature.
"""

import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from payments.text import names_match  # also public here: adapters need only this module

# --- errors -------------------------------------------------------------------------------


class AdapterError(Exception):
    """Base of every adapter failure; `code` is stable for logs and API problems."""

    code = "adapter_error"


class AdapterUnavailable(AdapterError):
    """Nothing was sent: the provider could not be reached. Retrying later is safe."""

    code = "adapter_unavailable"


class AdapterProtocolError(AdapterError):
    """The provider's answer is untrustworthy or unreadable (bad signature, malformed body)."""

    code = "adapter_protocol_error"


class AdapterConfigError(AdapterError):
    """The adapter instance is misconfigured (missing key, bad URL, unknown kind)."""

    code = "adapter_config_error"


class AdapterUnsupported(AdapterError):
    """The operation, or the kind of creditor asked for, is not one of this adapter's capabilities."""

    code = "adapter_unsupported"


class CallbackRejected(AdapterError):
    """A callback is forged, outside the timestamp window, replayed or malformed."""

    code = "callback_rejected"


# --- vocabulary ---------------------------------------------------------------------------


class Capability(StrEnum):
    SEND = "send"
    STATUS = "status"
    CALLBACKS = "callbacks"
    STATEMENT = "statement"
    NAME_LOOKUP = "name_lookup"
    SIGNED_RESPONSES = "signed_responses"  # every response is signature-checked
    BANK_ACCOUNTS = "bank_accounts"  # can pay a BankAccount creditor
    WALLETS = "wallets"  # can pay a WalletAccount creditor
    CASH = "cash"  # can pay a CashPickup creditor


CAPABILITIES = frozenset(Capability)


class PayoutStatus(StrEnum):
    """Where a payout stands at the provider.

    `send()` returns only ACCEPTED, SETTLED, REJECTED or UNKNOWN. `status()` and callbacks may
    also say RETURNED (credited, then sent back; for cash: not collected within the pickup
    window, reason NOAS, nothing left our account) and `status()` NOT_FOUND (the provider has no
    record of the key: nothing was credited, resending with the *same* key is safe).
    """

    ACCEPTED = "accepted"
    SETTLED = "settled"
    REJECTED = "rejected"
    RETURNED = "returned"
    UNKNOWN = "unknown"
    NOT_FOUND = "not_found"


SEND_STATUSES = frozenset(
    {PayoutStatus.ACCEPTED, PayoutStatus.SETTLED, PayoutStatus.REJECTED, PayoutStatus.UNKNOWN}
)


class ReasonCode(StrEnum):
    """ISO 20022 external status reason codes, the normalised vocabulary of every adapter."""

    AC01 = "AC01"  # incorrect account number (wrong account, unknown wallet, commune not served)
    AC04 = "AC04"  # closed account
    AC06 = "AC06"  # blocked account (locked wallet)
    AG01 = "AG01"  # transaction forbidden on this account
    AM02 = "AM02"  # amount exceeds the allowed maximum
    AM04 = "AM04"  # insufficient funds (in our debit account)
    AM05 = "AM05"  # duplication
    BE01 = "BE01"  # inconsistent with end customer (name mismatch)
    FF01 = "FF01"  # invalid file or message format
    MS03 = "MS03"  # reason not specified by the provider
    NARR = "NARR"  # narrative: see reason_text
    NOAS = "NOAS"  # no answer from customer: cash not collected within the pickup window


class Direction(StrEnum):
    """Seen from our own (debit) account: a payout is a DEBIT, a return is a CREDIT."""

    CREDIT = "CRDT"
    DEBIT = "DBIT"


# --- values in ----------------------------------------------------------------------------

_BIN = re.compile(r"^\d{6}$")
_ACCOUNT = re.compile(r"^[0-9A-Za-z]{4,34}$")
_PHONE = re.compile(r"^0\d{9}$")
_COMMUNE = re.compile(r"^\d{5}$")
_CITIZEN_ID = re.compile(r"^(\d{12}|\d{9})$")  # CCCD (12 digits) or legacy CMND (9)
_PAYOUT_KEY = re.compile(r"^[!-~]{1,35}$")  # printable ASCII, no spaces: fits EndToEndId


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


@dataclass(frozen=True, kw_only=True)
class PayoutInstruction:
    """One payout to send. `payout_key` is our deterministic key, carried as EndToEndId.

    The provider must credit a payout key at most once, however often it is resent.
    """

    payout_key: str
    amount_vnd: int
    creditor: Creditor
    beneficiary_name: str
    remittance_info: str = ""
    batch_reference: str = ""
    currency: str = "VND"

    def __post_init__(self) -> None:
        if not _PAYOUT_KEY.match(self.payout_key):
            raise ValueError("payout_key must be 1-35 printable ASCII characters without spaces")
        if isinstance(self.amount_vnd, bool) or not isinstance(self.amount_vnd, int) or self.amount_vnd <= 0:
            raise ValueError("amount_vnd must be a positive integer number of đồng")
        if self.currency != "VND":
            raise ValueError("only VND payouts are supported")
        if len(self.remittance_info) > 140 or len(self.batch_reference) > 35:
            raise ValueError("remittance_info is at most 140 and batch_reference 35 characters")


# --- values out ---------------------------------------------------------------------------


def _check_outcome(status: PayoutStatus, reason: ReasonCode | None) -> None:
    if (status in (PayoutStatus.REJECTED, PayoutStatus.RETURNED)) != (reason is not None):
        raise ValueError("a reason is required for rejected/returned payouts, and only for them")


def _check_aware(moment: datetime | None) -> None:
    if moment is not None and moment.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")


@dataclass(frozen=True, kw_only=True)
class SendResult:
    """The provider's immediate answer for one payout of a chunk."""

    payout_key: str
    status: PayoutStatus
    reason: ReasonCode | None = None
    reason_text: str = ""
    provider_reference: str | None = None

    def __post_init__(self) -> None:
        if self.status not in SEND_STATUSES:
            raise ValueError(f"send() cannot report {self.status}")
        _check_outcome(self.status, self.reason)


@dataclass(frozen=True, kw_only=True)
class StatusResult:
    """What the provider says now about one payout key (see PayoutStatus for NOT_FOUND)."""

    payout_key: str
    status: PayoutStatus
    reason: ReasonCode | None = None
    reason_text: str = ""
    provider_reference: str | None = None
    amount_vnd: int | None = None  # as the provider recorded it, when it says
    as_of: datetime | None = None

    def __post_init__(self) -> None:
        _check_outcome(self.status, self.reason)
        _check_aware(self.as_of)


@dataclass(frozen=True, kw_only=True)
class CallbackEvent:
    """A verified asynchronous notification.

    `event_id` is stable across the provider's redeliveries of one event: consumers dedupe on
    it. The nonce store refuses a replay of one delivery (same nonce), not a redelivery.
    """

    event_id: str
    payout_key: str
    status: PayoutStatus
    occurred_at: datetime
    reason: ReasonCode | None = None
    reason_text: str = ""
    provider_reference: str | None = None
    amount_vnd: int | None = None

    def __post_init__(self) -> None:
        if self.status in (PayoutStatus.UNKNOWN, PayoutStatus.NOT_FOUND):
            raise ValueError(f"a callback cannot report {self.status}")
        _check_outcome(self.status, self.reason)
        _check_aware(self.occurred_at)


@dataclass(frozen=True, kw_only=True)
class StatementLine:
    """One booked entry on our account. `amount_vnd` is positive; `direction` gives the sign."""

    amount_vnd: int
    direction: Direction
    booking_date: date
    end_to_end_id: str | None = None  # our payout key, when the provider carries it
    instr_id: str | None = None
    provider_tx_id: str | None = None
    account_servicer_ref: str | None = None
    reason: ReasonCode | None = None  # for returns
    remittance_info: str = ""
    status: str = "BOOK"

    def __post_init__(self) -> None:
        if self.amount_vnd <= 0:
            raise ValueError("statement amounts are positive; direction carries the sign")

    @property
    def signed_amount_vnd(self) -> int:
        return self.amount_vnd if self.direction is Direction.CREDIT else -self.amount_vnd


@dataclass(frozen=True, kw_only=True)
class Statement:
    """One day of our account at the provider, balances in đồng (camt.053 OPBD/CLBD)."""

    account_id: str
    day: date
    opening_balance_vnd: int
    closing_balance_vnd: int
    entries: tuple[StatementLine, ...] = ()
    currency: str = "VND"

    @property
    def is_balanced(self) -> bool:
        """Opening balance plus the entries gives the closing balance."""
        booked = sum(e.signed_amount_vnd for e in self.entries if e.status == "BOOK")
        return self.opening_balance_vnd + booked == self.closing_balance_vnd


@dataclass(frozen=True, kw_only=True)
class NameLookupResult:
    """The holder name the provider reports for a creditor, or why there is none."""

    found: bool
    reported_name: str | None = None
    reason: ReasonCode | None = None  # AC01 unknown, AC04 closed, AC06 blocked

    def matches(self, beneficiary_name: str) -> bool:
        """DOMAIN rule 7: release only when this is True; otherwise hold for an officer."""
        return self.found and names_match(self.reported_name, beneficiary_name)


# --- replay protection --------------------------------------------------------------------


class NonceStore(Protocol):
    """Remembers callback nonces for one adapter instance until they expire."""

    def claim(self, nonce: str, expires_at: datetime) -> bool:
        """True the first time `nonce` is seen (and remember it), False for a replay."""
        ...


class InMemoryNonceStore:
    """A thread-safe NonceStore for the sandbox, simulators and tests (lost on restart)."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self._seen: dict[str, datetime] = {}
        self._lock = threading.Lock()
        self._clock = clock or (lambda: datetime.now(UTC))

    def claim(self, nonce: str, expires_at: datetime) -> bool:
        now = self._clock()
        with self._lock:
            self._seen = {n: exp for n, exp in self._seen.items() if exp > now}
            if nonce in self._seen:
                return False
            self._seen[nonce] = expires_at
            return True


# --- the protocol and how instances are built ---------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AdapterServices:
    """What the host application lends an adapter instance: a clock and nonce stores."""

    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    nonce_store: Callable[[str], NonceStore] = field(default=lambda _instance: InMemoryNonceStore())


@runtime_checkable
class PayoutAdapter(Protocol):
    """One configured instance of a provider (two banks of one kind are two instances)."""

    name: str
    capabilities: frozenset[str]

    def send(self, chunk: Sequence[PayoutInstruction]) -> list[SendResult]:
        """Send payouts (unique keys); one result per instruction, in order. Idempotent per
        payout key: a resend never credits twice. A timeout after the request left gives
        UNKNOWN, never a blind resend. Raises AdapterUnavailable only when nothing was sent,
        AdapterUnsupported (before sending) for a creditor kind it cannot pay, and
        AdapterProtocolError for an untrustworthy answer (treat the chunk as in doubt)."""
        ...

    def status(self, payout_key: str) -> StatusResult:
        """The provider's current view of one payout (read-only; safe to repeat)."""
        ...

    def parse_callback(self, headers: Mapping[str, str], body: bytes) -> CallbackEvent:
        """Verify and decode a callback (signature, timestamp window, nonce); raises
        CallbackRejected on forged, stale, replayed or malformed input."""
        ...

    def fetch_statement(self, day: date) -> Statement:
        """Our account's booked entries for `day` (read-only; safe to repeat)."""
        ...

    def lookup_name(self, creditor: Creditor) -> NameLookupResult:
        """The holder name the provider reports (read-only); AdapterUnsupported if not capable."""
        ...


class AdapterFactory(Protocol):
    """What a `payments.adapters` entry point loads: builds one named, configured instance.

    `settings` holds that instance's own values (URLs, keys, timeouts); raise
    AdapterConfigError when one is missing or wrong.
    """

    def __call__(
        self, name: str, settings: Mapping[str, Any], services: AdapterServices
    ) -> PayoutAdapter: ...
