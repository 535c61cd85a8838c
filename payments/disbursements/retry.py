"""Follow-up batches: pay again only the people whose payouts in a dispatched batch failed.

A rejected or returned payout has already given its money back to the person's payable (its
return entry). A follow-up build pays those people, and nobody else, the way `build_batches`
would: with their *current* instrument (a corrected account is the usual reason to retry), the
same holds (two failures on the same instrument hold the person for an officer), the next
attempt's payout key, each new payout linked to the failure it follows up and each new batch to
the batch retried. It is a draft like any other batch: maker-checker approval comes before
anything is sent.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from payments.audit.services import record_event
from payments.clock import Clock, local_date, utcnow
from payments.context import Actor
from payments.db import serialize_writers
from payments.disbursements import repository
from payments.disbursements.approval import get_batch
from payments.disbursements.building import BUILD_LOCK, PAGE, BatchBuilder, BuildResult
from payments.disbursements.model import Payout
from payments.disbursements.routing import Routing
from payments.disbursements.states import BatchState
from payments.errors import RuleViolation
from payments.registry.crypto import PiiCipher

# Only once a batch is dispatched has every payout a definite state; while it is dispatching
# its people are still in an open batch, and a follow-up would race the dispatcher.
RETRIED_FROM = (BatchState.DISPATCHED, BatchState.CLOSED)


@dataclass
class _Sorting:
    """A batch's failed payouts as sorted so far: how many are retried, and why the rest are not."""

    failed: int = 0
    followed_up: int = 0  # a later payout already pays them again (an earlier retry, a build)
    not_owed: int = 0  # their payable is settled, by a later payout or a recovery
    in_open_batch: int = 0  # a batch not yet dispatched already pays them
    retried: int = 0

    def nothing_to_retry(self, batch_id: int) -> str:
        if not self.failed:
            return f"batch {batch_id} has no rejected or returned payouts: nothing to retry"
        reasons = (
            (self.followed_up, "already followed up"),
            (self.not_owed, "no longer owed anything"),
            (self.in_open_batch, "already in an open batch"),
        )
        why = ", ".join(f"{count} {reason}" for count, reason in reasons if count)
        return f"batch {batch_id} has nothing to retry: of its {self.failed} failed payouts, {why}"


def build_retry_batch(
    session: Session,
    batch_id: int,
    routing: Routing,
    cipher: PiiCipher,
    *,
    actor: Actor,
    hold_days: int,
    on_date: date | None = None,
    clock: Clock = utcnow,
) -> BuildResult:
    """Build the draft follow-up of batch `batch_id`'s failed payouts whose people are still owed.

    Usually one batch; two when someone's current instrument goes through another adapter.
    Waits for any other build (BUILD_LOCK), retry or monthly, until the caller's transaction ends.
    People held (the same rules as any build) are listed in the result, and no batch is built
    for nobody. Raises NotFound for an unknown batch, RuleViolation for a batch not yet
    dispatched or with nothing to retry. Safe to repeat: failures already followed up are
    left out, so a second run builds nothing and says why.
    """
    serialize_writers(session, BUILD_LOCK)  # one build at a time, of any kind: see building.py
    original = get_batch(session, batch_id, for_update=True)
    if original.state not in RETRIED_FROM:
        raise RuleViolation(
            f"batch {batch_id} is {original.state}: nothing can have failed before it is dispatched"
        )
    now = clock()
    builder = BatchBuilder(
        session, original.period, routing, cipher, now, on_date or local_date(now), hold_days
    )
    sorting = _Sorting()
    after = 0
    while failed := repository.failed_payouts(session, batch_id, after_id=after, limit=PAGE):
        after = failed[-1].id
        owed, retrying = _to_retry(session, failed, sorting)
        if retrying:
            builder.add_page(sorted(owed.items()), retrying)
    if not sorting.retried:
        raise RuleViolation(sorting.nothing_to_retry(batch_id))
    result = builder.finish(actor, clock)
    _audit(session, actor, batch_id, result=result, sorting=sorting, clock=clock)
    return result


def _to_retry(
    session: Session, failed: Sequence[Payout], sorting: _Sorting
) -> tuple[dict[int, int], dict[int, Payout]]:
    """({person: đồng owed}, {person: the failed payout followed up}) for one page of failures."""
    sorting.failed += len(failed)
    done = repository.followed_up(session, failed)
    open_failures = {p.beneficiary_id: p for p in failed if p.id not in done}
    owed = repository.owed_to(session, open_failures)
    busy = repository.people_in_open_batches(session, owed) if owed else set()
    retrying = {b: p for b, p in open_failures.items() if b in owed and b not in busy}
    sorting.followed_up += len(done)
    sorting.not_owed += len(open_failures) - len(owed)
    sorting.in_open_batch += len(busy)
    sorting.retried += len(retrying)
    return {b: owed[b] for b in retrying}, retrying


def _audit(
    session: Session, actor: Actor, batch_id: int, *, result: BuildResult, sorting: _Sorting, clock: Clock
) -> None:
    """On the batch retried: which follow-ups it got, and why the other failures were left out."""
    after = {
        "follow_up_batches": [batch.id for batch in result.batches],
        "payouts": sum(batch.payout_count for batch in result.batches),
        "total_vnd": sum(batch.total_vnd for batch in result.batches),
        "held": len(result.holds),
        "failed": sorting.failed,
        "already_followed_up": sorting.followed_up,
        "not_owed": sorting.not_owed,
        "in_open_batch": sorting.in_open_batch,
    }
    record_event(session, actor, "batch.retry_build", "batch", batch_id, after=after, clock=clock)
