"""Our account as the provider books it, one day at a time (camt.053): what reconciliation
matches payouts against.

Amounts are positive integer đồng and `direction` carries the sign, as on a bank statement.
"""

from dataclasses import dataclass
from datetime import date

from payments.adapters.vocabulary import Direction, ReasonCode


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
