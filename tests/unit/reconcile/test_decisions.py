"""What a matched confirmation does to a payout in each state."""

import pytest

from payments.reconcile.decisions import decide
from payments.reconcile.lines import Line


def line(status: str, movement: bool = True, direction: str | None = "DBIT") -> Line:
    return Line(position=1, movement=movement, status=status, amount_vnd=1, direction=direction)


@pytest.mark.parametrize(
    ("state", "status", "booked_before", "expected"),
    [
        ("accepted", "settled", False, ("settled", "settled", None)),
        ("in_doubt", "settled", False, ("settled", "settled", None)),
        ("settled", "settled", False, ("confirmed", None, None)),
        ("settled", "settled", True, ("duplicate", None, "DUPLICATE_CONFIRMATION")),
        ("rejected", "settled", False, ("conflict", None, "STATUS_CONFLICT")),
        ("queued", "settled", False, ("conflict", None, "STATUS_CONFLICT")),
        ("accepted", "rejected", False, ("rejected", "rejected", None)),
        ("settled", "rejected", False, ("conflict", None, "STATUS_CONFLICT")),
        ("rejected", "rejected", False, ("confirmed", None, None)),
        ("settled", "returned", False, ("returned", "returned", "RETURNED_AFTER_SETTLEMENT")),
        ("accepted", "returned", False, ("returned", "returned", None)),
        ("returned", "returned", True, ("duplicate", None, "DUPLICATE_CONFIRMATION")),
        ("rejected", "returned", False, ("conflict", None, "STATUS_CONFLICT")),
        ("sending", "accepted", False, ("accepted", "accepted", None)),
        ("settled", "accepted", False, ("noted", None, None)),
        ("accepted", "unknown", False, ("noted", None, None)),
    ],
)
def test_each_state_and_status(state, status, booked_before, expected):
    decision = decide(state, line(status), booked_before=booked_before)
    assert (decision.outcome, decision.apply, decision.exception) == expected


def test_a_status_report_repeating_a_settlement_is_never_a_duplicate():
    decision = decide("settled", line("settled", movement=False, direction=None), booked_before=True)
    assert decision.outcome == "confirmed"
