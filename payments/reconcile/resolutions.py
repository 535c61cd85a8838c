"""Resolving an exception with an action that touches the ledger, through the same paths as
matching: a confirmed suggestion is applied like a pass-4 match, a payout marked returned goes
through `apply_outcome` (return entry, payable restored). A proposed write-off is checked
against its class here (`writeoffs.plan_write_off`) and posted when a second user approves."""

from typing import Any

from sqlalchemy.orm import Session

from payments.adapters.vocabulary import PayoutStatus
from payments.clock import Clock, local_date, utcnow
from payments.context import Actor
from payments.disbursements.outcomes import apply_outcome
from payments.errors import InvalidInput, NotFound, RuleViolation
from payments.ledger.services import post_entry
from payments.reconcile import payout_queries, repository
from payments.reconcile.chunk import Chunk, Tally
from payments.reconcile.exceptions import resolve
from payments.reconcile.model import ReconException
from payments.reconcile.processing import apply_line
from payments.reconcile.writeoffs import plan_write_off

SUGGESTION_PASS = 4


def resolve_exception(
    session: Session,
    actor: Actor,
    exception_id: int,
    *,
    action: str,
    reason: str,
    payout_id: int | None = None,
    reason_code: str | None = None,
    clock: Clock = utcnow,
) -> ReconException:
    """Resolve with `action`: `confirm_suggestion` (needs `payout_id`, one the exception
    suggested or named), `mark_returned` (the exception's payout, or `payout_id` if it is one
    the exception named or suggested, with `reason_code`, default MS03; never a settled
    payout: money back after settlement arrives as a credit line on a statement),
    `write_off` (pending a second finance user; refused for the classes `writeoffs.REFUSED`
    names) or `acknowledge`. Raises NotFound, Conflict (already resolved), InvalidInput,
    RuleViolation (a payout the exception does not name, one impossible to move so, or a
    class not to be written off)."""

    def apply(row: ReconException) -> dict[str, Any]:
        if action == "confirm_suggestion":
            return _confirm(session, actor, row, payout_id, clock)
        if action == "mark_returned":
            return _mark_returned(
                session, actor, row, payout_id or row.payout_id, code=reason_code, clock=clock
            )
        if action == "write_off":
            return plan_write_off(session, row).summary()
        return {}

    return resolve(session, actor, exception_id, action=action, reason=reason, apply=apply, clock=clock)


def _confirm(
    session: Session, actor: Actor, row: ReconException, payout_id: int | None, clock: Clock
) -> dict[str, Any]:
    if row.line_id is None:
        raise RuleViolation(f"exception {row.id} has no statement line to confirm against a payout")
    offered = _offered(row)
    if payout_id is None or payout_id not in offered:
        raise InvalidInput(f"payout_id must be one the exception offered: {sorted(offered) or 'none'}")
    chunk = Chunk(session, row.adapter, row.import_id, actor, clock, Tally())
    held = chunk.hold(payout_queries.payouts_by_id(session, [payout_id], adapter=row.adapter))
    if not held:
        raise NotFound(f"payout {payout_id} of adapter {row.adapter} does not exist", payout_id=payout_id)
    chunk.booked = payout_queries.booked_movements(session, [payout_id])
    line = repository.line_by_id(session, row.line_id)
    payout = held[0]
    if line.movement and line.amount_vnd is not None and line.amount_vnd != payout.amount_vnd:
        raise RuleViolation(
            f"the line moved {line.amount_vnd} VND, payout {payout.payout_key} is {payout.amount_vnd} VND: "
            "a difference is not confirmed by one person; write it off (a second finance user "
            "approves) or mark the payout returned",
            payout_id=payout_id,
        )
    outcome = apply_line(chunk, row.line_id, line, payout, match_pass=SUGGESTION_PASS)
    chunk.write()
    return {"payout_id": payout_id, "outcome": outcome}


def _mark_returned(
    session: Session,
    actor: Actor,
    row: ReconException,
    payout_id: int | None,
    *,
    code: str | None,
    clock: Clock,
) -> dict[str, Any]:
    if payout_id is None:
        raise InvalidInput(f"exception {row.id} names no payout: give payout_id")
    linked = _offered(row) | ({row.payout_id} if row.payout_id is not None else set())
    if payout_id not in linked:
        raise RuleViolation(
            f"payout {payout_id} is not one exception {row.id} is about: only its own payout or one "
            f"it offered is marked returned through it ({sorted(linked) or 'none'})",
            payout_id=payout_id,
        )
    payout, adapter = _payout(session, payout_id)
    if adapter != row.adapter:
        raise RuleViolation(f"payout {payout.payout_key} was sent through {adapter}, not {row.adapter}")
    if payout.state == "settled":
        raise RuleViolation(
            f"payout {payout.payout_key} is settled: it is not marked returned by hand. Money that "
            "comes back arrives as a credit line on a statement, which returns it",
            payout_id=payout.id,
        )
    reason, text = code or "MS03", f"marked returned (exception {row.id})"
    draft = apply_outcome(
        payout,
        adapter,
        PayoutStatus.RETURNED,
        reason=reason,
        reason_text=text,
        day=local_date(clock()),
        clock=clock,
    )
    if draft is not None:
        post_entry(session, draft, actor=actor, clock=clock)
    return {"payout_id": payout.id, "outcome": "returned", "reason": reason}


def _offered(row: ReconException) -> set[int]:
    """The payouts an exception offered a person: its candidates and suggestions."""
    return {c["payout_id"] for key in ("suggestions", "candidates") for c in row.data.get(key, [])}


def _payout(session: Session, payout_id: int):
    found = payout_queries.payout_with_adapter(session, payout_id)
    if found is None:
        raise NotFound(f"payout {payout_id} does not exist", payout_id=payout_id)
    return found
