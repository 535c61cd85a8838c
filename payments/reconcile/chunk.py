"""A chunk of lines being reconciled: the payouts it holds, what it decided, and its writes.

Payouts are read as plain rows (`HeldPayout`), not ORM objects: a statement of a million
lines settles a million payouts, and loading objects, tracking their changes and flushing them
before every query cost more than everything else. What a chunk decides (payout moves,
matches, exceptions, ledger entries) is collected and written together at its end.
"""

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from payments.clock import Clock
from payments.context import Actor
from payments.disbursements.model import Payout
from payments.disbursements.outbox import PayoutMove
from payments.errors import Conflict
from payments.ledger.draft import EntryDraft
from payments.ledger.services import post_entries
from payments.reconcile import bulk
from payments.reconcile.exceptions import Problem, raise_exceptions
from payments.reconcile.payout_queries import PAYOUT_COLUMNS


@dataclass(slots=True)
class HeldPayout:
    """A payout as a chunk reads it (`payout_queries.PAYOUT_COLUMNS`) and as the chunk's lines
    leave it: a later line about the same payout sees the state an earlier one moved it to."""

    id: int
    payout_key: str
    beneficiary_id: int
    amount_vnd: int
    state: str
    provider_reference: str | None
    beneficiary_name: str
    reason_code: str | None
    reason_text: str | None
    adapter: str

    @classmethod
    def of(cls, row: Sequence[Any]) -> "HeldPayout":
        """From a row whose first columns are `PAYOUT_COLUMNS` (any further ones are left out)."""
        return cls(*row[: len(PAYOUT_COLUMNS)])


@dataclass
class Tally:
    """Counts and đồng by outcome and by exception class, for the run's report."""

    outcomes: Counter[str] = field(default_factory=Counter)
    outcome_vnd: Counter[str] = field(default_factory=Counter)
    exceptions: Counter[str] = field(default_factory=Counter)
    exception_vnd: Counter[str] = field(default_factory=Counter)
    lines: int = 0
    posted: int = 0

    def outcome(self, name: str, amount_vnd: int | None) -> None:
        self.outcomes[name] += 1
        self.outcome_vnd[name] += amount_vnd or 0

    def exception(self, kind: str, amount_vnd: int | None) -> None:
        self.exceptions[kind] += 1
        self.exception_vnd[kind] += amount_vnd or 0


@dataclass
class Chunk:
    """One chunk's working state: payouts by id, their moves, drafts and matches to write."""

    session: Session
    adapter: str
    import_id: int | None
    actor: Actor
    clock: Clock
    tally: Tally
    payouts: dict[int, HeldPayout] = field(default_factory=dict)
    # (payout id, direction) -> {(import id, bank reference)} of the movements matched to it
    booked: dict[tuple[int, str | None], set[tuple[int | None, str | None]]] = field(default_factory=dict)
    moves: list[PayoutMove] = field(default_factory=list)
    drafts: list[EntryDraft] = field(default_factory=list)
    matches: list[tuple[int, int, int, str, bool, str | None]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def hold(self, rows: Iterable[Any]) -> list[HeldPayout]:
        """The chunk's copy of each payout row, id first (the one it already holds, if any)."""
        held = []
        for row in rows:
            payout = self.payouts.get(row[0])
            if payout is None:
                payout = self.payouts[row[0]] = HeldPayout.of(row)
            held.append(payout)
        return held

    def write(self) -> int:
        """Write the payouts' moves, the matches, the exceptions and the entries; returns the
        entries posted.

        Each move is guarded by the state it was decided from: a payout another writer moved
        meanwhile is a Conflict, and the caller's rollback keeps the chunk for the next run."""
        if self.moves:
            moved = bulk.move_payouts(self.session, self.moves, self.clock())
            if moved != len(self.moves):
                raise Conflict("payouts changed while their confirmations were reconciled; run again")
            _expire_loaded(self.session, {move.payout_id for move in self.moves})
        if self.matches:
            bulk.insert_matches(self.session, self.matches, self.clock())
        for problem in raise_exceptions(self.session, self.problems, actor=self.actor, clock=self.clock):
            self.tally.exception(problem.kind, problem.amount_vnd)
        return post_entries(self.session, self.drafts, actor=self.actor, clock=self.clock).posted


def _expire_loaded(session: Session, payout_ids: set[int]) -> None:
    """Payout objects the caller's session holds were read before these moves: reload them."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Payout) and obj.id in payout_ids:
            session.expire(obj)
