"""Batch and payout state machines (ARCHITECTURE.md, "States"). Pure: no session, no I/O.

A transition not listed here is a bug or an attack, never a judgement call, so it raises.
"""

from enum import StrEnum

from payments.errors import RuleViolation


class BatchState(StrEnum):
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    DISPATCHING = "dispatching"
    DISPATCHED = "dispatched"
    CLOSED = "closed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class PayoutState(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    ACCEPTED = "accepted"
    SETTLED = "settled"
    REJECTED = "rejected"
    RETURNED = "returned"
    IN_DOUBT = "in_doubt"


BATCH_TRANSITIONS: dict[BatchState, frozenset[BatchState]] = {
    BatchState.DRAFT: frozenset({BatchState.PENDING_APPROVAL, BatchState.CANCELLED}),
    BatchState.PENDING_APPROVAL: frozenset({BatchState.APPROVED, BatchState.REJECTED, BatchState.CANCELLED}),
    BatchState.APPROVED: frozenset({BatchState.DISPATCHING, BatchState.CANCELLED}),
    BatchState.DISPATCHING: frozenset({BatchState.DISPATCHED}),
    BatchState.DISPATCHED: frozenset({BatchState.CLOSED}),
    # Final: approvals given before a rejection are bound to the same manifest and would count
    # again if the batch came back; what a rejected batch would have paid is built anew.
    BatchState.REJECTED: frozenset(),
    BatchState.CLOSED: frozenset(),
    BatchState.CANCELLED: frozenset(),
}

PAYOUT_TRANSITIONS: dict[PayoutState, frozenset[PayoutState]] = {
    PayoutState.QUEUED: frozenset({PayoutState.SENDING}),
    # Back to queued only when the provider guarantees nothing was sent (unreachable, or a
    # status query finds no trace of the key); the resend then uses the same key.
    PayoutState.SENDING: frozenset(
        {
            PayoutState.ACCEPTED,
            PayoutState.SETTLED,
            PayoutState.REJECTED,
            PayoutState.RETURNED,
            PayoutState.IN_DOUBT,
            PayoutState.QUEUED,
        }
    ),
    # An in-doubt payout is resolved by a status query with the same key, never a blind resend;
    # "queued again" only when the provider says it never received the key.
    PayoutState.IN_DOUBT: frozenset(
        {
            PayoutState.ACCEPTED,
            PayoutState.SETTLED,
            PayoutState.REJECTED,
            PayoutState.RETURNED,
            PayoutState.QUEUED,
        }
    ),
    PayoutState.ACCEPTED: frozenset({PayoutState.SETTLED, PayoutState.REJECTED, PayoutState.RETURNED}),
    PayoutState.SETTLED: frozenset({PayoutState.RETURNED}),
    PayoutState.REJECTED: frozenset(),
    PayoutState.RETURNED: frozenset(),
}

# Money is with the provider (or may be) in these states: the ledger's in_flight holds it.
IN_FLIGHT_STATES = frozenset({PayoutState.SENDING, PayoutState.ACCEPTED, PayoutState.IN_DOUBT})
FINAL_STATES = frozenset({PayoutState.SETTLED, PayoutState.REJECTED, PayoutState.RETURNED})
# A dispatcher's answer is recorded only for a payout still waiting for one; other news (a
# callback, a statement) that moved it on meanwhile stands (see `contradicts`).
AWAITING_ANSWER = frozenset({PayoutState.SENDING, PayoutState.IN_DOUBT})

# The reason code of a payout refused at dispatch, never sent: the ledger no longer owes the
# person its amount (a recovery since the batch was built). Not a provider's news, so not a move
# in PAYOUT_TRANSITIONS (a provider saying "rejected" of a queued payout is refused): the
# dispatcher moves such a payout from queued to rejected itself, with no ledger entry, as no money
# left the person's payable. Like any rejected payout it is followed up by a retry batch, which
# pays what is owed by then; it is not a failure of the person's instrument.
NOT_OWED = "NOT_OWED"
# The reason code of a payout refused at dispatch because the person has a failed payout that a
# provider says it paid after all, not yet resolved by finance: sending more could pay twice.
# Moved, like NOT_OWED, from queued to rejected by the dispatcher itself, with no ledger entry.
DISPUTED = "DISPUTED"


def check_batch_transition(current: BatchState, target: BatchState) -> None:
    if target not in BATCH_TRANSITIONS[current]:
        raise RuleViolation(f"a batch in state {current} cannot become {target}", state=current.value)


def check_payout_transition(current: PayoutState, target: PayoutState) -> None:
    if target not in PAYOUT_TRANSITIONS[current]:
        raise RuleViolation(f"a payout in state {current} cannot become {target}", state=current.value)


def contradicts(current: PayoutState, reported: PayoutState) -> bool:
    """Whether a provider's late answer that a payout is `reported` cannot be squared with the
    state `current` that other news already gave it: `current` cannot follow from `reported`
    (settled against rejected), or the provider says it never received (queued) a payout other
    news has moved on. An in-doubt answer says nothing; an earlier stage (accepted, for a payout
    settled since) is old news, not a contradiction."""
    if reported in (current, PayoutState.IN_DOUBT):
        return False
    if reported == PayoutState.QUEUED:
        return True
    return not _leads_to(reported, current)


def _leads_to(start: PayoutState, goal: PayoutState) -> bool:
    """Whether `goal` can follow `start` through the payout transitions, never back to queued."""
    seen, pending = {start}, [start]
    while pending:
        for state in PAYOUT_TRANSITIONS[pending.pop()] - {PayoutState.QUEUED}:
            if state == goal:
                return True
            if state not in seen:
                seen.add(state)
                pending.append(state)
    return False
