"""A chunk of payouts being dispatched: claimed before the send, its answers recorded after.

Claiming posts the ledger's initiation entries and moves the payouts to `sending` together,
committed before anything is sent. Recording moves each answered payout and posts its ledger
entry (`outcomes.py` decides both) in the transaction that claims the next chunk or finishes
the batch. Either refuses with Conflict when a payout changed state meanwhile; a claim also
refuses (RuleViolation) a payout that differs from what was approved (`manifest_check`).
"""

from collections.abc import Sequence

from sqlalchemy.orm import Session

from payments.adapters.messages import PayoutInstruction
from payments.adapters.vocabulary import PayoutStatus
from payments.clock import Clock
from payments.context import Actor
from payments.disbursements import outbox
from payments.disbursements.answers import Answer
from payments.disbursements.manifest_check import Approved, instruction
from payments.disbursements.model import Batch
from payments.disbursements.outcomes import initiation_draft, outcome_move
from payments.errors import Conflict
from payments.ledger.draft import EntryDraft
from payments.ledger.services import post_entries


def claim_chunk(
    session: Session, batch: Batch, approved: Approved, *, chunk_size: int, actor: Actor, clock: Clock
) -> list[PayoutInstruction]:
    """Initiation entries and the move to `sending`, committed together before any send."""
    queued = outbox.queued_payouts(session, batch.id, limit=chunk_size)
    if not queued:
        return []
    batch_id, adapter = batch.id, batch.adapter
    remittance, reference = f"Tro cap {batch.programme} {batch.period}", f"B{batch_id}-{batch.period}"
    instructions = [
        instruction(row, approved, batch_id=batch_id, remittance=remittance, reference=reference)
        for row in queued
    ]
    now = clock()
    post_entries(
        session,
        [initiation_draft(row, adapter, now.date()) for row in queued],
        actor=actor,
        clock=clock,
    )
    if outbox.mark_sending(session, [row.id for row in queued], now) != len(queued):
        raise Conflict(f"batch {batch_id}: payouts changed state while being claimed")
    return instructions


def record_answers(
    session: Session,
    batch: Batch,
    answers: Sequence[Answer],
    outcomes: dict[str, int],
    *,
    actor: Actor,
    clock: Clock,
) -> None:
    """Each answer's move and ledger entry (outcomes.py), for payouts read afresh: a callback
    may have moved one since it was sent. Each answer is counted in `outcomes`, by status."""
    if not answers:
        return
    rows = outbox.answered_payouts(session, batch.id, [answer.payout_key for answer in answers])
    adapter, now = batch.adapter, clock()
    moves: list[outbox.PayoutMove] = []
    drafts: list[EntryDraft] = []
    for answer in answers:
        row = rows[answer.payout_key]
        move = outcome_move(
            row, adapter, answer.status, reason=answer.reason, reason_text=answer.reason_text,
            reference=answer.reference, day=now.date(),
        )  # fmt: skip
        if move is not None:
            moves.append(outbox.PayoutMove(row.id, row.state, move.state, move.reason_code,
                                           move.reason_text, move.provider_reference))  # fmt: skip
            drafts += [move.entry] if move.entry else []
        name = "not_found" if answer.status == PayoutStatus.NOT_FOUND else answer.status.value
        outcomes[name] = outcomes.get(name, 0) + 1
    if outbox.move_payouts(session, moves, now) != len(moves):
        raise Conflict(f"batch {batch.id}: payouts changed state while their answers were recorded")
    post_entries(session, drafts, actor=actor, clock=clock)
