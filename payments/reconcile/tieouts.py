"""Tie-outs: every đồng the ledger holds in flight or settled, against what explains it.

- `in_flight:<adapter>` (a credit balance) must equal the adapter's payouts still in flight.
- `settlement:<adapter>` over the days its statements cover must equal their booked movement
  (a payout is a debit on the statement and a credit on the settlement account; a return
  is the reverse, so the two signed sums are equal).
- Three-way: settled payouts (ledger, from the adapter's confirmation) that a statement also
  booked, and statement bookings no payout explains (open unmatched exceptions).
Statement continuity checks (opening + entries = closing, ledger = statement for the days
of one file) raise BALANCE_BREAK exceptions.
"""

from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from payments.clock import Clock, utcnow
from payments.context import Actor
from payments.ledger import accounts
from payments.ledger.services import balances
from payments.reconcile import repository
from payments.reconcile.exceptions import Problem, raise_exception
from payments.reconcile.model import ReconImport


def tie_outs(session: Session) -> dict[str, Any]:
    """{"adapters": {name: {...}}, "holds": bool} for every adapter with batches or imports."""
    found = {name: adapter_tie_out(session, name) for name in repository.known_adapters(session)}
    holds = all(t["in_flight"]["holds"] and t["settlement"]["holds"] for t in found.values())
    return {"adapters": found, "holds": holds}


def adapter_tie_out(session: Session, adapter: str) -> dict[str, Any]:
    codes = [accounts.in_flight(adapter), accounts.settlement(adapter)]
    in_flight, settlement = (balances(session, codes)[code] for code in codes)
    count, unsettled = repository.unsettled_total(session, adapter)
    statements = repository.statement_imports(session, adapter)
    days = sorted(_covered_days(statements))
    ledger_days = repository.settlement_movement_on(session, adapter, days)
    booked = sum(s.booked_vnd for s in statements)
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
            "ledger_movement_vnd": ledger_days,
            "statement_movement_vnd": booked,
            "holds": ledger_days == booked,
        },
        "three_way": repository.three_way(session, adapter),
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
    ledger = repository.settlement_movement(session, row.adapter, row.first_day, row.last_day)
    statement = repository.statement_movement(session, row.adapter, row.first_day, row.last_day)
    if ledger != statement:
        detail = (
            f"{row.file_name}: statements for {row.first_day}..{row.last_day} move {statement} VND, "
            f"the ledger's {accounts.settlement(row.adapter)} moves {ledger} VND"
        )
        breaks.append(_break(session, row, "ledger", detail, statement - ledger, actor=actor, clock=clock))
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
