"""What a matched confirmation does to its payout. Pure: payout state and line in, a decision out.

The ledger entry itself is made by `disbursements.outcomes.apply_outcome`, so a payout reaches
the same state with the same entry whichever way the news arrives. Here we decide only
whether to apply, to note a confirmation, or to raise an exception:

- a later in-flight status (ACSP after ACSC) changes nothing;
- a second booking of the same money for one payout is a DUPLICATE_CONFIRMATION;
- money back for a settled payout returns it and raises RETURNED_AFTER_SETTLEMENT;
- news that contradicts a final state (settled reported rejected, paid after a rejection,
  paid before it was ever sent) is a STATUS_CONFLICT, never guessed at.
"""

from dataclasses import dataclass

from payments.exception_queue.raising import STATUS_CONFLICT
from payments.reconcile.lines import ACCEPTED, REJECTED, RETURNED, SETTLED, Line

DUPLICATE = "DUPLICATE_CONFIRMATION"
RETURNED_AFTER_SETTLEMENT = "RETURNED_AFTER_SETTLEMENT"
LIVE = frozenset({"sending", "in_doubt", "accepted"})


@dataclass(frozen=True, slots=True)
class Decision:
    """`apply` is the status to hand to apply_outcome (None: nothing to post);
    `outcome` names what happened; `exception` is a class to raise, if any."""

    outcome: str
    apply: str | None = None
    exception: str | None = None


# The decisions there are, made once: values, and a statement decides a million lines.
_ACCEPT = Decision("accepted", apply=ACCEPTED)
_NOTED = Decision("noted")
_CONFIRMED = Decision("confirmed")
_DUPLICATE = Decision("duplicate", exception=DUPLICATE)
_CONFLICT = Decision("conflict", exception=STATUS_CONFLICT)
_SETTLE = Decision("settled", apply=SETTLED)
_REJECT = Decision("rejected", apply=REJECTED)
_RETURN = Decision("returned", apply=RETURNED)
_RETURN_AFTER_SETTLEMENT = Decision("returned", apply=RETURNED, exception=RETURNED_AFTER_SETTLEMENT)


def decide(state: str, line: Line, *, booked_before: bool) -> Decision:
    """`booked_before`: a movement in the same direction was already matched to this payout."""
    if line.status == SETTLED:
        return _settled(state, line, booked_before)
    if line.status == ACCEPTED:
        return _ACCEPT if state in ("sending", "in_doubt") else _NOTED
    if line.status == REJECTED:
        return _rejected(state)
    if line.status == RETURNED:
        return _returned(state, line, booked_before)
    return _NOTED


def _settled(state: str, line: Line, booked_before: bool) -> Decision:
    if state in LIVE:
        return _SETTLE
    if state in ("settled", "returned"):
        return _DUPLICATE if line.movement and booked_before else _CONFIRMED
    return _CONFLICT


def _rejected(state: str) -> Decision:
    if state in LIVE:
        return _REJECT
    if state in ("rejected", "returned"):
        return _CONFIRMED
    return _CONFLICT


def _returned(state: str, line: Line, booked_before: bool) -> Decision:
    if state == "settled":
        return _RETURN_AFTER_SETTLEMENT
    if state in LIVE:
        return _RETURN
    if state == "returned":
        return _DUPLICATE if line.movement and booked_before else _CONFIRMED
    return _CONFLICT
