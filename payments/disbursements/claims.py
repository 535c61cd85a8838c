"""A chunk of payouts being dispatched: claimed before the send, its answers recorded after.

Claiming posts the ledger's initiation entries and moves the payouts to `sending` together,
committed before anything is sent. A payout queued again (nothing was sent) is initiated already:
its entry is drafted again with the effective date it was posted with, so the ledger skips it. A
payout the person's payable no longer covers is refused instead of sent (`cover.py`). Recording
moves each answered payout still waiting for an answer and posts its ledger entry (`outcomes.py`
decides both) in the transaction that claims the next chunk or finishes the batch; an answer for
a payout other news (a callback) has moved on meanwhile is skipped, and audited and raised as an
exception for finance staff when it contradicts that news; an answer naming another amount than
the payout's moves it only into doubt, and is raised too (`answer_problems.py`). A claim refuses
with Conflict when a payout changed state meanwhile, and (RuleViolation) a payout that differs
from what was approved (`manifest_check`).
"""

import logging
from collections.abc import Sequence
from datetime import date

from sqlalchemy.orm import Session

from payments.adapters.messages import PayoutInstruction
from payments.adapters.vocabulary import PayoutStatus
from payments.audit.services import EventSpec, record_events
from payments.clock import Clock, local_date
from payments.context import Actor
from payments.db import serialize_writers
from payments.disbursements import answer_problems, cover, outbox, repository
from payments.disbursements.answer_problems import of_another_amount
from payments.disbursements.answers import Answer
from payments.disbursements.manifest_check import Approved, instruction
from payments.disbursements.model import Batch
from payments.disbursements.outcomes import NEW_STATE, initiation_draft, initiation_key, outcome_move
from payments.disbursements.states import AWAITING_ANSWER, PayoutState, contradicts
from payments.errors import Conflict
from payments.exception_queue.raising import Problem, raise_exceptions
from payments.ledger.draft import EntryDraft
from payments.ledger.services import post_entries
from payments.ledger.writer import LEDGER_LOCK

log = logging.getLogger(__name__)


def claim_chunk(
    session: Session,
    batch: Batch,
    approved: Approved,
    *,
    chunk_size: int,
    actor: Actor,
    clock: Clock,
    outcomes: dict[str, int] | None = None,
) -> list[PayoutInstruction]:
    """Initiation entries and the move to `sending`, committed together before any send: the
    instructions to send, none when nothing is left queued. Payouts refused as they are claimed
    are counted in `outcomes` by reason (`not_owed`, `disputed`), and the chunk is filled
    from the next ones."""
    claimed: list[PayoutInstruction] = []
    while not claimed and (queued := outbox.queued_payouts(session, batch.id, limit=chunk_size)):
        claimed, refused = _claim(session, batch, approved, queued, actor=actor, clock=clock)
        if outcomes is not None:
            for refusal in refused:
                outcomes[refusal.reason.lower()] = outcomes.get(refusal.reason.lower(), 0) + 1
    return claimed


def _claim(
    session: Session,
    batch: Batch,
    approved: Approved,
    queued: Sequence[outbox.QueuedPayout],
    *,
    actor: Actor,
    clock: Clock,
) -> tuple[list[PayoutInstruction], list[cover.Refusal]]:
    """Claim `queued`: (the instructions of those claimed, those refused: no longer owed, or
    in question)."""
    batch_id, adapter, now = batch.id, batch.adapter, clock()
    remittance, reference = f"Tro cap {batch.programme} {batch.period}", f"B{batch_id}-{batch.period}"
    instructions = [
        instruction(row, approved, batch_id=batch_id, remittance=remittance, reference=reference)
        for row in queued
    ]
    serialize_writers(session, LEDGER_LOCK)  # the payables read stay as read until the entries are posted
    initiated = _initiated_on(session, queued)
    disputed = cover.disputed(session, [row for row in queued if row.payout_key not in initiated])
    held = {u.payout_id for u in disputed}
    refused = disputed + cover.uncovered(session, [row for row in queued if row.id not in held], initiated)
    if refused:
        cover.refuse(session, batch_id, refused, now, actor=actor, clock=clock)
    gone = {u.payout_id for u in refused}
    claimed = [(row, sent) for row, sent in zip(queued, instructions, strict=True) if row.id not in gone]
    drafts = [
        initiation_draft(row, adapter, initiated.get(row.payout_key, local_date(now))) for row, _ in claimed
    ]
    post_entries(session, drafts, actor=actor, clock=clock)
    if outbox.mark_sending(session, [row.id for row, _ in claimed], now) != len(claimed):
        raise Conflict(f"batch {batch_id}: payouts changed state while being claimed")
    return [sent for _, sent in claimed], refused


def _initiated_on(session: Session, queued: Sequence[outbox.QueuedPayout]) -> dict[str, date]:
    """{payout key: effective date of its initiation entry} for the payouts claimed before (and
    queued again since: nothing was sent). A first claim, the usual case, reads nothing."""
    again = {initiation_key(row.payout_key): row.payout_key for row in queued if row.send_attempts}
    if not again:
        return {}
    return {again[key]: day for key, day in repository.entry_dates(session, again).items()}


def record_answers(
    session: Session,
    batch: Batch,
    answers: Sequence[Answer],
    outcomes: dict[str, int],
    *,
    actor: Actor,
    clock: Clock,
) -> None:
    """Each answer's move and ledger entry (outcomes.py), for payouts read afresh and locked: a
    callback may have moved one since it was sent. Only a payout still waiting for an answer
    (sending, in doubt) is moved; a later state stands, and an answer contradicting it is logged,
    audited and raised as an exception for finance staff (`_late_answers`), never a Python error.
    An answer naming another amount than the payout's moves it only into doubt, and is raised
    too (`answer_problems.py`). Each answer is counted in `outcomes`, by status, or as
    `amount_mismatch`."""
    if not answers:
        return
    # The writers' locks (the audit log's, then the ledger's) before any payout row: a callback
    # takes them in that order too, and the other way round the two would deadlock.
    serialize_writers(session, LEDGER_LOCK)
    rows = outbox.answered_payouts(session, batch.id, [answer.payout_key for answer in answers])
    adapter, now = batch.adapter, clock()
    moves: list[outbox.PayoutMove] = []
    drafts: list[EntryDraft] = []
    late: list[tuple[outbox.AnsweredPayout, Answer]] = []
    problems: list[Problem] = []
    for given in answers:
        row = rows[given.payout_key]
        answer = _weighed(adapter, row, given, outcomes, problems)
        if row.state not in AWAITING_ANSWER:
            late.append((row, answer))
            continue
        move = outcome_move(
            row, adapter, answer.status, reason=answer.reason, reason_text=answer.reason_text,
            reference=answer.reference, day=local_date(now),
        )  # fmt: skip
        if move is not None:
            moves.append(outbox.PayoutMove(row.id, row.state, move.state, move.reason_code,
                                           move.reason_text, move.provider_reference))  # fmt: skip
            drafts += [move.entry] if move.entry else []
    if outbox.move_payouts(session, moves, now) != len(moves):
        raise Conflict(f"batch {batch.id}: payouts changed state while their answers were recorded")
    post_entries(session, drafts, actor=actor, clock=clock)
    problems += _late_answers(session, adapter, late, actor=actor, clock=clock)
    raise_exceptions(session, problems, actor=actor, clock=clock)


def _weighed(
    adapter: str,
    row: outbox.AnsweredPayout,
    answer: Answer,
    outcomes: dict[str, int],
    problems: list[Problem],
) -> Answer:
    """The answer to record for `row`, counted in `outcomes`: as given, or, when it names
    another amount than the payout's, an unknown one, with an AMOUNT_MISMATCH for `problems`."""
    if of_another_amount(row, answer):
        outcomes["amount_mismatch"] = outcomes.get("amount_mismatch", 0) + 1
        kept = PayoutState.IN_DOUBT if row.state in AWAITING_ANSWER else row.state
        log.warning("batch %s: provider holds %s VND under payout %s of %s VND; it is %s",
                    row.batch_id, answer.amount_vnd, row.payout_key, row.amount_vnd, kept)  # fmt: skip
        problems.append(answer_problems.amount_mismatch(adapter, row, answer, kept=kept))
        return answer_problems.in_doubt(row, answer)
    name = "not_found" if answer.status == PayoutStatus.NOT_FOUND else answer.status.value
    outcomes[name] = outcomes.get(name, 0) + 1
    return answer


def _late_answers(
    session: Session,
    adapter: str,
    late: Sequence[tuple[outbox.AnsweredPayout, Answer]],
    *,
    actor: Actor,
    clock: Clock,
) -> list[Problem]:
    """Answers for payouts other news moved on before they were recorded: skipped, the later
    state standing. One that contradicts it (settled, then the send said rejected) is logged and
    audited (`payout.answer_contradicted`), and returned as a CONTRADICTED_ANSWER for finance
    staff to look into with the provider."""
    events, problems = [], []
    for row, answer in late:
        reported = NEW_STATE[answer.status]
        where = (row.batch_id, row.payout_key, row.state, answer.status.value)
        if not contradicts(PayoutState(row.state), reported):
            log.info("batch %s: payout %s is %s already; its %s answer is old news", *where)
            continue
        log.warning("batch %s: payout %s is %s, yet the provider answered %s; it stays %s", *where, row.state)
        events.append(
            EventSpec("payout.answer_contradicted", "payout", row.id, before={"state": row.state},
                      after={"payout_key": row.payout_key, "batch_id": row.batch_id,
                             "answer": answer_problems.said(answer), "kept": row.state})
        )  # fmt: skip
        problems.append(answer_problems.contradiction(adapter, row, answer))
    record_events(session, actor, events, clock=clock)
    return problems
