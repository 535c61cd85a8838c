"""What a provider's answer means for a payout: its new state and the ledger entry, if any.

One place decides this for send results, status queries and (later) callbacks, so a payout
reaches the same state with the same entry whichever way the news arrives. Idempotent: the
entries are keyed by payout key, and an answer that changes nothing is ignored.
"""

from datetime import date

from payments.adapters.base import PayoutStatus
from payments.clock import Clock
from payments.disbursements.model import Payout
from payments.disbursements.states import PayoutState, check_payout_transition
from payments.ledger import accounts
from payments.ledger.draft import EntryDraft, EntryKind

NEW_STATE = {
    PayoutStatus.ACCEPTED: PayoutState.ACCEPTED,
    PayoutStatus.SETTLED: PayoutState.SETTLED,
    PayoutStatus.REJECTED: PayoutState.REJECTED,
    PayoutStatus.RETURNED: PayoutState.RETURNED,
    PayoutStatus.UNKNOWN: PayoutState.IN_DOUBT,
    PayoutStatus.NOT_FOUND: PayoutState.QUEUED,
}


def initiation_draft(payout: Payout, adapter: str, day: date) -> EntryDraft:
    """Money leaves the person's payable for the adapter's in-flight account."""
    return EntryDraft(
        idempotency_key=f"initiate:{payout.payout_key}",
        kind=EntryKind.PAYOUT_INITIATED,
        effective_date=day,
        postings=(
            (accounts.payable(payout.beneficiary_id), payout.amount_vnd),
            (accounts.in_flight(adapter), -payout.amount_vnd),
        ),
        payout_ref=payout.payout_key,
    )


def apply_outcome(
    payout: Payout,
    adapter: str,
    status: PayoutStatus,
    *,
    reason: str | None,
    reason_text: str = "",
    reference: str | None = None,
    day: date,
    clock: Clock,
) -> EntryDraft | None:
    """Move `payout` to the state `status` means; return the ledger entry that goes with it.

    Raises RuleViolation for an impossible move (a settled payout reported queued, say),
    which the caller turns into an exception for finance staff rather than guessing.
    """
    target = NEW_STATE[status]
    if target == payout.state:
        return None
    check_payout_transition(PayoutState(payout.state), target)
    # Money returned after settlement comes back out of the settlement account, not in-flight.
    debit = (
        accounts.settlement(adapter) if payout.state == PayoutState.SETTLED else accounts.in_flight(adapter)
    )
    payout.state, payout.updated_at = target, clock()
    payout.reason_code, payout.reason_text = reason, reason_text[:300] or None
    payout.provider_reference = reference or payout.provider_reference
    if target == PayoutState.SETTLED:
        return _entry(
            payout,
            "settle",
            EntryKind.PAYOUT_SETTLED,
            debit=debit,
            credit=accounts.settlement(adapter),
            day=day,
        )
    if target in (PayoutState.REJECTED, PayoutState.RETURNED):
        payable = accounts.payable(payout.beneficiary_id)
        return _entry(payout, "return", EntryKind.PAYOUT_RETURNED, debit=debit, credit=payable, day=day)
    return None


def _entry(payout: Payout, verb: str, kind: str, *, debit: str, credit: str, day: date) -> EntryDraft:
    return EntryDraft(
        idempotency_key=f"{verb}:{payout.payout_key}",
        kind=kind,
        effective_date=day,
        postings=((debit, payout.amount_vnd), (credit, -payout.amount_vnd)),
        payout_ref=payout.payout_key,
        memo={"reason": payout.reason_code} if payout.reason_code else None,
    )
