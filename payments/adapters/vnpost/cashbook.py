"""The post office simulator's books: cash orders wait at the counter, and our account is debited
only when the beneficiary collects (a cash order that expires never left the account)."""

from datetime import datetime

from payments.adapters.simkit import Book, Transfer

AWAITING, COLLECTED, REFUSED, EXPIRED = "accepted", "settled", "rejected", "returned"
NOT_COLLECTED = "NOT_COLLECTED"


class CashBook(Book):
    """Orders by payout key; `credits` counts cash handed over per key (never more than one)."""

    def record(self, transfer: Transfer) -> Transfer:
        """Keep a new order (awaiting pickup or refused); nothing is debited yet."""
        with self.lock:
            if transfer.key in self.transfers:
                raise AssertionError(f"payout key {transfer.key} recorded twice")
            if transfer.status not in (AWAITING, REFUSED):
                raise ValueError(f"a new cash order is awaiting pickup or refused, not {transfer.status}")
            self.transfers[transfer.key] = transfer
            return transfer

    def collect(self, key: str) -> Transfer | None:
        """The beneficiary collects the cash now: a DBIT booked today and one payout counted.
        None when the order is not awaiting pickup (unknown, refused, collected or expired)."""
        with self.lock:
            transfer = self.transfers.get(key)
            if transfer is None or transfer.status != AWAITING:
                return None
            transfer.status = COLLECTED
            self.credits[key] += 1
            self._book("DBIT", transfer.booked_amount_vnd or transfer.amount_vnd, transfer)
            return transfer

    def expire(self, key: str) -> Transfer | None:
        """The pickup window closed on an uncollected order: returned, nothing booked."""
        with self.lock:
            transfer = self.transfers.get(key)
            if transfer is None or transfer.status != AWAITING:
                return None
            transfer.status, transfer.reason = EXPIRED, NOT_COLLECTED
            return transfer

    def awaiting(self, placed_before: datetime | None = None) -> list[str]:
        """Keys of the orders still waiting at the counter (placed before `placed_before`, if
        given), oldest first."""
        with self.lock:
            return [
                key
                for key, t in self.transfers.items()
                if t.status == AWAITING and (placed_before is None or t.created_at < placed_before)
            ]

    def available_vnd(self) -> int:
        """The balance less the cash already promised to orders awaiting pickup."""
        with self.lock:
            promised = sum(t.amount_vnd for t in self.transfers.values() if t.status == AWAITING)
            return self.balance() - promised
