"""Our account at the sandbox: what each payout key was credited, and the entries booked for
payouts paid and returns, from which each day's statement is drawn.

Balances chain from the instance's opening balance: a day's opening is that balance plus every
entry booked before the day, its closing adds the day's own entries.
"""

from collections import Counter
from datetime import date
from typing import NamedTuple

from payments.adapters.statements import Statement, StatementLine
from payments.adapters.vocabulary import Direction, ReasonCode


class Entry(NamedTuple):  # a tuple: one is booked per payout paid, and they are never changed
    day: date
    direction: Direction
    amount_vnd: int
    key: str
    reference: str
    reason: ReasonCode | None = None


class Account:
    """Credits per payout key and booked entries. Not locked: the adapter holds its own lock."""

    def __init__(self, opening_balance_vnd: int) -> None:
        self._opening = opening_balance_vnd
        self.credits: Counter[str] = Counter()
        self._entries: list[Entry] = []

    def pay_out(self, entry: Entry) -> None:
        """A payout paid: one credit counted for its key, and its debit booked."""
        self.credits[entry.key] += 1
        self._entries.append(entry)

    def book(self, entry: Entry) -> None:
        self._entries.append(entry)

    def statement(self, account_id: str, day: date) -> Statement:
        before = sum(_signed(e) for e in self._entries if e.day < day)
        todays = [e for e in self._entries if e.day == day]
        opening = self._opening + before
        lines = tuple(
            StatementLine(
                amount_vnd=e.amount_vnd,
                direction=e.direction,
                booking_date=e.day,
                end_to_end_id=e.key,
                provider_tx_id=e.reference,
                account_servicer_ref=f"{e.reference}-{e.direction.value}",
                reason=e.reason,
            )
            for e in todays
        )
        closing = opening + sum(_signed(e) for e in todays)
        return Statement(
            account_id=account_id,
            day=day,
            opening_balance_vnd=opening,
            closing_balance_vnd=closing,
            entries=lines,
        )


def _signed(entry: Entry) -> int:
    return entry.amount_vnd if entry.direction is Direction.CREDIT else -entry.amount_vnd
