"""A chunk's writes in bulk: staged lines, matches and payout moves, thousands at a time.

Staged lines and matches go to the database driver as tuples, the way the ledger writes its
rows (see `payments.driver`): for a million lines, SQLAlchemy's turning of each dict
into parameters costs about as much as the insert itself. Payout moves are grouped, since
most of a statement's are alike. The caller owns the transaction.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from payments.disbursements.model import Payout
from payments.disbursements.outbox import PayoutMove
from payments.driver import Driver
from payments.reconcile.lines import Line
from payments.reconcile.model import ReconLine, ReconMatch
from payments.reconcile.repository import in_parts

_STAGED_COLUMNS = (
    "import_id", "position", "movement", "status", "amount_vnd", "direction", "booking_date",
    "end_to_end_id", "instr_id", "provider_tx_id", "account_servicer_ref", "payment_info_id",
    "reference", "reason", "reason_text", "holder_name", "batch_count", "line_no",
)  # fmt: skip
MATCH_COLUMNS = ("line_id", "payout_id", "match_pass", "outcome", "movement", "direction", "created_at")


def insert_lines(session: Session, import_id: int, lines: Sequence[Line]) -> None:
    """Stage `lines` of an import (an empty reason text is stored as NULL)."""
    driver = Driver(session)
    day = driver.stored_date
    rows = [
        (
            import_id,
            ln.position,
            ln.movement,
            ln.status,
            ln.amount_vnd,
            ln.direction,
            day(ln.booking_date) if ln.booking_date is not None else None,
            ln.end_to_end_id,
            ln.instr_id,
            ln.provider_tx_id,
            ln.account_servicer_ref,
            ln.payment_info_id,
            ln.reference,
            ln.reason,
            ln.reason_text or None,
            ln.holder_name,
            ln.batch_count,
            ln.line_no,
        )
        for ln in lines
    ]  # in _STAGED_COLUMNS order
    driver.insert(ReconLine.__tablename__, _STAGED_COLUMNS, rows)


def insert_matches(session: Session, matches: Sequence[tuple[Any, ...]], now: datetime) -> None:
    """Record `matches`: tuples in `MATCH_COLUMNS` order without `created_at`, which is `now`."""
    driver = Driver(session)
    at = driver.stored_datetime(now)
    driver.insert(ReconMatch.__tablename__, MATCH_COLUMNS, [(*match, at) for match in matches])


def move_payouts(session: Session, moves: Sequence[PayoutMove], now: datetime) -> int:
    """Apply `moves` in order, each guarded by the state it was decided from; returns how many
    rows moved (fewer than `moves` when another writer moved one meanwhile).

    Most of a statement's moves are alike (accepted -> settled, no reason), so alike moves are
    one `UPDATE ... WHERE id IN (...)`, run as the driver's own SQL (SQLAlchemy's expanding of
    thousands of ids cost more than the update). A payout moved twice (settled, then returned)
    has its second move in a later round, so the two are applied in the order they were decided."""
    driver = Driver(session)
    connection, at = session.connection(), driver.stored_datetime(now)
    moved = 0
    for round_moves in _rounds(moves):
        alike: dict[tuple, list[int]] = {}
        for move in round_moves:
            alike.setdefault(move[1:], []).append(move.payout_id)
        for (was, state, code, text_, reference), ids in alike.items():
            values = {"state": state, "reason_code": code, "reason_text": text_, "updated_at": at}
            if reference is not None:
                values["provider_reference"] = reference
            for part in in_parts(ids):
                sql, params = _guarded_update(driver, values, was, part)
                moved += connection.exec_driver_sql(sql, params).rowcount
    return moved


def _guarded_update(driver: Driver, values: dict[str, Any], was: str, ids: list[int]) -> tuple[str, tuple]:
    """`UPDATE payouts SET <values> WHERE state = <was> AND id is one of <ids>`, and its parameters."""
    mark = driver.marker
    assignments = ", ".join(f"{column} = {mark}" for column in values)
    clause, listed = driver.one_of(ids)
    sql = f"UPDATE {Payout.__tablename__} SET {assignments} WHERE state = {mark} AND id {clause}"
    return sql, (*values.values(), was, *listed)


def _rounds(moves: Sequence[PayoutMove]) -> list[list[PayoutMove]]:
    """Each payout's first move in round 0, its second in round 1, ..."""
    rounds: list[list[PayoutMove]] = []
    seen: dict[int, int] = {}
    for move in moves:
        number = seen.get(move.payout_id, 0)
        seen[move.payout_id] = number + 1
        if number == len(rounds):
            rounds.append([])
        rounds[number].append(move)
    return rounds
