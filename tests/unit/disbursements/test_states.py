import itertools

import pytest

from payments.disbursements.states import (
    BatchState,
    PayoutState,
    check_batch_transition,
    check_payout_transition,
)
from payments.errors import RuleViolation


def test_a_batch_goes_from_draft_to_closed_through_approval():
    path = [
        BatchState.DRAFT,
        BatchState.PENDING_APPROVAL,
        BatchState.APPROVED,
        BatchState.DISPATCHING,
        BatchState.DISPATCHED,
        BatchState.CLOSED,
    ]
    for current, target in itertools.pairwise(path):
        check_batch_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (BatchState.DRAFT, BatchState.APPROVED),
        (BatchState.PENDING_APPROVAL, BatchState.DISPATCHING),
        (BatchState.DISPATCHING, BatchState.CANCELLED),
        (BatchState.CLOSED, BatchState.DRAFT),
    ],
)
def test_a_batch_cannot_skip_approval_or_be_cancelled_mid_dispatch(current, target):
    with pytest.raises(RuleViolation, match="cannot become"):
        check_batch_transition(current, target)


def test_an_in_doubt_payout_is_resolved_not_resent_blindly():
    check_payout_transition(PayoutState.SENDING, PayoutState.IN_DOUBT)
    for resolved in (PayoutState.ACCEPTED, PayoutState.SETTLED, PayoutState.REJECTED, PayoutState.QUEUED):
        check_payout_transition(PayoutState.IN_DOUBT, resolved)
    with pytest.raises(RuleViolation):
        check_payout_transition(PayoutState.IN_DOUBT, PayoutState.SENDING)


def test_a_settled_payout_is_never_queued_again():
    for settled_or_later in (
        PayoutState.SETTLED,
        PayoutState.RETURNED,
        PayoutState.REJECTED,
        PayoutState.ACCEPTED,
    ):
        with pytest.raises(RuleViolation):
            check_payout_transition(settled_or_later, PayoutState.QUEUED)


@pytest.mark.parametrize("final", [PayoutState.REJECTED, PayoutState.RETURNED])
def test_final_payout_states_go_nowhere(final):
    for target in PayoutState:
        with pytest.raises(RuleViolation):
            check_payout_transition(final, target)


@pytest.mark.parametrize("target", list(BatchState))
def test_a_rejected_batch_goes_nowhere_so_no_approval_given_before_counts_again(target):
    with pytest.raises(RuleViolation, match="cannot become"):
        check_batch_transition(BatchState.REJECTED, target)
