"""What passes between us and a provider about payouts: the instruction we send, and what the
provider answers (at once, when asked, by callback, or to a name look-up).

Each is a frozen value checked when made: amounts are integer đồng, datetimes timezone-aware
UTC, and a reason is given for rejected or returned payouts and only for them.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from payments.adapters.creditors import Creditor
from payments.adapters.vocabulary import SEND_STATUSES, PayoutStatus, ReasonCode
from payments.text import names_match

_PAYOUT_KEY = re.compile(r"^[!-~]{1,35}$")  # printable ASCII, no spaces: fits EndToEndId


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
class NameLookupResult:
    """The holder name the provider reports for a creditor, or why there is none."""

    found: bool
    reported_name: str | None = None
    reason: ReasonCode | None = None  # AC01 unknown, AC04 closed, AC06 blocked

    def matches(self, beneficiary_name: str) -> bool:
        """DOMAIN rule 7: release only when this is True; otherwise hold for an officer."""
        return self.found and names_match(self.reported_name, beneficiary_name)
