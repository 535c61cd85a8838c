"""A provider's callback can reach us (through an API worker) before the dispatcher records the
answers to its send: the state the callback gave stands, the dispatch goes on, and an answer that
contradicts it is kept for finance staff in the audit log."""

import pytest

from payments.adapters.sandbox.script import Outcome
from payments.adapters.vocabulary import PayoutStatus, ReasonCode
from payments.audit.repository import search_events
from payments.disbursements.repository import payouts_in
from payments.ledger import accounts
from payments.ledger.draft import EntryKind
from payments.ledger.repository import entries_for_payout
from payments.ledger.services import balance
from payments.ledger.verify import verify_ledger
from tests.integration.disbursements.conftest import CallbacksFirst, approve


@pytest.fixture
def approved(session, owed_people, build):
    def make(count: int):
        people = owed_people(count)
        (batch,) = build().batches
        approve(session, batch)
        return batch, people

    return make


def by_person(session, batch_id: int):
    session.expire_all()
    return {p.beneficiary_id: p for p in payouts_in(session, batch_id)}


def test_a_payout_settled_by_a_callback_before_its_answer_is_recorded_stays_settled(
    session, session_factory, approved, dispatcher, sandbox
):
    batch, people = approved(2)
    sandbox.script_creditor(people[0][1], Outcome("unknown"))  # credited; only the answer is lost

    result = dispatcher(adapter=CallbacksFirst(sandbox, session_factory)).dispatch(batch.id)

    assert result.state == "dispatched"
    assert result.outcomes == {"unknown": 1, "settled": 1}
    payouts = by_person(session, batch.id)
    assert {p.state for p in payouts.values()} == {"settled"}
    assert sandbox.credits() == {p.payout_key: 1 for p in payouts.values()}
    for payout in payouts.values():
        kinds = [e.kind for e in entries_for_payout(session, payout.payout_key)]
        assert kinds == [EntryKind.PAYOUT_INITIATED, EntryKind.PAYOUT_SETTLED]
    assert balance(session, accounts.in_flight("bank")) == 0
    assert balance(session, accounts.settlement("bank")) == -1_500_000
    assert search_events(session, action="payout.answer_contradicted") == []
    assert verify_ledger(session, []).ok


def test_an_answer_contradicting_a_settlement_already_received_is_audited_and_the_rest_recorded(
    session, session_factory, approved, dispatcher, sandbox
):
    batch, people = approved(3)  # chunks of two
    settled_first, accepted, later = (person for person, _account in people)
    sandbox.script_creditor(people[1][1], Outcome("accept"))  # no callback until it settles
    keys = {p.beneficiary_id: p.payout_key for p in payouts_in(session, batch.id)}
    adapter = CallbacksFirst(
        sandbox, session_factory, says={keys[settled_first]: (PayoutStatus.REJECTED, ReasonCode.AC04)}
    )

    result = dispatcher(adapter=adapter).dispatch(batch.id)

    assert result.state == "dispatched"
    payouts = by_person(session, batch.id)
    assert {b: p.state for b, p in payouts.items()} == {
        settled_first: "settled",  # the callback's settlement stands
        accepted: "accepted",  # the answers beside the contradiction are recorded
        later: "settled",  # and the dispatch went on to the next chunk
    }
    entries = entries_for_payout(session, keys[settled_first])
    assert [e.kind for e in entries] == [EntryKind.PAYOUT_INITIATED, EntryKind.PAYOUT_SETTLED]
    assert balance(session, accounts.payable(settled_first)) == 0  # not owed again: it was paid
    assert balance(session, accounts.in_flight("bank")) == -750_000  # the accepted one
    (event,) = search_events(session, action="payout.answer_contradicted")
    assert event.target_id == str(payouts[settled_first].id)
    assert event.summary["before"] == {"state": "settled"}
    assert event.summary["after"]["answer"]["status"] == "rejected"
    assert event.summary["after"]["kept"] == "settled"
    assert verify_ledger(session, []).ok
