"""Dispatch through an outbox: exactly once, across crashes, retries and rival dispatchers.

Per chunk: (1) in one transaction, the ledger's initiation entries are posted and the payouts
move to `sending`; (2) the adapter is called with their keys; (3) in another transaction, the
answers are recorded. A crash between (1) and (3) leaves payouts in `sending`: the next
dispatcher asks the provider about each key and never resends blindly; only a provider that
has no trace of a key ("not found", or "unreachable: nothing was sent") sees it again, with the
same key. A lease on the batch row lets one dispatcher act at a time; a dispatcher that lost
its lease records nothing more. The provider's own deduplication by payout key is the last line.
"""

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import or_, update
from sqlalchemy.orm import Session, sessionmaker

from payments.adapters.base import (
    AdapterProtocolError,
    AdapterUnavailable,
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
from payments.disbursements import repository
from payments.disbursements.approval import approvals_needed, get_batch, valid_approvers
from payments.disbursements.building import creditor, open_snapshot
from payments.disbursements.manifest import ManifestLine, manifest_hash
from payments.disbursements.model import Batch, Payout
from payments.disbursements.outcomes import apply_outcome, initiation_draft
from payments.disbursements.states import BatchState, PayoutState, check_batch_transition
from payments.errors import Conflict, RuleViolation
from payments.ledger.draft import EntryDraft
from payments.ledger.services import post_entries
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
        self._start(batch_id)
        try:
            self._recover(batch_id, result)
            while result.stopped_because is None and self._send_next_chunk(batch_id, result):
                pass
            result.state = self._finish(batch_id)
        finally:
            self._release(batch_id)
        return result

    # --- the batch ------------------------------------------------------------------------

    def _start(self, batch_id: int) -> None:
        with self.session_factory() as session, session.begin():
            batch = get_batch(session, batch_id, for_update=True)
            if batch.state not in (BatchState.APPROVED, BatchState.DISPATCHING):
                raise RuleViolation(
                    f"batch {batch_id} is {batch.state}: only an approved batch is dispatched"
                )
            self._check_manifest(session, batch)
            if not self._take_lease(session, batch_id):
                raise Conflict(f"batch {batch_id} is being dispatched by {batch.dispatch_holder}")
            if batch.state == BatchState.APPROVED:
                check_batch_transition(BatchState.APPROVED, BatchState.DISPATCHING)
                batch.state, batch.state_changed_at = BatchState.DISPATCHING, self.clock()
                after = {"state": "dispatching", "manifest_hash": batch.manifest_hash}
                record_event(
                    session, self.actor, "batch.dispatch", "batch", batch_id, after=after, clock=self.clock
                )

    def _check_manifest(self, session: Session, batch: Batch) -> None:
        payouts = repository.payouts_in(session, batch.id)
        lines = [ManifestLine(p.payout_key, p.amount_vnd, open_snapshot(self.cipher, p)) for p in payouts]
        if manifest_hash(lines) != batch.manifest_hash:
            raise RuleViolation(
                f"batch {batch.id}: its payouts no longer match the manifest that was approved"
            )
        if len(valid_approvers(session, batch)) < approvals_needed(batch, self.config.threshold_vnd):
            raise RuleViolation(f"batch {batch.id}: not enough approvals bound to its current manifest")

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
            session.execute(
                update(Batch)
                .where(Batch.id == batch_id, Batch.dispatch_holder == self.config.holder)
                .values(dispatch_holder=None, dispatch_expires_at=None)
                .execution_options(synchronize_session=False)
            )

    def _finish(self, batch_id: int) -> str:
        with self.session_factory() as session, session.begin():
            batch = get_batch(session, batch_id, for_update=True)
            if batch.state == BatchState.DISPATCHING and not repository.payouts_in(
                session, batch_id, UNSETTLED
            ):
                batch.state, batch.state_changed_at = BatchState.DISPATCHED, self.clock()
                record_event(session, self.actor, "batch.dispatched", "batch", batch_id, clock=self.clock)
            return batch.state

    # --- payouts --------------------------------------------------------------------------

    def _recover(self, batch_id: int, result: DispatchResult) -> None:
        """Payouts left `sending` by a dispatcher that died, or in doubt: ask, never resend blindly."""
        with self.session_factory() as session:
            doubtful = repository.payouts_in(session, batch_id, [PayoutState.SENDING, PayoutState.IN_DOUBT])
            keys = [p.payout_key for p in doubtful]
        answers = [self._ask(key) for key in keys]
        self._record(batch_id, answers, result)

    def _ask(self, key: str) -> Answer:
        try:
            return Answer.of(self.adapter.status(key))
        except (AdapterUnavailable, AdapterProtocolError):
            return Answer(key, PayoutStatus.UNKNOWN, reason_text="status query failed")

    def _send_next_chunk(self, batch_id: int, result: DispatchResult) -> bool:
        claimed = self._claim(batch_id)
        if claimed is None:
            result.stopped_because = "lost the lease to another dispatcher"
            return False
        if not claimed:
            return False
        answers = self._send(claimed, result)
        self._record(batch_id, answers, result)
        result.sent += len(claimed)
        return result.stopped_because is None

    def _claim(self, batch_id: int) -> list[PayoutInstruction] | None:
        """Initiation entries and the move to `sending`, committed together before any send."""
        with self.session_factory() as session, session.begin():
            if not self._take_lease(session, batch_id):
                return None
            batch = get_batch(session, batch_id)
            queued = repository.payouts_in(
                session, batch_id, [PayoutState.QUEUED], limit=self.config.chunk_size
            )
            if not queued:
                return []
            day = self.clock().date()
            post_entries(
                session,
                [initiation_draft(p, batch.adapter, day) for p in queued],
                actor=self.actor,
                clock=self.clock,
            )
            for payout in queued:
                payout.state, payout.send_attempts, payout.updated_at = (
                    PayoutState.SENDING,
                    payout.send_attempts + 1,
                    self.clock(),
                )
            return [self._instruction(batch, p) for p in queued]

    def _instruction(self, batch: Batch, payout: Payout) -> PayoutInstruction:
        return PayoutInstruction(
            payout_key=payout.payout_key,
            amount_vnd=payout.amount_vnd,
            creditor=creditor(open_snapshot(self.cipher, payout)),
            beneficiary_name=payout.beneficiary_name,
            remittance_info=f"Tro cap {batch.programme} {batch.period}",
            batch_reference=f"B{batch.id}-{batch.period}",
        )

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

    def _record(self, batch_id: int, answers: Sequence[Answer], result: DispatchResult) -> None:
        if not answers:
            return
        with self.session_factory() as session, session.begin():
            if not self._take_lease(session, batch_id):
                result.stopped_because = "lost the lease to another dispatcher"
                return  # the new holder asks the provider itself
            batch = get_batch(session, batch_id)
            by_key = repository.payouts_by_key(session, batch_id, [answer.payout_key for answer in answers])
            drafts: list[EntryDraft] = []
            for answer in answers:
                draft = apply_outcome(
                    by_key[answer.payout_key], batch.adapter, answer.status, reason=answer.reason,
                    reason_text=answer.reason_text, reference=answer.reference, day=self.clock().date(),
                    clock=self.clock,
                )  # fmt: skip
                drafts += [draft] if draft else []
                name = "not_found" if answer.status == PayoutStatus.NOT_FOUND else answer.status.value
                result.outcomes[name] = result.outcomes.get(name, 0) + 1
            post_entries(session, drafts, actor=self.actor, clock=self.clock)


def dispatcher_for(
    session_factory: sessionmaker[Session],
    adapters: Mapping[str, PayoutAdapter],
    settings: Settings,
    batch_id: int,
    *,
    chunk_size: int = 500,
) -> Dispatcher:
    """A dispatcher for this batch's adapter, with a holder name unique to this process."""
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
    actor = Actor(username="dispatcher", role="system")
    return Dispatcher(
        session_factory, adapters[adapter_name], PiiCipher.from_settings(settings), actor, config
    )
