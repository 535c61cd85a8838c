"""What a provider's answer means for a payout: its new state and the ledger entry, if any.

One place decides this for send results, status queries and (later) callbacks, so a payout
reaches the same state with the same entry whichever way the news arrives. Idempotent: the
entries are keyed by payout key, and an answer that changes nothing is ignored.
"""

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Protocol

from payments.adapters.vocabulary import PayoutStatus
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


class PayoutAmount(Protocol):
    """What initiating a payout reads of it: a Payout, or a row with these columns."""

    @property
    def payout_key(self) -> str: ...
    @property
    def beneficiary_id(self) -> int: ...
    @property
    def amount_vnd(self) -> int: ...


class PayoutFacts(PayoutAmount, Protocol):
    """What deciding an outcome reads of a payout: a Payout, or a row with these columns."""

    @property
    def state(self) -> str: ...
    @property
    def provider_reference(self) -> str | None: ...


@dataclass(frozen=True)
class Move:
    """Where an answer takes a payout: its new state and columns, and the ledger entry, if any."""

    state: PayoutState
    reason_code: str | None
    reason_text: str | None
    provider_reference: str | None
    entry: EntryDraft | None


@cache
def _adapter_accounts(adapter: str) -> tuple[str, str]:
    """(in-flight, settlement) account codes of an adapter: built and checked once per name."""
    return accounts.in_flight(adapter), accounts.settlement(adapter)


def initiation_key(payout_key: str) -> str:
    """The idempotency key of a payout's initiation entry: one per payout, however often sent."""
    return f"initiate:{payout_key}"


def initiation_draft(payout: PayoutAmount, adapter: str, day: date) -> EntryDraft:
    """Money leaves the person's payable for the adapter's in-flight account, effective `day`.

    A payout queued again (nothing was sent) keeps its initiation entry, and is drafted again
    when re-claimed: pass the effective date of the entry already posted, so that the draft is
    the same content under the same key (the ledger skips it) rather than a Conflict."""
    return EntryDraft(
        idempotency_key=initiation_key(payout.payout_key),
        kind=EntryKind.PAYOUT_INITIATED,
        effective_date=day,
        postings=(
            (accounts.payable(payout.beneficiary_id), payout.amount_vnd),
            (_adapter_accounts(adapter)[0], -payout.amount_vnd),
        ),
        payout_ref=payout.payout_key,
    )


def outcome_move(
    payout: PayoutFacts,
    adapter: str,
    status: PayoutStatus,
    *,
    reason: str | None,
    reason_text: str = "",
    reference: str | None = None,
    day: date,
) -> Move | None:
    """Where `status` takes `payout`, with the ledger entry that goes with it; None when the
    answer changes nothing. Reads the payout, changes nothing: see apply_outcome.

    Raises RuleViolation for an impossible move (a settled payout reported queued, say),
    which the caller turns into an exception for finance staff rather than guessing.
    """
    target = NEW_STATE[status]
    if target == payout.state:
        return None
    current = PayoutState(payout.state)
    check_payout_transition(current, target)
    in_flight, settlement = _adapter_accounts(adapter)
    # Money returned after settlement comes back out of the settlement account, not in-flight.
    debit = settlement if current == PayoutState.SETTLED else in_flight
    entry = None
    if target == PayoutState.SETTLED:
        entry = _entry(
            payout, "settle", EntryKind.PAYOUT_SETTLED, debit=debit, credit=settlement, reason=reason, day=day
        )
    elif target in (PayoutState.REJECTED, PayoutState.RETURNED):
        payable = accounts.payable(payout.beneficiary_id)
        entry = _entry(
            payout, "return", EntryKind.PAYOUT_RETURNED, debit=debit, credit=payable, reason=reason, day=day
        )
    return Move(target, reason, reason_text[:300] or None, reference or payout.provider_reference, entry)


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
    move = outcome_move(
        payout, adapter, status, reason=reason, reason_text=reason_text, reference=reference, day=day
    )
    if move is None:
        return None
    payout.state, payout.updated_at = move.state, clock()
    payout.reason_code, payout.reason_text = move.reason_code, move.reason_text
    payout.provider_reference = move.provider_reference
    return move.entry


def _entry(
    payout: PayoutAmount, verb: str, kind: str, *, debit: str, credit: str, reason: str | None, day: date
) -> EntryDraft:
    return EntryDraft(
        idempotency_key=f"{verb}:{payout.payout_key}",
        kind=kind,
        effective_date=day,
        postings=((debit, payout.amount_vnd), (credit, -payout.amount_vnd)),
        payout_ref=payout.payout_key,
        memo={"reason": reason} if reason else None,
    )
