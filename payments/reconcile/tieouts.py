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
- Settled payouts no statement shows: once the adapter's statements cover the days after a
  payout's settlement past the grace (`STATEMENT_GRACE_BUSINESS_DAYS`) and none of their lines
  booked it, the money the ledger says left never left on any statement we hold. That is not
  timing any more: the settlement tie-out does not hold, names them, and each is a BALANCE_BREAK
  (`flag_unbooked_settlements`), resolved by the run in which a line books it after all.
Statement checks on each file (opening + entries = closing; the ledger explains its movement)
raise BALANCE_BREAK exceptions.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from payments.clock import Clock, utcnow
from payments.context import Actor
from payments.exception_queue.raising import BALANCE_BREAK
from payments.ledger import accounts
from payments.ledger.services import balances
from payments.reconcile import tieout_queries
from payments.reconcile.exceptions import Problem, raise_exception, raise_exceptions, resolve
from payments.reconcile.model import ReconImport

# A bank books a transfer the day the provider settles it or the next business day (a cut-off
# passed, a file sent late in the day); the second day absorbs a settlement dated by news that
# came before the booking (a pain.002 ACSC, a callback) and a statement day counted in another
# timezone than the ledger's Vietnamese day. Business days, since banks book nothing on a
# weekend. Public holidays (Tết) are not known here: a payout settled before them can be
# flagged early, and is resolved by the run that imports the statement booking it.
STATEMENT_GRACE_BUSINESS_DAYS = 2
NAMED_IN_REPORT = 20  # payouts a tie-out names; the exceptions name every one
PAGE = 1_000


def tie_outs(session: Session) -> dict[str, Any]:
    """{"adapters": {name: {...}}, "holds": bool} for every adapter with batches or imports."""
    found = {name: adapter_tie_out(session, name) for name in tieout_queries.known_adapters(session)}
    holds = all(t["in_flight"]["holds"] and t["settlement"]["holds"] for t in found.values())
    return {"adapters": found, "holds": holds}


def adapter_tie_out(session: Session, adapter: str) -> dict[str, Any]:
    return {
        "in_flight": _in_flight(session, adapter),
        "settlement": _settlement(session, adapter),
        "three_way": tieout_queries.three_way(session, adapter),
    }


def _in_flight(session: Session, adapter: str) -> dict[str, Any]:
    code = accounts.in_flight(adapter)
    ledger = -balances(session, [code])[code]
    count, unsettled = tieout_queries.unsettled_total(session, adapter)
    return {
        "ledger_vnd": ledger,
        "unsettled_payouts": count,
        "unsettled_vnd": unsettled,
        "holds": ledger == unsettled,
    }


def _settlement(session: Session, adapter: str) -> dict[str, Any]:
    code = accounts.settlement(adapter)
    statements = tieout_queries.statement_imports(session, adapter)
    explained = tieout_queries.explained_movement(session, adapter, tieout_queries.statement_ids(adapter))
    booked = sum(s.booked_vnd for s in statements)
    written_off, written_off_vnd = tieout_queries.written_off(session, adapter)
    unseen = _not_on_statements(session, adapter, Coverage.of(_reconciled(statements)))
    return {
        "ledger_balance_vnd": balances(session, [code])[code],
        "statements": len(statements),
        "days": [day.isoformat() for day in sorted(_covered_days(statements))],
        "ledger_movement_vnd": explained,
        "statement_movement_vnd": booked,
        "unexplained_vnd": booked - explained,
        "written_off": {"count": written_off, "amount_vnd": -written_off_vnd},  # + is a loss
        "not_on_statements": unseen,
        "holds": explained == booked and unseen["count"] == 0,
    }


def _reconciled(statements: list[Any]) -> list[Any]:
    """The statements whose lines have all been matched: one staged but not yet reconciled (a
    fetch, an import that stopped) shows nothing yet, so it is not coverage."""
    return [statement for statement in statements if statement.state == "done"]


def _not_on_statements(session: Session, adapter: str, coverage: "Coverage") -> dict[str, Any]:
    """The settled payouts the statements have passed without showing: count, đồng, the first few."""
    window = coverage.settled_window()
    count, total = tieout_queries.unbooked_total(session, adapter, *window) if window else (0, 0)
    named = _first_unbooked(session, adapter, window) if window and count else []
    return {
        "count": count,
        "amount_vnd": total,
        "payouts": named,
        "grace_business_days": STATEMENT_GRACE_BUSINESS_DAYS,
    }


def _first_unbooked(session: Session, adapter: str, window: tuple[date, date]) -> list[dict[str, Any]]:
    rows = session.execute(tieout_queries.unbooked_settled(adapter, *window).limit(NAMED_IN_REPORT))
    return [
        {"payout_key": r.payout_key, "amount_vnd": r.amount_vnd, "settled_on": r.effective_date.isoformat()}
        for r in rows
    ]


def _covered_days(statements: Iterable[ReconImport]) -> set[date]:
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
        kind=BALANCE_BREAK,
        fingerprint=f"BALANCE_BREAK:import:{row.id}:{what}",
        adapter=row.adapter,
        detail=detail,
        import_id=row.id,
        amount_vnd=gap,
        data={"check": what, "first_day": str(row.first_day), "last_day": str(row.last_day)},
    )
    return BALANCE_BREAK if raise_exception(session, problem, actor=actor, clock=clock) else ""


def due_day(settled_on: date) -> date:
    """The last day a statement may book a payout settled on `settled_on` and still be timing."""
    day, left = settled_on, STATEMENT_GRACE_BUSINESS_DAYS
    while left:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day


@dataclass(frozen=True)
class Coverage:
    """The days an adapter's statements (imports with balances) cover."""

    days: frozenset[date]

    @classmethod
    def of(cls, statements: Iterable[ReconImport]) -> "Coverage":
        return cls(frozenset(_covered_days(statements)))

    def settled_window(self) -> tuple[date, date] | None:
        """The settlement days whose grace the statements have run past, or None: from the first
        day covered (a payout settled before it may have been booked on a day no statement
        covers: nothing to compare with) to the last day due before the last day covered."""
        if not self.days:
            return None
        first, last = min(self.days), max(self.days)
        settled_by = last - timedelta(days=1)
        while settled_by >= first and due_day(settled_by) >= last:
            settled_by -= timedelta(days=1)
        return (first, settled_by) if settled_by >= first else None

    def missing_business_days(self, settled_on: date) -> list[date]:
        """Business days from `settled_on` to its due day that no statement covers: where the
        booking may be, if the bank made it."""
        span = (due_day(settled_on) - settled_on).days
        days = (settled_on + timedelta(days=n) for n in range(span + 1))
        return [day for day in days if day.weekday() < 5 and day not in self.days]


def flag_unbooked_settlements(
    session: Session, adapter: str, *, actor: Actor, clock: Clock = utcnow
) -> list[Problem]:
    """A BALANCE_BREAK for each settled payout of `adapter` whose statements cover the days
    after its settlement past the grace and show no line booking it. Idempotent: once per
    payout (`tieout_queries.unbooked_fingerprint`). Returns those raised now."""
    coverage = Coverage.of(_reconciled(tieout_queries.statement_imports(session, adapter)))
    window = coverage.settled_window()
    raised: list[Problem] = []
    after_id = 0
    while window and (
        rows := tieout_queries.unbooked_not_raised(session, adapter, *window, after_id=after_id, limit=PAGE)
    ):
        news = tieout_queries.settling_news(session, [row.id for row in rows])
        problems = [_unbooked(adapter, row, news.get(row.id), coverage) for row in rows]
        raised += raise_exceptions(session, problems, actor=actor, clock=clock)
        after_id = rows[-1].id
    return raised


def _unbooked(adapter: str, row: Any, news: tuple[str, str] | None, coverage: Coverage) -> Problem:
    settled_on, days = row.effective_date, sorted(coverage.days)
    shown = (max(days[0], settled_on), days[-1])  # the statement days after it settled
    missing = coverage.missing_business_days(settled_on)
    kind, file_name = news or ("answer", None)
    data = {
        "check": tieout_queries.UNBOOKED_CHECK, "payout_key": row.payout_key,
        "settled_on": settled_on.isoformat(), "due_by": due_day(settled_on).isoformat(),
        "news": {"kind": kind, "file_name": file_name},
        "statement_days": [day.isoformat() for day in shown],
        "missing_business_days": [day.isoformat() for day in missing],
        "grace_business_days": STATEMENT_GRACE_BUSINESS_DAYS,
    }  # fmt: skip
    detail = _unbooked_detail(row, _said_by(kind, file_name), shown, missing)
    return Problem(
        kind=BALANCE_BREAK, fingerprint=tieout_queries.unbooked_fingerprint(row.id), adapter=adapter,
        detail=detail, payout_id=row.id, amount_vnd=row.amount_vnd, data=data,
    )  # fmt: skip


def _unbooked_detail(row: Any, said: str, shown: tuple[date, date], missing: list[date]) -> str:
    """What finance reads (under the 500 characters an exception keeps): the payout, how it
    was settled, which statements do not show it, and what to do."""
    gap = f" (none imported for {', '.join(str(day) for day in missing[:5])})" if missing else ""
    return (
        f"payout {row.payout_key} ({row.amount_vnd:,} VND) settled on {row.effective_date} by {said}; "
        f"no line of the statements for {shown[0]}..{shown[1]}{gap} books it, though a bank books a "
        f"payment within {STATEMENT_GRACE_BUSINESS_DAYS} business days. Ask the provider whether it was "
        "paid: importing a statement that books it resolves this"
    )


def _said_by(kind: str, file_name: str | None) -> str:
    """The news that settled a payout, as a person reads it: `pain.002 psr-0823.xml`, `callback EVT-1`."""
    if file_name is None:
        return "the provider's answer to its send or status query"
    return file_name[:60] if file_name.startswith(kind) else f"{kind} {file_name[:60]}"


def resolve_booked_since(session: Session, adapter: str, *, actor: Actor, clock: Clock = utcnow) -> int:
    """Resolve each open BALANCE_BREAK of a settled payout no statement showed, once a line has
    booked it after all (or it is no longer settled), saying which; returns how many."""
    found = tieout_queries.open_unbooked_breaks(session, adapter)
    for exception_id, payout_id, payout_key, state in found:
        reason = _booked_since(session, payout_id, payout_key, state)
        resolve(session, actor, exception_id, action="acknowledge", reason=reason, clock=clock)
    return len(found)


def _booked_since(session: Session, payout_id: int, payout_key: str, state: str) -> str:
    booking = tieout_queries.first_booking(session, payout_id)
    if booking is None:
        return f"resolved by reconciliation: payout {payout_key} is {state} now, no longer counted as paid"
    file_name, line_no, day = booking
    where = f"line {line_no} of {file_name}" if line_no else file_name
    return f"resolved by reconciliation: {where} books payout {payout_key} on {day}"
