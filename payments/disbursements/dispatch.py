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

The dispatcher's parts, each in its module: the manifest check (`manifest_check.py`), the
lease (`lease.py`), a chunk's claim and the recording of its answers (`claims.py`), and what
the provider said (`answers.py`).
"""

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from payments.adapters.base import PayoutAdapter
from payments.adapters.errors import AdapterProtocolError, AdapterUnavailable
from payments.adapters.messages import PayoutInstruction
from payments.adapters.vocabulary import PayoutStatus
from payments.audit.services import record_event
from payments.clock import Clock, utcnow
from payments.config import Settings
from payments.context import Actor
from payments.disbursements import repository
from payments.disbursements.answers import Answer, ask
from payments.disbursements.approval import get_batch
from payments.disbursements.claims import claim_chunk, record_answers
from payments.disbursements.lease import LeaseHeld, give_up_lease, take_lease
from payments.disbursements.manifest_check import Approved, check_manifest
from payments.disbursements.model import Batch
from payments.disbursements.states import BatchState, PayoutState, check_batch_transition
from payments.errors import Conflict, RuleViolation
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
        is not approved or its manifest no longer matches its approvals, LeaseHeld (a Conflict)
        when another dispatcher holds it. Safe to call again after any failure."""
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
            approved = check_manifest(session, batch, self.cipher, self.config.threshold_vnd)
            if not take_lease(session, batch_id, self.config.holder, self.config.lease, self.clock):
                raise LeaseHeld(f"batch {batch_id} is being dispatched by {batch.dispatch_holder}")
            if batch.state == BatchState.APPROVED:
                check_batch_transition(BatchState.APPROVED, BatchState.DISPATCHING)
                batch.state, batch.state_changed_at = BatchState.DISPATCHING, self.clock()
                after = {"state": "dispatching", "manifest_hash": batch.manifest_hash}
                record_event(
                    session, self.actor, "batch.dispatch", "batch", batch_id, after=after, clock=self.clock
                )
            return approved

    def _release(self, batch_id: int) -> None:
        with self.session_factory() as session, session.begin():
            give_up_lease(session, batch_id, self.config.holder)

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
        give_up_lease(session, batch.id, self.config.holder)
        return batch.state

    # --- payouts --------------------------------------------------------------------------

    def _recover(self, batch_id: int) -> list[Answer]:
        """Payouts left `sending` by a dispatcher that died, or in doubt: ask, never resend blindly."""
        with self.session_factory() as session:
            keys = repository.payout_keys_in(session, batch_id, [PayoutState.SENDING, PayoutState.IN_DOUBT])
        return [ask(self.adapter, key) for key in keys]

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
            if not take_lease(session, batch_id, self.config.holder, self.config.lease, self.clock):
                result.stopped_because = "lost the lease to another dispatcher"
                return []  # the new holder asks the provider itself
            batch = get_batch(session, batch_id)
            record_answers(session, batch, answers, result.outcomes, actor=self.actor, clock=self.clock)
            if result.stopped_because is not None:
                return []
            try:
                with session.begin_nested():
                    claimed = claim_chunk(
                        session, batch, approved, chunk_size=self.config.chunk_size, actor=self.actor,
                        clock=self.clock, outcomes=result.outcomes,
                    )  # fmt: skip
            except (RuleViolation, Conflict) as exc:
                refused = exc
            else:
                if not claimed:
                    result.state = self._finish_in(session, batch)
                return claimed
        raise refused

    def _send(self, chunk: Sequence[PayoutInstruction], result: DispatchResult) -> list[Answer]:
        for attempt in range(self.config.retries + 1):
            try:
                return self._matched(chunk, [Answer.of(said) for said in self.adapter.send(chunk)])
            except AdapterUnavailable as exc:
                log.warning("adapter %s unavailable (attempt %d): %s", self.adapter.name, attempt + 1, exc)
                self.config.sleep(self.config.backoff_seconds * 2**attempt)
            except AdapterProtocolError as exc:
                log.error("adapter %s answered something untrustworthy: %s", self.adapter.name, exc)
                return [Answer(i.payout_key, PayoutStatus.UNKNOWN, reason_text=str(exc)) for i in chunk]
        result.stopped_because = f"adapter {self.adapter.name} unreachable; nothing was sent"
        return [Answer(i.payout_key, PayoutStatus.NOT_FOUND) for i in chunk]

    def _matched(self, chunk: Sequence[PayoutInstruction], answers: list[Answer]) -> list[Answer]:
        """The answers, if they are one per payout sent, in order (the adapter protocol); else
        the whole chunk in doubt. An answer recorded against the wrong key would return a
        credited payout's money to payable, or leave one stuck: a status query per key decides."""
        sent = [i.payout_key for i in chunk]
        if [a.payout_key for a in answers] == sent:
            return answers
        log.error(
            "adapter %s answered %d payout(s) %s for the %d sent; all are in doubt",
            self.adapter.name, len(answers), sorted({a.payout_key for a in answers} - set(sent))[:5] or "",
            len(sent),
        )  # fmt: skip
        said = f"the adapter's answers did not match the payouts sent ({len(answers)} for {len(sent)})"
        return [Answer(key, PayoutStatus.UNKNOWN, reason_text=said) for key in sent]


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
