"""Dispatch through an outbox: exactly once, across crashes, retries and rival dispatchers.

Per chunk: (1) in one transaction, the ledger's initiation entries are posted and the payouts
move to `sending`; (2) the adapter is called with their keys; (3) in a later transaction (the
one that claims the next chunk, or finishes the batch when nothing is left: one commit per
chunk), the answers are recorded. A crash between (1) and (3) leaves payouts in `sending`: the
next dispatcher asks the provider about each key and never resends blindly; only a provider
that has no trace of a key ("not found", or "unreachable: nothing was sent") sees it again,
with the same key. A lease on the batch row lets one dispatcher act at a time; a dispatcher
that lost its lease records nothing more. The provider's own deduplication by payout key is the
last line. Payouts are read and written as plain rows on the driver's cursor (`outbox.py`), not
ORM objects; each instrument snapshot is opened once, by the manifest check; the cyclic garbage
collector waits during each chunk.
"""

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import NamedTuple

from sqlalchemy import or_, update
from sqlalchemy.orm import Session, sessionmaker

from payments.adapters.base import (
    AdapterProtocolError,
    AdapterUnavailable,
    Creditor,
    PayoutAdapter,
    PayoutInstruction,
    PayoutStatus,
    SendResult,
    StatusResult,
)
from payments.audit.services import record_event
from payments.clock import Clock, utcnow
from payments.config import Settings
from payments.context import Actor
from payments.disbursements import outbox, repository
from payments.disbursements.approval import approvals_needed, get_batch, valid_approvers
from payments.disbursements.building import creditor, open_snapshot
from payments.disbursements.manifest import ManifestLine, manifest_hash
from payments.disbursements.model import Batch
from payments.disbursements.outcomes import initiation_draft, outcome_move
from payments.disbursements.states import BatchState, PayoutState, check_batch_transition
from payments.errors import Conflict, RuleViolation
from payments.ledger.draft import EntryDraft
from payments.ledger.services import post_entries
from payments.memory import collector_paused
from payments.registry.crypto import PiiCipher

log = logging.getLogger(__name__)
UNSETTLED = (PayoutState.QUEUED, PayoutState.SENDING, PayoutState.IN_DOUBT)


@dataclass(frozen=True)
class DispatchConfig:
    holder: str  # who is dispatching: host:pid:random, unique per process
    threshold_vnd: int  # above it, two approvers
    chunk_size: int = 500
    lease: timedelta = timedelta(seconds=60)
    retries: int = 3  # for "unreachable, nothing was sent"
    backoff_seconds: float = 0.5
    sleep: Callable[[float], None] = time.sleep


@dataclass(frozen=True)
class Answer:
    """What the provider said about one key, from a send or a status query."""

    payout_key: str
    status: PayoutStatus
    reason: str | None = None
    reason_text: str = ""
    reference: str | None = None

    @classmethod
    def of(cls, said: SendResult | StatusResult) -> "Answer":
        reason = said.reason.value if said.reason else None
        return cls(said.payout_key, said.status, reason, said.reason_text, said.provider_reference)


class ApprovedPayout(NamedTuple):  # a tuple: one per payout of the batch, made at every dispatch
    """A payout as the manifest check found it: its amount, its sealed snapshot, and where it
    goes (the snapshot opened). A claim sends this creditor and refuses a row that differs."""

    amount_vnd: int
    sealed: tuple[bytes, str]  # instrument ciphertext and key id, as checked
    creditor: Creditor

    def matches(self, row: outbox.QueuedPayout) -> bool:
        """Whether a payout row still holds this amount and this very ciphertext."""
        return (
            row.amount_vnd == self.amount_vnd
            and (row.instrument_sealed, row.instrument_key_id) == self.sealed
        )


Approved = dict[str, ApprovedPayout]  # by payout key


@dataclass
class DispatchResult:
    batch_id: int
    state: str = ""
    sent: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    stopped_because: str | None = None


@dataclass
class Dispatcher:
    session_factory: sessionmaker[Session]
    adapter: PayoutAdapter
    cipher: PiiCipher
    actor: Actor
    config: DispatchConfig
    clock: Clock = utcnow

    def dispatch(self, batch_id: int) -> DispatchResult:
        """Send every queued payout of an approved batch. Raises RuleViolation when the batch
        is not approved or its manifest no longer matches its approvals, Conflict when another
        dispatcher holds it. Safe to call again after any failure."""
        result = DispatchResult(batch_id)
        approved = self._start(batch_id)
        try:
            answers = self._recover(batch_id)
            while (sent := self._next_chunk(batch_id, answers, approved, result)) is not None:
                answers = sent
            if not result.state:  # stopped early: the lease was lost, or the adapter unreachable
                result.state = self._finish(batch_id)
        except BaseException:
            self._release(batch_id)
            raise
        return result

    # --- the batch ------------------------------------------------------------------------

    def _start(self, batch_id: int) -> Approved:
        """Take the lease on an approved batch whose manifest still matches its approvals;
        return its payouts as approved."""
        with collector_paused(), self.session_factory() as session, session.begin():
            batch = get_batch(session, batch_id, for_update=True)
            if batch.state not in (BatchState.APPROVED, BatchState.DISPATCHING):
                raise RuleViolation(
                    f"batch {batch_id} is {batch.state}: only an approved batch is dispatched"
                )
            approved = self._check_manifest(session, batch)
            if not self._take_lease(session, batch_id):
                raise Conflict(f"batch {batch_id} is being dispatched by {batch.dispatch_holder}")
            if batch.state == BatchState.APPROVED:
                check_batch_transition(BatchState.APPROVED, BatchState.DISPATCHING)
                batch.state, batch.state_changed_at = BatchState.DISPATCHING, self.clock()
                after = {"state": "dispatching", "manifest_hash": batch.manifest_hash}
                record_event(
                    session, self.actor, "batch.dispatch", "batch", batch_id, after=after, clock=self.clock
                )
            return approved

    def _check_manifest(self, session: Session, batch: Batch) -> Approved:
        """Every payout's key, amount and opened snapshot, checked against the approved manifest.
        Each snapshot is opened here once; claims send what was checked, never a later reading."""
        rows = outbox.sealed_payouts(session, batch.id)
        lines = [
            ManifestLine(row.payout_key, row.amount_vnd, open_snapshot(self.cipher, row)) for row in rows
        ]
        if manifest_hash(lines) != batch.manifest_hash:
            raise _manifest_changed(batch.id)
        if len(valid_approvers(session, batch)) < approvals_needed(batch, self.config.threshold_vnd):
            raise RuleViolation(f"batch {batch.id}: not enough approvals bound to its current manifest")
        return {
            row.payout_key: ApprovedPayout(
                row.amount_vnd, (row.instrument_sealed, row.instrument_key_id), creditor(line.instrument)
            )
            for row, line in zip(rows, lines, strict=True)
        }

    def _take_lease(self, session: Session, batch_id: int) -> bool:
        now = self.clock()
        taken = session.execute(
            update(Batch)
            .where(
                Batch.id == batch_id,
                or_(
                    Batch.dispatch_holder.is_(None),
                    Batch.dispatch_expires_at < now,
                    Batch.dispatch_holder == self.config.holder,
                ),
            )
            .values(dispatch_holder=self.config.holder, dispatch_expires_at=now + self.config.lease)
            .execution_options(synchronize_session=False)
        )
        return taken.rowcount == 1

    def _release(self, batch_id: int) -> None:
        with self.session_factory() as session, session.begin():
            self._give_up_lease(session, batch_id)

    def _give_up_lease(self, session: Session, batch_id: int) -> None:
        """If this dispatcher still holds the lease, it no longer does."""
        session.execute(
            update(Batch)
            .where(Batch.id == batch_id, Batch.dispatch_holder == self.config.holder)
            .values(dispatch_holder=None, dispatch_expires_at=None)
            .execution_options(synchronize_session=False)
        )

    def _finish(self, batch_id: int) -> str:
        with self.session_factory() as session, session.begin():
            return self._finish_in(session, get_batch(session, batch_id, for_update=True))

    def _finish_in(self, session: Session, batch: Batch) -> str:
        """The batch is dispatched once no payout is left unsettled; the lease goes, either way."""
        if batch.state == BatchState.DISPATCHING and not repository.has_payouts_in(
            session, batch.id, UNSETTLED
        ):
            batch.state, batch.state_changed_at = BatchState.DISPATCHED, self.clock()
            record_event(session, self.actor, "batch.dispatched", "batch", batch.id, clock=self.clock)
        self._give_up_lease(session, batch.id)
        return batch.state

    # --- payouts --------------------------------------------------------------------------

    def _recover(self, batch_id: int) -> list[Answer]:
        """Payouts left `sending` by a dispatcher that died, or in doubt: ask, never resend blindly."""
        with self.session_factory() as session:
            keys = repository.payout_keys_in(session, batch_id, [PayoutState.SENDING, PayoutState.IN_DOUBT])
        return [self._ask(key) for key in keys]

    def _ask(self, key: str) -> Answer:
        try:
            return Answer.of(self.adapter.status(key))
        except (AdapterUnavailable, AdapterProtocolError):
            return Answer(key, PayoutStatus.UNKNOWN, reason_text="status query failed")

    def _next_chunk(
        self, batch_id: int, answers: Sequence[Answer], approved: Approved, result: DispatchResult
    ) -> list[Answer] | None:
        """Record the last answers, claim a chunk and send it: the chunk's answers, or None when
        nothing was claimed. The garbage collector waits meanwhile (see `collector_paused`)."""
        with collector_paused():
            claimed = self._record_and_claim(batch_id, answers, approved, result)
            if not claimed:
                return None
            answers = self._send(claimed, result)
            result.sent += len(claimed)
            return answers

    def _record_and_claim(
        self, batch_id: int, answers: Sequence[Answer], approved: Approved, result: DispatchResult
    ) -> list[PayoutInstruction]:
        """Record the answers to the last chunk, then claim the next one, in one transaction:
        the next chunk's instructions, or none when nothing is left (the batch is then finished
        in the same transaction and `result.state` set), the lease was lost or the dispatch
        stopped. A refused claim (RuleViolation, Conflict) is raised once the answers are
        committed: money that left is never forgotten because the next chunk was refused."""
        refused: RuleViolation | Conflict  # set when the claim is refused, raised after the commit
        with self.session_factory() as session, session.begin():
            if not self._take_lease(session, batch_id):
                result.stopped_because = "lost the lease to another dispatcher"
                return []  # the new holder asks the provider itself
            batch = get_batch(session, batch_id)
            self._record(session, batch, answers, result)
            if result.stopped_because is not None:
                return []
            try:
                with session.begin_nested():
                    claimed = self._claim(session, batch, approved)
            except (RuleViolation, Conflict) as exc:
                refused = exc
            else:
                if not claimed:
                    result.state = self._finish_in(session, batch)
                return claimed
        raise refused

    def _claim(self, session: Session, batch: Batch, approved: Approved) -> list[PayoutInstruction]:
        """Initiation entries and the move to `sending`, committed together before any send."""
        queued = outbox.queued_payouts(session, batch.id, limit=self.config.chunk_size)
        if not queued:
            return []
        batch_id, adapter = batch.id, batch.adapter
        remittance, reference = f"Tro cap {batch.programme} {batch.period}", f"B{batch_id}-{batch.period}"
        instructions = [
            _instruction(row, approved, batch_id=batch_id, remittance=remittance, reference=reference)
            for row in queued
        ]
        now = self.clock()
        post_entries(
            session,
            [initiation_draft(row, adapter, now.date()) for row in queued],
            actor=self.actor,
            clock=self.clock,
        )
        if outbox.mark_sending(session, [row.id for row in queued], now) != len(queued):
            raise Conflict(f"batch {batch_id}: payouts changed state while being claimed")
        return instructions

    def _send(self, chunk: Sequence[PayoutInstruction], result: DispatchResult) -> list[Answer]:
        for attempt in range(self.config.retries + 1):
            try:
                return [Answer.of(said) for said in self.adapter.send(chunk)]
            except AdapterUnavailable as exc:
                log.warning("adapter %s unavailable (attempt %d): %s", self.adapter.name, attempt + 1, exc)
                self.config.sleep(self.config.backoff_seconds * 2**attempt)
            except AdapterProtocolError as exc:
                log.error("adapter %s answered something untrustworthy: %s", self.adapter.name, exc)
                return [Answer(i.payout_key, PayoutStatus.UNKNOWN, reason_text=str(exc)) for i in chunk]
        result.stopped_because = f"adapter {self.adapter.name} unreachable; nothing was sent"
        return [Answer(i.payout_key, PayoutStatus.NOT_FOUND) for i in chunk]

    def _record(
        self, session: Session, batch: Batch, answers: Sequence[Answer], result: DispatchResult
    ) -> None:
        """Each answer's move and ledger entry (outcomes.py), for payouts read afresh: a callback
        may have moved one since it was sent."""
        if not answers:
            return
        rows = outbox.answered_payouts(session, batch.id, [answer.payout_key for answer in answers])
        adapter, now = batch.adapter, self.clock()
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
            result.outcomes[name] = result.outcomes.get(name, 0) + 1
        if outbox.move_payouts(session, moves, now) != len(moves):
            raise Conflict(f"batch {batch.id}: payouts changed state while their answers were recorded")
        post_entries(session, drafts, actor=self.actor, clock=self.clock)


def _instruction(
    row: outbox.QueuedPayout, approved: Approved, *, batch_id: int, remittance: str, reference: str
) -> PayoutInstruction:
    """What the adapter is sent for a queued row: refused unless it is the payout approved."""
    as_approved = approved.get(row.payout_key)
    if as_approved is None or not as_approved.matches(row):
        raise _manifest_changed(batch_id)
    return PayoutInstruction(
        payout_key=row.payout_key,
        amount_vnd=row.amount_vnd,
        creditor=as_approved.creditor,
        beneficiary_name=row.beneficiary_name,
        remittance_info=remittance,
        batch_reference=reference,
    )


def _manifest_changed(batch_id: int) -> RuleViolation:
    return RuleViolation(f"batch {batch_id}: its payouts no longer match the manifest that was approved")


SYSTEM_DISPATCHER = Actor(username="dispatcher", role="system")


def dispatcher_for(
    session_factory: sessionmaker[Session],
    adapters: Mapping[str, PayoutAdapter],
    settings: Settings,
    batch_id: int,
    *,
    chunk_size: int = 500,
    actor: Actor = SYSTEM_DISPATCHER,
) -> Dispatcher:
    """A dispatcher for this batch's adapter, with a holder name unique to this process, acting
    (in the ledger and the audit log) as `actor`: the person who pressed "send", or the system."""
    with session_factory() as session:
        adapter_name = get_batch(session, batch_id).adapter
    if adapter_name not in adapters:
        raise RuleViolation(
            f"batch {batch_id} goes through adapter {adapter_name!r}, which is not configured"
        )
    config = DispatchConfig(
        holder=f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}",
        threshold_vnd=settings.two_approver_threshold_vnd,
        chunk_size=chunk_size,
        lease=timedelta(seconds=settings.dispatch_lease_seconds),
    )
    return Dispatcher(
        session_factory, adapters[adapter_name], PiiCipher.from_settings(settings), actor, config
    )
