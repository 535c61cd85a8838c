"""Tie-outs: every đồng the ledger holds in flight or settled, against what explains it.

- `in_flight:<adapter>` (a credit balance) must equal the adapter's payouts still in flight.
- `settlement:<adapter>` must explain the adapter's statements: their booked movement equals
  the settlement postings of the payouts their lines booked (a payout is a debit on the
  statement and a credit on the settlement account; a return is the reverse, so the two
  signed sums are equal), plus the write-offs approved for lines nothing else explains.
  Compared booking by booking, not day by day: a provider that reports SETTLED when a payout
  is sent has it dated the dispatch day in the ledger (entries are never re-dated), while the
  bank books it on its own booking day, often the next; a comparison by day would call that
  a break twice, once on each day.
- Three-way: settled payouts (ledger, from the adapter's confirmation) that a statement also
  booked, those no statement has booked yet (timing, shown, not a break), and statement
  bookings no payout explains (open unmatched exceptions).
Statement checks on each file (opening + entries = closing; the ledger explains its movement)
raise BALANCE_BREAK exceptions.
"""

from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from payments.clock import Clock, utcnow
from payments.context import Actor
from payments.ledger import accounts
from payments.ledger.services import balances
from payments.reconcile import tieout_queries
from payments.reconcile.exceptions import Problem, raise_exception
from payments.reconcile.model import ReconImport


def tie_outs(session: Session) -> dict[str, Any]:
    """{"adapters": {name: {...}}, "holds": bool} for every adapter with batches or imports."""
    found = {name: adapter_tie_out(session, name) for name in tieout_queries.known_adapters(session)}
    holds = all(t["in_flight"]["holds"] and t["settlement"]["holds"] for t in found.values())
    return {"adapters": found, "holds": holds}


def adapter_tie_out(session: Session, adapter: str) -> dict[str, Any]:
    codes = [accounts.in_flight(adapter), accounts.settlement(adapter)]
    in_flight, settlement = (balances(session, codes)[code] for code in codes)
    count, unsettled = tieout_queries.unsettled_total(session, adapter)
    statements = tieout_queries.statement_imports(session, adapter)
    days = sorted(_covered_days(statements))
    explained = tieout_queries.explained_movement(session, adapter, tieout_queries.statement_ids(adapter))
    booked = sum(s.booked_vnd for s in statements)
    written_off, written_off_vnd = tieout_queries.written_off(session, adapter)
    return {
        "in_flight": {
            "ledger_vnd": -in_flight,
            "unsettled_payouts": count,
            "unsettled_vnd": unsettled,
            "holds": -in_flight == unsettled,
        },
        "settlement": {
            "ledger_balance_vnd": settlement,
            "statements": len(statements),
            "days": [day.isoformat() for day in days],
            "ledger_movement_vnd": explained,
            "statement_movement_vnd": booked,
            "unexplained_vnd": booked - explained,
            "written_off": {"count": written_off, "amount_vnd": -written_off_vnd},  # + is a loss
            "holds": explained == booked,
        },
        "three_way": tieout_queries.three_way(session, adapter),
    }


def _covered_days(statements: list[ReconImport]) -> set[date]:
    """Every day some statement covers: a day two files cover is summed once on the ledger."""
    days: set[date] = set()
    for s in statements:
        if s.first_day is None or s.last_day is None:
            continue
        span = (s.last_day - s.first_day).days
        days.update(s.first_day + timedelta(days=n) for n in range(span + 1))
    return days


def check_continuity(session: Session, row: ReconImport, *, actor: Actor, clock: Clock = utcnow) -> list[str]:
    """BALANCE_BREAK exceptions for a statement file whose balances do not tie; their kinds."""
    if row.opening_vnd is None or row.closing_vnd is None or row.first_day is None or row.last_day is None:
        return []
    breaks = []
    if row.opening_vnd + row.booked_vnd != row.closing_vnd:
        gap = row.closing_vnd - row.opening_vnd - row.booked_vnd
        detail = (
            f"{row.file_name}: opening {row.opening_vnd} + entries {row.booked_vnd} "
            f"!= closing {row.closing_vnd} (off by {gap} VND)"
        )
        breaks.append(_break(session, row, "continuity", detail, gap, actor=actor, clock=clock))
    ledger = tieout_queries.explained_movement(session, row.adapter, [row.id])
    if ledger != row.booked_vnd:
        detail = (
            f"{row.file_name}: the statement for {row.first_day}..{row.last_day} moves {row.booked_vnd} VND; "
            f"the ledger's {accounts.settlement(row.adapter)} entries for the payouts it booked come to "
            f"{ledger} VND ({row.booked_vnd - ledger} VND unexplained)"
        )
        gap = row.booked_vnd - ledger
        breaks.append(_break(session, row, "ledger", detail, gap, actor=actor, clock=clock))
    return [b for b in breaks if b]


def _break(
    session: Session, row: ReconImport, what: str, detail: str, gap: int, *, actor: Actor, clock: Clock
) -> str:
    problem = Problem(
        kind="BALANCE_BREAK",
        fingerprint=f"BALANCE_BREAK:import:{row.id}:{what}",
        adapter=row.adapter,
        detail=detail,
        import_id=row.id,
        amount_vnd=gap,
        data={"check": what, "first_day": str(row.first_day), "last_day": str(row.last_day)},
    )
    return "BALANCE_BREAK" if raise_exception(session, problem, actor=actor, clock=clock) else ""
