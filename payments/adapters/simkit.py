"""What every provider simulator shares: faults on demand, a book that credits each payout key
at most once, and the lifecycle around a loopback server (`payments.adapters.loopback`).

Simulators are for tests, development and the demo; adapters never import this module.
Faults are decided per payout key from a hash of (seed, fault, key), so the same seed gives
the same outcomes whatever the order or concurrency of requests.
"""

import hashlib
import json
import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from typing import Any, Self

from payments.adapters.loopback import Answer, LoopbackServer, Request, json_answer

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class Faults:
    """Fault rates in [0, 1], each decided per payout key (server errors: per request)."""

    reject_closed: float = 0.0  # AC04
    reject_wrong_account: float = 0.0  # AC01
    reject_insufficient_funds: float = 0.0  # AM04
    timeout_after_credit: float = 0.0  # credit made, answer withheld past the client's timeout
    server_errors: float = 0.0  # 503 before anything is processed
    duplicate_callbacks: float = 0.0  # an event delivered twice (fresh nonce, same event id)
    late_callbacks: float = 0.0  # an event delivered `late_callback_seconds` late
    return_after_settlement: float = 0.0  # the credit comes back after settling
    statement_amount_differs: float = 0.0  # booked `statement_delta_vnd` more than sent
    bad_signatures: float = 0.0  # response signatures that do not verify
    hang_seconds: float = 3.0
    late_callback_seconds: float = 1.0
    statement_delta_vnd: int = 1_000

    RATES = (
        "reject_closed",
        "reject_wrong_account",
        "reject_insufficient_funds",
        "timeout_after_credit",
        "server_errors",
        "duplicate_callbacks",
        "late_callbacks",
        "return_after_settlement",
        "statement_amount_differs",
        "bad_signatures",
    )

    def __post_init__(self) -> None:
        for name in self.RATES:
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"fault rate {name} must be between 0 and 1")

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


class FaultDice:
    """Decides faults deterministically; tests can also force a fault for one key."""

    def __init__(self, seed: int, faults: Faults) -> None:
        self.seed = seed
        self.faults = faults
        self._forced: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def force(self, fault: str, key: str) -> None:
        if fault not in Faults.RATES:
            raise ValueError(f"unknown fault {fault!r}")
        with self._lock:
            self._forced.add((fault, key))

    def hits(self, fault: str, key: str) -> bool:
        with self._lock:
            if (fault, key) in self._forced:
                return True
        rate = getattr(self.faults, fault)
        if rate <= 0.0:
            return False
        digest = hashlib.sha256(f"{self.seed}|{fault}|{key}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 < rate


@dataclass
class Transfer:
    """A payout as the provider recorded it. `fingerprint` detects a key reused for another payout."""

    key: str
    tx_id: str
    amount_vnd: int
    destination: str
    fingerprint: str
    status: str  # settled | accepted | rejected | returned
    reason: str | None = None
    booked_amount_vnd: int = 0
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class BookEntry:
    day: date
    direction: str  # DBIT (payout from our account) | CRDT (a return)
    amount_vnd: int
    key: str
    tx_id: str
    servicer_ref: str
    reason: str | None = None


class Book:
    """The provider's books for our account: transfers by key, credits counted per key."""

    def __init__(self, opening_balance_vnd: int, clock: Callable[[], datetime]) -> None:
        self.lock = threading.RLock()
        self.transfers: dict[str, Transfer] = {}
        self.credits: Counter[str] = Counter()
        self.entries: list[BookEntry] = []
        self._opening = opening_balance_vnd
        self._clock = clock
        self._sequence = 0
        self._summed = (0, opening_balance_vnd)  # (entries added up so far, the balance after them)

    def balance(self) -> int:
        """Our account's balance now. Entries are only ever appended, so only those booked
        since the last call are added: summing the whole book for every transfer made a bulk
        of n transfers cost n² additions."""
        with self.lock:
            counted, balance = self._summed
            balance += sum(_signed(e) for e in self.entries[counted:])
            self._summed = (len(self.entries), balance)
            return balance

    def next_id(self, prefix: str) -> str:
        with self.lock:
            self._sequence += 1
            return f"{prefix}{self._sequence:010d}"

    def record(self, transfer: Transfer) -> Transfer:
        """Keep a transfer; if it settles, debit our account and count one credit for its key."""
        with self.lock:
            if transfer.key in self.transfers:
                raise AssertionError(f"payout key {transfer.key} recorded twice")
            self.transfers[transfer.key] = transfer
            if transfer.status in ("settled", "accepted"):
                self.credits[transfer.key] += 1
                self._book("DBIT", transfer.booked_amount_vnd or transfer.amount_vnd, transfer)
            return transfer

    def return_transfer(self, key: str, reason: str) -> Transfer:
        """The beneficiary's bank sends a settled credit back (the key stays credited once)."""
        with self.lock:
            transfer = self.transfers[key]
            transfer.status, transfer.reason = "returned", reason
            self._book("CRDT", transfer.amount_vnd, transfer, reason)
            return transfer

    def statement(self, day: date) -> tuple[int, int, list[BookEntry]]:
        """Opening balance, closing balance and entries booked on `day`."""
        with self.lock:
            before = sum(_signed(e) for e in self.entries if e.day < day)
            todays = [e for e in self.entries if e.day == day]
        opening = self._opening + before
        return opening, opening + sum(_signed(e) for e in todays), todays

    def _book(self, direction: str, amount: int, transfer: Transfer, reason: str | None = None) -> None:
        ref = self.next_id("SVC")
        self.entries.append(
            BookEntry(self._clock().date(), direction, amount, transfer.key, transfer.tx_id, ref, reason)
        )


def _signed(entry: BookEntry) -> int:
    return entry.amount_vnd if entry.direction == "CRDT" else -entry.amount_vnd


def fingerprint(*parts: object) -> str:
    return hashlib.sha256(json.dumps([str(p) for p in parts]).encode()).hexdigest()


class SimulatorBase:
    """Lifecycle and inspection shared by the HTTP simulators (`with Sim(...) as sim: sim.url`)."""

    def __init__(self, *, seed: int, faults: Faults | None, clock: Callable[[], datetime] | None,
                 port: int, opening_balance_vnd: int) -> None:  # fmt: skip
        self.clock = clock or (lambda: datetime.now(UTC))
        self.dice = FaultDice(seed, faults or Faults())
        self.book = Book(opening_balance_vnd, self.clock)
        self._server = LoopbackServer(self._route, port)
        self._requests = 0

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def faults(self) -> Faults:
        return self.dice.faults

    def set_faults(self, faults: Faults) -> None:
        self.dice.faults = faults

    def credits(self) -> dict[str, int]:
        """Credits made per payout key (exactly-once means every value is 1)."""
        with self.book.lock:
            return dict(self.book.credits)

    def __enter__(self) -> Self:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()

    def _route(self, request: Request) -> Answer:
        if request.path.startswith("/_sim/"):
            return self.inspect(request)
        with self.book.lock:
            self._requests += 1
            number = self._requests
        if self.dice.hits("server_errors", f"request-{number}"):
            return json_answer(503, {"error": "SERVICE_UNAVAILABLE"})
        return self.handle(request)

    def inspect(self, request: Request) -> Answer:
        if request.method == "GET" and request.path == "/_sim/credits":
            return json_answer(200, {"credits": self.credits(), "faults": self.faults.as_dict()})
        return json_answer(404, {"error": "NOT_FOUND"})

    def handle(self, request: Request) -> Answer:
        raise NotImplementedError
