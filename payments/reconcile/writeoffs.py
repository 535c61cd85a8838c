"""Write-offs: what approving one posts to the ledger, class by class.

A write-off says that money moved at the provider which nobody will explain further, and that
we take it on ourselves: a loss booked to `expense:writeoff` (or, for money that came in, a
negative expense). Signs as everywhere in the ledger: debit +, credit −.

- UNMATCHED_CONFIRMATION (money moved that we did not instruct) and DUPLICATE_CONFIRMATION (a
  second booking of one payout): the statement line's whole amount. Money out: debit
  `expense:writeoff`, credit `settlement:<adapter>`; money in: the reverse. The settlement
  account then explains the statement again.
- AMOUNT_MISMATCH (a payout's key with another amount): the payout is settled (a debit) or
  returned (a credit, the payout having settled) for its own amount through the same
  `apply_outcome` as any match, and only the difference is written off. Refused when the bank
  paid out less than the payout: the person may still be owed the rest, which is not ours to
  write off. When a statement already booked the payout's money in that direction, the line
  is a second payment of it, and the whole line is written off, as for a duplicate: writing
  off only the difference would leave the payout's one settlement explaining two payments.

Refused, because another action is the right one (`REFUSED` says which): UNCONFIRMED_PAYOUT,
AMBIGUOUS, STATUS_CONFLICT, RETURNED_AFTER_SETTLEMENT, BALANCE_BREAK, CONTRADICTED_ANSWER; any
line that moved no money (a status report, a callback); and an exception a provider's answer
raised (an AMOUNT_MISMATCH with no line): an answer moves no money either.

Nothing is posted when a write-off is proposed (the plan is only checked); the second finance
user's approval posts it under `writeoff:exception:<id>`, so it is posted once however often
it is approved, with a memo naming the exception, its line and both users.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from payments.adapters.vocabulary import PayoutStatus
from payments.audit.services import record_event
from payments.clock import Clock, local_date, utcnow
from payments.context import Actor
from payments.db import table_of
from payments.disbursements.model import Payout
from payments.disbursements.outcomes import apply_outcome
from payments.errors import NotFound, RuleViolation
from payments.ledger import accounts
from payments.ledger.draft import EntryDraft, EntryKind
from payments.ledger.services import post_entry
from payments.reconcile import payout_queries, repository
from payments.reconcile.decisions import LIVE
from payments.reconcile.lines import DEBIT, Line
from payments.reconcile.model import WRITE_OFF_KEY_PREFIX, ReconException, ReconMatch

WRITE_OFF_ACCOUNT = accounts.expense("writeoff")
WRITTEN_OFF = ("UNMATCHED_CONFIRMATION", "DUPLICATE_CONFIRMATION")  # the whole line
MISMATCH = "AMOUNT_MISMATCH"  # the difference
DECIDED_BY_A_PERSON = 4  # the match pass recorded for a payout matched by an approved write-off
DEFAULT_REASON = "MS03"
REFUSED = {
    "UNCONFIRMED_PAYOUT": "the money may still arrive: query the payout's status, or mark it returned "
    "once the provider confirms it failed",
    "AMBIGUOUS": "the money belongs to one of the payouts it fits: confirm that one",
    "STATUS_CONFLICT": "the provider contradicts the payout's final state: settle it with the provider, "
    "then confirm or mark returned",
    "RETURNED_AFTER_SETTLEMENT": "the return is already posted and the payable restored: nothing is "
    "missing; acknowledge it",
    "BALANCE_BREAK": "a break is the sum of the statement's unexplained lines (or the bank's own "
    "arithmetic): resolve those lines, since writing off the break too would count them twice",
    "CONTRADICTED_ANSWER": "the provider's answer moved no money: ask the provider, then acknowledge "
    "it (the payout keeps its state), or mark the payout returned if it was not paid (never a settled one)",
}


@dataclass(frozen=True)
class WriteOff:
    """What approving exception `exception_id` posts. `settlement_vnd` is the posting to the
    settlement account (negative: money left); `payout` is settled or returned first when the
    outcome says so (AMOUNT_MISMATCH)."""

    exception_id: int
    kind: str
    adapter: str
    line_id: int
    line: Line
    settlement_vnd: int
    payout: Payout | None = None
    payout_adapter: str = ""
    outcome: str | None = None  # settled | confirmed | returned, for the payout

    @property
    def key(self) -> str:
        return f"{WRITE_OFF_KEY_PREFIX}{self.exception_id}"

    def summary(self) -> dict[str, Any]:
        """For the exception's history and the audit log: what is (to be) written off."""
        found = {"entry_key": self.key, "written_off_vnd": -self.settlement_vnd}
        if self.payout is not None:
            found |= {"payout_id": self.payout.id, "payout_outcome": self.outcome}
        return found


def plan_write_off(session: Session, row: ReconException) -> WriteOff:
    """The write-off of `row`, or RuleViolation saying why it cannot be written off."""
    if row.kind in REFUSED:
        raise RuleViolation(f"a {row.kind} is not written off: {REFUSED[row.kind]}", kind=row.kind)
    if row.line_id is None:
        raise RuleViolation(
            f"exception {row.id} names no statement line: the provider's answer it came from moved no "
            "money. Acknowledge it once the provider explains, or mark the payout returned if it was not paid"
        )
    line = repository.line_by_id(session, row.line_id)
    if not line.movement or not line.amount_vnd:
        raise RuleViolation(
            f"exception {row.id} comes from a status report that moved no money: acknowledge it instead"
        )
    whole = WriteOff(row.id, row.kind, row.adapter, row.line_id, line, settlement_vnd=line.signed_vnd)
    if row.kind in WRITTEN_OFF:
        return whole
    if row.kind == MISMATCH:
        return _difference(session, row, whole)
    raise RuleViolation(f"a {row.kind} is not written off")


def _difference(session: Session, row: ReconException, whole: WriteOff) -> WriteOff:
    """AMOUNT_MISMATCH: the payout at its own amount, and the rest written off."""
    if row.payout_id is None:
        raise RuleViolation(
            "the booking covers several payouts whose total differs: resolve them one by one, "
            "then write off what remains"
        )
    payout, adapter = _payout(session, row.payout_id)
    if adapter != row.adapter:
        raise RuleViolation(f"payout {payout.payout_key} was sent through {adapter}, not {row.adapter}")
    earlier = payout_queries.same_booking_matched(session, payout.id, whole.line, line_id=whole.line_id)
    if earlier is not None:
        raise RuleViolation(
            f"this line is booking {whole.line.account_servicer_ref} again, as another import reported it "
            f"(line {earlier}), already accounted for: nothing more left the account; acknowledge it"
        )
    if payout_queries.has_booked_movement(session, payout.id, whole.line.direction, but=whole.line_id):
        return whole
    if whole.line.direction == DEBIT:
        return _paid_more(whole, payout, adapter)
    return _returned_otherwise(whole, payout, adapter)


def _paid_more(whole: WriteOff, payout: Payout, adapter: str) -> WriteOff:
    """The bank paid a payout more than its amount: settle it, write off the excess."""
    booked = whole.line.amount_vnd or 0
    if payout.state not in LIVE and payout.state != "settled":
        raise RuleViolation(
            f"payout {payout.payout_key} is {payout.state}: the bank paying it contradicts that"
        )
    if booked < payout.amount_vnd:
        raise RuleViolation(
            f"the bank paid {booked} VND for payout {payout.payout_key} of {payout.amount_vnd} VND: the "
            "person may still be owed the rest, which is not written off; ask the bank"
        )
    outcome = "settled" if payout.state in LIVE else "confirmed"
    return _with_payout(whole, payout, adapter, outcome, settlement_vnd=payout.amount_vnd - booked)


def _returned_otherwise(whole: WriteOff, payout: Payout, adapter: str) -> WriteOff:
    """A settled payout came back short (a fee kept) or over: return it whole, write off the rest."""
    if payout.state != "settled":
        raise RuleViolation(f"payout {payout.payout_key} is {payout.state}: only a settled payout comes back")
    booked = whole.line.amount_vnd or 0
    return _with_payout(whole, payout, adapter, "returned", settlement_vnd=booked - payout.amount_vnd)


def _with_payout(
    whole: WriteOff, payout: Payout, adapter: str, outcome: str, *, settlement_vnd: int
) -> WriteOff:
    return WriteOff(
        whole.exception_id, whole.kind, whole.adapter, whole.line_id, whole.line, settlement_vnd,
        payout=payout, payout_adapter=adapter, outcome=outcome,
    )  # fmt: skip


def post_write_off(
    session: Session, actor: Actor, row: ReconException, *, clock: Clock = utcnow
) -> dict[str, Any]:
    """Post `row`'s write-off as `actor` approves it (the caller checked it is a second user):
    the payout's own outcome first (AMOUNT_MISMATCH), then the write-off entry. Idempotent by
    ledger key and match row. Returns the summary kept in the exception's history."""
    plan = plan_write_off(session, row)
    day = plan.line.booking_date or local_date(clock())
    if plan.payout is not None:
        _apply_to_payout(session, actor, plan, day, clock)
    entry = post_entry(session, _draft(plan, row, actor, day), actor=actor, clock=clock)
    done = plan.summary() | {"entry_seq": entry.seq}
    after = {"adapter": plan.adapter, "kind": plan.kind, **done}
    record_event(
        session, actor, "reconcile.write_off.posted", "recon_exception", row.id, after=after, clock=clock
    )
    return done


def _apply_to_payout(session: Session, actor: Actor, plan: WriteOff, day: date, clock: Clock) -> None:
    """The payout's own outcome, through the same `apply_outcome` as a match; then the match
    itself, so that the tie-outs count the payout's entry for this line."""
    payout, line = plan.payout, plan.line
    assert payout is not None
    status = {"settled": PayoutStatus.SETTLED, "returned": PayoutStatus.RETURNED}.get(plan.outcome or "")
    if status is not None:
        reason = (line.reason or DEFAULT_REASON) if status == PayoutStatus.RETURNED else None
        draft = apply_outcome(
            payout, plan.payout_adapter, status, reason=reason, reason_text=line.reason_text,
            reference=None if payout.provider_reference else line.provider_tx_id or line.instr_id,
            day=day, clock=clock,
        )  # fmt: skip
        if draft is not None:
            post_entry(session, draft, actor=actor, clock=clock)
    _record_match(session, plan, payout, clock)


def _record_match(session: Session, plan: WriteOff, payout: Payout, clock: Clock) -> None:
    found = select(ReconMatch.id).where(ReconMatch.line_id == plan.line_id, ReconMatch.payout_id == payout.id)
    if session.scalar(found) is not None:
        return
    row = {
        "line_id": plan.line_id, "payout_id": payout.id, "match_pass": DECIDED_BY_A_PERSON,
        "outcome": plan.outcome, "movement": True, "direction": plan.line.direction, "created_at": clock(),
    }  # fmt: skip
    session.execute(insert(table_of(ReconMatch)), [row])


def _draft(plan: WriteOff, row: ReconException, actor: Actor, day: date) -> EntryDraft:
    # No payout_ref: the tie-outs count a payout's own entries through its matches, and this
    # one through its exception; linking it both ways would count it twice. The memo names it.
    memo = {
        "exception": row.id, "class": row.kind, "line_id": plan.line_id, "import_id": row.import_id,
        "payout_key": plan.payout.payout_key if plan.payout is not None else None,
        "proposed_by": row.proposed_by, "approved_by": actor.username,
    }  # fmt: skip
    settlement = accounts.settlement(plan.adapter)
    return EntryDraft(
        idempotency_key=plan.key,
        kind=EntryKind.WRITE_OFF,
        effective_date=day,
        postings=((settlement, plan.settlement_vnd), (WRITE_OFF_ACCOUNT, -plan.settlement_vnd)),
        memo={k: v for k, v in memo.items() if v is not None},
    )


def _payout(session: Session, payout_id: int) -> tuple[Payout, str]:
    found = payout_queries.payout_with_adapter(session, payout_id)
    if found is None:
        raise NotFound(f"payout {payout_id} does not exist", payout_id=payout_id)
    return found
