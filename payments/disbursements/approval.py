"""Maker-checker: an officer builds and submits, approvers approve or reject.

Rules, each refused with a RuleViolation naming it: whoever built or submitted a batch never
approves it; one approver counts once; a batch above the configured threshold needs two
distinct approvers; an approval is bound to the manifest hash the approver saw, so any change
to the batch's contents voids it (the batch goes back to pending approval).
"""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from payments.audit.services import record_event
from payments.clock import Clock, utcnow
from payments.context import Actor
from payments.disbursements.manifest import ManifestLine, manifest_hash
from payments.disbursements.model import Approval, Batch, BatchHold, ManualHold, Payout
from payments.disbursements.snapshots import open_snapshot
from payments.disbursements.states import BatchState, check_batch_transition
from payments.errors import Conflict, NotFound, RuleViolation
from payments.registry.crypto import PiiCipher


def get_batch(session: Session, batch_id: int, *, for_update: bool = False) -> Batch:
    batch = session.get(Batch, batch_id, with_for_update=for_update or None)
    if batch is None:
        raise NotFound(f"batch {batch_id} does not exist")
    return batch


def approvals_needed(batch: Batch, threshold_vnd: int, *, total_vnd: int | None = None) -> int:
    """Two approvers above the threshold, one below. Deciding who may send money, pass
    `total_vnd` summed from the payout rows, whose amounts the manifest hash covers: the stored
    `batch.total_vnd` (used when it is not given, for display) is not covered by it."""
    total = batch.total_vnd if total_vnd is None else total_vnd
    return 2 if total > threshold_vnd else 1


def payouts_total(session: Session, batch_id: int) -> int:
    """The batch's total summed from its payout rows, in đồng."""
    query = select(func.coalesce(func.sum(Payout.amount_vnd), 0)).where(Payout.batch_id == batch_id)
    return int(session.scalar(query) or 0)


def valid_approvers(session: Session, batch: Batch) -> set[str]:
    """Distinct approvers whose approval is bound to the batch's current manifest."""
    rows = session.scalars(
        select(Approval.approver).where(
            Approval.batch_id == batch.id,
            Approval.decision == "approved",
            Approval.manifest_hash == batch.manifest_hash,
        )
    )
    return set(rows) - {batch.created_by, batch.submitted_by}


def submit_batch(session: Session, actor: Actor, batch_id: int, *, clock: Clock = utcnow) -> Batch:
    batch = get_batch(session, batch_id, for_update=True)
    if batch.payout_count == 0:
        raise RuleViolation("an empty batch cannot be submitted; cancel it instead")
    _move(session, actor, batch, BatchState.PENDING_APPROVAL, "batch.submit", clock=clock)
    batch.submitted_by, batch.submitted_at = actor.username, clock()
    return batch


def approve_batch(
    session: Session,
    actor: Actor,
    batch_id: int,
    *,
    manifest_seen: str,
    comment: str,
    threshold_vnd: int,
    clock: Clock = utcnow,
) -> Batch:
    """Record an approval of the manifest `manifest_seen`; the batch is approved once enough
    distinct approvers (not its maker) have approved this exact manifest."""
    batch = get_batch(session, batch_id, for_update=True)
    if batch.state != BatchState.PENDING_APPROVAL:
        raise RuleViolation(f"batch {batch_id} is {batch.state}, not pending approval")
    if actor.username in (batch.created_by, batch.submitted_by):
        raise RuleViolation("the officer who built or submitted a batch cannot approve it (maker-checker)")
    if manifest_seen != batch.manifest_hash:
        raise Conflict("the batch changed since you looked at it: its manifest hash differs; review it again")
    if actor.username in valid_approvers(session, batch):
        raise RuleViolation("you have already approved this batch; a second approver must be someone else")
    _record(session, batch, actor, "approved", comment=comment, clock=clock)
    needed = approvals_needed(batch, threshold_vnd, total_vnd=payouts_total(session, batch.id))
    approvals = len(valid_approvers(session, batch))
    if approvals >= needed:
        _move(session, actor, batch, BatchState.APPROVED, "batch.approve", clock=clock)
    else:  # on record now, not only once the last approver has approved
        counted = {"approvals": approvals, "needed": needed}
        after = {"manifest_hash": batch.manifest_hash, **counted, "comment": comment}
        record_event(session, actor, "batch.approval_recorded", "batch", batch.id, after=after, clock=clock)
    return batch


def reject_batch(
    session: Session, actor: Actor, batch_id: int, *, comment: str, clock: Clock = utcnow
) -> Batch:
    batch = get_batch(session, batch_id, for_update=True)
    if actor.username in (batch.created_by, batch.submitted_by):
        raise RuleViolation("the officer who built or submitted a batch cannot decide on it (maker-checker)")
    if not comment.strip():
        raise RuleViolation("a rejection needs a comment saying why")
    _record(session, batch, actor, "rejected", comment=comment, clock=clock)
    _move(session, actor, batch, BatchState.REJECTED, "batch.reject", clock=clock)
    return batch


def cancel_batch(
    session: Session, actor: Actor, batch_id: int, *, reason: str, clock: Clock = utcnow
) -> Batch:
    """Cancel a batch not yet dispatching; its people become payable in the next build."""
    batch = get_batch(session, batch_id, for_update=True)
    _move(session, actor, batch, BatchState.CANCELLED, "batch.cancel", clock=clock, reason=reason)
    return batch


def hold_payout(
    session: Session, actor: Actor, cipher: PiiCipher, payout_id: int, *, reason: str, clock: Clock = utcnow
) -> Batch:
    """Take one payout out of a batch before dispatch. The manifest changes, so approvals
    given so far no longer count: an approved batch goes back to pending approval."""
    payout = session.get(Payout, payout_id)
    if payout is None:
        raise NotFound(f"payout {payout_id} does not exist")
    batch = get_batch(session, payout.batch_id, for_update=True)
    if batch.state not in (BatchState.DRAFT, BatchState.PENDING_APPROVAL, BatchState.APPROVED):
        raise RuleViolation(f"batch {batch.id} is {batch.state}: payouts can no longer be taken out")
    session.add(BatchHold(
        period=batch.period, programme=batch.programme, adapter=batch.adapter,
        beneficiary_id=payout.beneficiary_id, amount_vnd=payout.amount_vnd,
        reasons=[{"code": "manual", "detail": reason}], created_at=clock(),
    ))  # fmt: skip
    session.delete(payout)
    session.flush()
    remaining = session.scalars(select(Payout).where(Payout.batch_id == batch.id)).all()
    before = batch.manifest_hash
    batch.manifest_hash = manifest_hash(
        ManifestLine(p.payout_key, p.amount_vnd, open_snapshot(cipher, p)) for p in remaining
    )
    batch.total_vnd, batch.payout_count = sum(p.amount_vnd for p in remaining), len(remaining)
    change = {"payout_key": payout.payout_key, "reason": reason, "manifest_before": before}
    record_event(session, actor, "batch.payout_held", "batch", batch.id, after=change, clock=clock)
    if batch.state == BatchState.APPROVED:
        batch.state = BatchState.PENDING_APPROVAL  # approvals bound to the old manifest are void
        record_event(session, actor, "batch.approval_voided", "batch", batch.id, after=change, clock=clock)
    return batch


def place_manual_hold(
    session: Session, actor: Actor, beneficiary_id: int, *, reason: str, clock: Clock = utcnow
) -> ManualHold:
    hold = ManualHold(
        beneficiary_id=beneficiary_id, reason=reason, placed_by=actor.username, placed_at=clock()
    )
    session.add(hold)
    session.flush()
    record_event(
        session, actor, "hold.place", "beneficiary", beneficiary_id, after={"reason": reason}, clock=clock
    )
    return hold


def release_manual_hold(session: Session, actor: Actor, hold_id: int, *, clock: Clock = utcnow) -> ManualHold:
    hold = session.get(ManualHold, hold_id)
    if hold is None:
        raise NotFound(f"hold {hold_id} does not exist")
    if hold.released_at is None:
        hold.released_by, hold.released_at = actor.username, clock()
        record_event(session, actor, "hold.release", "beneficiary", hold.beneficiary_id, clock=clock)
    return hold


def _record(
    session: Session, batch: Batch, actor: Actor, decision: str, *, comment: str, clock: Clock
) -> None:
    session.add(Approval(
        batch_id=batch.id, approver=actor.username, decision=decision, comment=comment,
        manifest_hash=batch.manifest_hash, created_at=clock(),
    ))  # fmt: skip
    session.flush()


def _move(
    session: Session,
    actor: Actor,
    batch: Batch,
    target: BatchState,
    action: str,
    *,
    clock: Clock,
    **extra: str,
) -> None:
    check_batch_transition(BatchState(batch.state), target)
    before = {"state": batch.state}
    batch.state, batch.state_changed_at = target, clock()
    after = {
        "state": target.value,
        "manifest_hash": batch.manifest_hash,
        "total_vnd": batch.total_vnd,
        **extra,
    }
    record_event(session, actor, action, "batch", batch.id, before=before, after=after, clock=clock)
