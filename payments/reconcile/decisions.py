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

from payments.reconcile.lines import ACCEPTED, REJECTED, RETURNED, SETTLED, Line

DUPLICATE = "DUPLICATE_CONFIRMATION"
STATUS_CONFLICT = "STATUS_CONFLICT"
RETURNED_AFTER_SETTLEMENT = "RETURNED_AFTER_SETTLEMENT"
LIVE = frozenset({"sending", "in_doubt", "accepted"})


@dataclass(frozen=True, slots=True)
class Decision:
    """`apply` is the status to hand to apply_outcome (None: nothing to post);
    `outcome` names what happened; `exception` is a class to raise, if any."""

    outcome: str
    apply: str | None = None
    exception: str | None = None


def decide(state: str, line: Line, *, booked_before: bool) -> Decision:
    """`booked_before`: a movement in the same direction was already matched to this payout."""
    if line.status == ACCEPTED:
        return Decision("accepted", apply=ACCEPTED) if state in ("sending", "in_doubt") else Decision("noted")
    if line.status == SETTLED:
        return _settled(state, line, booked_before)
    if line.status == REJECTED:
        return _rejected(state)
    if line.status == RETURNED:
        return _returned(state, line, booked_before)
    return Decision("noted")


def _settled(state: str, line: Line, booked_before: bool) -> Decision:
    if state in LIVE:
        return Decision("settled", apply=SETTLED)
    if state in ("settled", "returned"):
        duplicate = line.movement and booked_before
        return Decision("duplicate", exception=DUPLICATE) if duplicate else Decision("confirmed")
    return Decision("conflict", exception=STATUS_CONFLICT)


def _rejected(state: str) -> Decision:
    if state in LIVE:
        return Decision("rejected", apply=REJECTED)
    if state in ("rejected", "returned"):
        return Decision("confirmed")
    return Decision("conflict", exception=STATUS_CONFLICT)


def _returned(state: str, line: Line, booked_before: bool) -> Decision:
    if state == "settled":
        return Decision("returned", apply=RETURNED, exception=RETURNED_AFTER_SETTLEMENT)
    if state in LIVE:
        return Decision("returned", apply=RETURNED)
    if state == "returned":
        duplicate = line.movement and booked_before
        return Decision("duplicate", exception=DUPLICATE) if duplicate else Decision("confirmed")
    return Decision("conflict", exception=STATUS_CONFLICT)
