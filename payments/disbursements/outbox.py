"""The dispatch outbox's statements on payouts: plain tuples on the database driver's cursor.

Dispatch reads and writes every payout of a batch twice (claimed, then its answer recorded),
a chunk of thousands at a time. Measured on SQLite, SQLAlchemy's handling of those rows (a
Row per payout read, a parameter dictionary and type processing per payout moved, expanding
an IN list of a thousand ids) cost about as much as the statements themselves, so these go
to the driver as the ledger's writer does (`payments.driver`), in the session's own
connection and transaction. Queries only, no rules: `manifest_check.py` and `claims.py` decide.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy.orm import Session

from payments.disbursements.states import PayoutState
from payments.driver import IN_LIST_SIZE, Driver


class SealedPayout(NamedTuple):
    """A payout as the manifest check reads it."""

    payout_key: str
    amount_vnd: int
    instrument_sealed: bytes
    instrument_key_id: str


class QueuedPayout(NamedTuple):
    """A queued payout as a claim reads it."""

    id: int
    payout_key: str
    beneficiary_id: int
    amount_vnd: int
    beneficiary_name: str
    instrument_sealed: bytes
    instrument_key_id: str
    send_attempts: int  # more than 0: claimed before, so its initiation entry is in the ledger


class AnsweredPayout(NamedTuple):
    """A payout as recording its answer reads it (see `outcomes.PayoutFacts`)."""

    id: int
    payout_key: str
    beneficiary_id: int
    amount_vnd: int
    state: str
    provider_reference: str | None
    batch_id: int


class PayoutMove(NamedTuple):
    """A payout's new state and columns, applied only if it is still in state `was` (dispatch
    and reconciliation both move payouts this way); `provider_reference` None keeps none new."""

    payout_id: int
    was: str
    state: str
    reason_code: str | None
    reason_text: str | None
    provider_reference: str | None


_SEALED = (
    "SELECT payout_key, amount_vnd, instrument_sealed, instrument_key_id FROM payouts WHERE batch_id = {m}"
)
_QUEUED = (
    "SELECT id, payout_key, beneficiary_id, amount_vnd, beneficiary_name, instrument_sealed,"
    " instrument_key_id, send_attempts FROM payouts WHERE batch_id = {m} AND state = {m}"
    " ORDER BY id LIMIT {m}"
)
_ANSWERED = (
    "SELECT id, payout_key, beneficiary_id, amount_vnd, state, provider_reference, batch_id"
    " FROM payouts WHERE payout_key {in_}"
)
_BALANCES = (
    "SELECT a.code, b.balance_vnd FROM ledger_accounts a JOIN ledger_balances b ON b.account_id = a.id"
    " WHERE a.code {in_}"
)
_SENDING = (
    "UPDATE payouts SET state = {m}, send_attempts = send_attempts + 1, updated_at = {m} WHERE state = {m}"
)
_MOVE = (
    "UPDATE payouts SET state = {m}, reason_code = {m}, reason_text = {m}, provider_reference = {m},"
    " updated_at = {m} WHERE id = {m} AND state = {m}"
)


def sealed_payouts(session: Session, batch_id: int) -> list[SealedPayout]:
    """Every payout of the batch, with its sealed instrument snapshot."""
    driver = Driver(session)
    return list(map(SealedPayout._make, driver.fetch(_SEALED.format(m=driver.marker), (batch_id,))))


def queued_payouts(session: Session, batch_id: int, *, limit: int) -> list[QueuedPayout]:
    """The batch's first `limit` queued payouts, by id."""
    driver = Driver(session)
    sql = _QUEUED.format(m=driver.marker)
    return list(map(QueuedPayout._make, driver.fetch(sql, (batch_id, PayoutState.QUEUED.value, limit))))


def answered_payouts(session: Session, batch_id: int, keys: Sequence[str]) -> dict[str, AnsweredPayout]:
    """{key: payout} for the batch's payouts of these keys, as they stand now, locked until the
    transaction ends: a callback cannot move one between this read and the move decided from it
    (on SQLite, BEGIN IMMEDIATE already keeps every other writer out)."""
    driver = Driver(session)
    sql = f"{_ANSWERED} FOR UPDATE" if driver.postgres else _ANSWERED
    rows = map(AnsweredPayout._make, driver.fetch_in(sql, list(keys)))
    return {row.payout_key: row for row in rows if row.batch_id == batch_id}


def cached_balances(session: Session, codes: Sequence[str]) -> dict[str, int]:
    """{code: cached balance} of these ledger accounts, those never posted to left out: what the
    ledger's `balances` reads, on the driver's cursor (a claim reads a chunk's payables; through
    the ORM that cost a tenth of the claim, measured on the dispatch bench)."""
    return dict(Driver(session).fetch_in(_BALANCES, list(codes)))


def mark_sending(session: Session, payout_ids: Sequence[int], now: datetime) -> int:
    """Queued payouts to `sending`, counting the attempt, in IN lists of bounded size; returns
    how many moved (a payout no longer queued is left alone)."""
    driver = Driver(session)
    connection, mark = session.connection(), driver.marker
    values = (PayoutState.SENDING.value, driver.stored_datetime(now), PayoutState.QUEUED.value)
    moved = 0
    for start in range(0, len(payout_ids), IN_LIST_SIZE):
        clause, listed = driver.one_of(list(payout_ids[start : start + IN_LIST_SIZE]))
        sql = f"{_SENDING.format(m=mark)} AND id {clause}"
        moved += connection.exec_driver_sql(sql, (*values, *listed)).rowcount
    return moved


def move_payouts(session: Session, moves: Sequence[PayoutMove], now: datetime) -> int:
    """Apply each move, guarded by the state it was decided from, in one executemany; returns
    how many payouts moved (fewer than `moves` when another writer moved one meanwhile).

    Row by row, not one `UPDATE ... WHERE id IN` per kind of move with the references set
    apart: on SQLite that was cheaper by itself, but the ledger's posting that follows it in
    the transaction took a quarter longer, more than was saved (measured on the dispatch bench)."""
    if not moves:
        return 0
    driver = Driver(session)
    at = driver.stored_datetime(now)
    rows = [
        (state, code, text, reference, at, payout_id, was)
        for payout_id, was, state, code, text, reference in moves
    ]
    return session.connection().exec_driver_sql(_MOVE.format(m=driver.marker), rows).rowcount  # type: ignore[arg-type]
