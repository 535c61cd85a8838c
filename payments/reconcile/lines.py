"""What every source says, in one shape: a `Line` per confirmation, `Totals` per statement,
and a `StatementRef` naming each statement a file holds.

Pure values. A statement booking (camt.053/054, MT940, CSV report, a fetched statement) is a
*movement*: money left or reached our account. A status report (pain.002) or a callback is
not: it only says where a payout stands. Amounts are positive integer đồng; `direction`
(DBIT/CRDT, seen from our account) gives the sign.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from payments.adapters.creditors import mask_account

SETTLED = "settled"
REJECTED = "rejected"
RETURNED = "returned"
ACCEPTED = "accepted"
UNKNOWN = "unknown"
STATUSES = (SETTLED, REJECTED, RETURNED, ACCEPTED, UNKNOWN)
DEBIT, CREDIT = "DBIT", "CRDT"
REPORT_DAY = "report day"  # a day of an adapter's own daily report, however it arrived


class Line(NamedTuple):
    """One confirmation. `position` orders lines within their file (from 1).

    A named tuple: a million-line statement makes each line twice (read, then read back from
    its staged row), and a tuple is made in a seventh of a frozen dataclass's time."""

    position: int
    movement: bool
    status: str
    amount_vnd: int | None = None
    direction: str | None = None
    booking_date: date | None = None
    end_to_end_id: str | None = None
    instr_id: str | None = None
    provider_tx_id: str | None = None
    account_servicer_ref: str | None = None
    payment_info_id: str | None = None
    reference: str | None = None  # MT940 :61: reference (16 characters of our key)
    reason: str | None = None
    reason_text: str = ""
    holder_name: str | None = None
    batch_count: int | None = None  # set when one booking covers a whole payment block
    line_no: int | None = None  # where it is in the file, for people

    @property
    def signed_vnd(self) -> int:
        amount = self.amount_vnd or 0
        return amount if self.direction == CREDIT else -amount

    @property
    def is_batch(self) -> bool:
        return self.batch_count is not None or (
            self.end_to_end_id is None and self.payment_info_id is not None
        )


@dataclass(frozen=True, slots=True)
class Totals:
    """A statement's balances: opening + booked entries must give closing (continuity)."""

    account: str
    first_day: date
    last_day: date
    opening_vnd: int
    closing_vnd: int


@dataclass(frozen=True, slots=True)
class StatementRef:
    """Which statement a file holds, as the bank names it: a statement sent again (a new message
    id, a new creation time, other bytes) is still the same statement. `identity` is the key
    under which it is kept; a second import of it is refused."""

    kind: str
    account: str
    statement_id: str
    detail: str = ""  # sequence number, days: whatever else the format uses to tell statements apart

    @property
    def identity(self) -> str:
        return "|".join((self.kind, self.account, self.statement_id, self.detail))[:300]

    def describe(self) -> str:
        if self.kind == REPORT_DAY:
            return f"the {self.account} report of {self.statement_id} (fetched or imported as a file)"
        extra = f" ({self.detail})" if self.detail else ""
        return f"{self.kind} {self.statement_id} of account {mask_account(self.account)}{extra}"


def report_days(adapter: str, first: date, last: date) -> list[StatementRef]:
    """The identities of an adapter's daily report for each day it covers, the same whether
    the report was fetched (`fetch_statement(day)`, which names no account: one per adapter
    and day) or imported as its CSV file (which names none either): so the same report
    arriving both ways is one statement, and its money is counted once. (`account` holds the
    adapter here.)"""
    return [
        StatementRef(REPORT_DAY, adapter, (first + timedelta(days=n)).isoformat())
        for n in range((last - first).days + 1)
    ]


def movement_status(direction: str) -> str:
    """A debit on our account pays a payout out; a credit brings one back (with or without
    the bank's reason)."""
    return SETTLED if direction == DEBIT else RETURNED
