"""Dispatch through the sandbox: outcomes, ledger entries, in-doubt resolution, refusals."""

import dataclasses

import pytest
from sqlalchemy import update

from payments.adapters.sandbox.script import Outcome
from payments.adapters.vocabulary import PayoutStatus, ReasonCode
from payments.disbursements.approval import approve_batch, submit_batch
from payments.disbursements.dispatch import DispatchResult
from payments.disbursements.model import Payout
from payments.disbursements.repository import payouts_in
from payments.errors import Conflict, RuleViolation
from payments.ledger import accounts
from payments.ledger.services import balance
from payments.ledger.verify import verify_ledger
from tests.integration.disbursements.conftest import APPROVER, OFFICER, THRESHOLD


@pytest.fixture
def approved(session, owed_people, build):
    def make(count: int = 3):
        people = owed_people(count)
        (batch,) = build().batches
        submit_batch(session, OFFICER, batch.id)
        approve_batch(
            session,
            APPROVER,
            batch.id,
            manifest_seen=batch.manifest_hash,
            comment="ok",
            threshold_vnd=THRESHOLD,
        )
        session.commit()
        return batch, people

    return make


def states(session, batch_id: int) -> dict[int, str]:
    session.expire_all()
    return {p.beneficiary_id: p.state for p in payouts_in(session, batch_id)}


def test_an_approved_batch_is_paid_once_and_the_ledger_follows(session, approved, dispatcher, sandbox):
    batch, people = approved(3)
    result = dispatcher().dispatch(batch.id)
    assert result.state == "dispatched"
    assert set(states(session, batch.id).values()) == {"settled"}
    assert sandbox.credits() == {p.payout_key: 1 for p in payouts_in(session, batch.id)}
    assert balance(session, accounts.in_flight("bank")) == 0
    assert balance(session, accounts.settlement("bank")) == -2_250_000
    assert all(balance(session, accounts.payable(b)) == 0 for b, _ in people)
    assert verify_ledger(session, []).ok


def test_dispatching_again_sends_nothing_more(session, approved, dispatcher, sandbox):
    batch, _ = approved(2)
    dispatcher().dispatch(batch.id)
    with pytest.raises(RuleViolation, match="only an approved batch"):
        dispatcher().dispatch(batch.id)
    assert all(n == 1 for n in sandbox.credits().values())


def test_a_rejected_payout_returns_its_money_to_payable(session, approved, dispatcher, sandbox):
    batch, people = approved(2)
    rejected_account = people[1][1]
    sandbox.script_creditor(rejected_account, Outcome("reject", ReasonCode.AC04))
    dispatcher().dispatch(batch.id)
    by_person = {p.beneficiary_id: p for p in payouts_in(session, batch.id)}
    assert by_person[people[1][0]].state == "rejected"
    assert by_person[people[1][0]].reason_code == "AC04"
    assert -balance(session, accounts.payable(people[1][0])) == 750_000  # owed again
    assert balance(session, accounts.in_flight("bank")) == 0


def test_an_unknown_answer_leaves_the_payout_in_doubt_until_a_status_query_resolves_it(
    session, approved, dispatcher, sandbox
):
    batch, people = approved(2)
    sandbox.script_creditor(people[0][1], Outcome("unknown"))
    result = dispatcher().dispatch(batch.id)
    assert result.state == "dispatching"  # not done while a payout is in doubt
    doubtful = [p for p in payouts_in(session, batch.id) if p.state == "in_doubt"]
    assert len(doubtful) == 1
    assert balance(session, accounts.in_flight("bank")) == -750_000
    again = dispatcher().dispatch(batch.id)  # asks the provider; never resends blindly
    assert again.sent == 0
    assert again.state == "dispatched"
    assert sandbox.credits()[doubtful[0].payout_key] == 1
    assert balance(session, accounts.in_flight("bank")) == 0


def test_the_dispatcher_refuses_a_batch_whose_payouts_changed_after_approval(session, approved, dispatcher):
    batch, _ = approved(2)
    session.execute(update(Payout).where(Payout.batch_id == batch.id).values(amount_vnd=9_999_999))
    session.commit()
    with pytest.raises(RuleViolation, match="no longer match the manifest"):
        dispatcher().dispatch(batch.id)


@pytest.mark.parametrize("change", ["amount", "account"])
def test_a_payout_changed_after_dispatch_began_is_refused_before_anything_is_sent(
    session, approved, dispatcher, sandbox, change
):
    batch, _ = approved(2)
    started = dispatcher()
    approved_payouts = started._start(batch.id)  # the manifest matched when dispatch began
    first, second = payouts_in(session, batch.id)
    if change == "amount":
        first.amount_vnd += 1_000_000
    else:  # the second person's account put into the first payout
        first.instrument_sealed = second.instrument_sealed
    session.commit()
    with pytest.raises(RuleViolation, match="no longer match the manifest"):
        started._record_and_claim(batch.id, [], approved_payouts, DispatchResult(batch.id))
    assert set(states(session, batch.id).values()) == {"queued"}
    assert sandbox.credits() == {}
    assert balance(session, accounts.in_flight("bank")) == 0  # no initiation entry either


def test_answers_already_received_are_kept_when_the_next_chunk_is_refused(
    session, approved, dispatcher, sandbox
):
    batch, _ = approved(3)  # chunks of two
    started = dispatcher()
    approved_payouts = started._start(batch.id)
    result = DispatchResult(batch.id)
    first_chunk = started._record_and_claim(batch.id, [], approved_payouts, result)
    answers = started._send(first_chunk, result)  # the money has left
    sent = [instruction.payout_key for instruction in first_chunk]
    session.execute(update(Payout).where(Payout.payout_key.not_in(sent)).values(amount_vnd=9_999_999))
    session.commit()
    with pytest.raises(RuleViolation, match="no longer match the manifest"):
        started._record_and_claim(batch.id, answers, approved_payouts, result)
    assert sorted(states(session, batch.id).values()) == ["queued", "settled", "settled"]
    assert balance(session, accounts.in_flight("bank")) == 0
    assert balance(session, accounts.settlement("bank")) == -1_500_000


def test_a_batch_not_yet_approved_is_not_dispatched(session, owed_people, build, dispatcher):
    owed_people(1)
    (batch,) = build().batches
    with pytest.raises(RuleViolation, match="only an approved batch"):
        dispatcher().dispatch(batch.id)


def test_a_second_dispatcher_is_refused_while_the_first_holds_the_lease(session, approved, dispatcher):
    batch, _ = approved(1)
    first = dispatcher("first")
    first._start(batch.id)  # the first dispatcher holds the lease and has not finished
    with pytest.raises(Conflict, match="being dispatched by first"):
        dispatcher("second").dispatch(batch.id)


def test_a_provider_that_cannot_be_reached_gets_the_same_keys_later(session, approved, dispatcher, sandbox):
    batch, _ = approved(2)

    class Unreachable:
        name, capabilities = "bank", sandbox.capabilities

        def send(self, chunk):
            from payments.adapters.errors import AdapterUnavailable

            raise AdapterUnavailable("connection refused")

        def status(self, key):
            return sandbox.status(key)

    result = dispatcher(adapter=Unreachable()).dispatch(batch.id)
    assert "unreachable" in result.stopped_because
    assert set(states(session, batch.id).values()) == {"queued"}
    assert sandbox.credits() == {}
    assert dispatcher().dispatch(batch.id).state == "dispatched"
    assert set(sandbox.credits().values()) == {1}
    assert all(p.send_attempts == 2 for p in payouts_in(session, batch.id))


def test_status_not_found_after_a_crash_means_resend_with_the_same_key(
    session, approved, dispatcher, sandbox
):
    batch, _ = approved(1)
    crashed = dispatcher("crashed")
    approved_payouts = crashed._start(batch.id)
    # Committed 'sending' and the initiation entry, then "died".
    assert crashed._record_and_claim(batch.id, [], approved_payouts, DispatchResult(batch.id))
    session.execute(update(Payout).values(state="sending"))  # as the crash left it
    from payments.disbursements.model import Batch

    session.execute(update(Batch).values(dispatch_expires_at=None, dispatch_holder=None))
    session.commit()
    assert sandbox.status(payouts_in(session, batch.id)[0].payout_key).status == PayoutStatus.NOT_FOUND
    assert dispatcher().dispatch(batch.id).state == "dispatched"
    assert list(sandbox.credits().values()) == [1]
    assert balance(session, accounts.in_flight("bank")) == 0


class Misanswering:
    """A provider whose answers do not line up with the payouts sent: `mix` rearranges them."""

    def __init__(self, sandbox, mix) -> None:
        self.sandbox, self.mix = sandbox, mix
        self.name, self.capabilities = sandbox.name, sandbox.capabilities

    def send(self, chunk):
        return self.mix(self.sandbox.send(chunk))

    def status(self, key):
        return self.sandbox.status(key)


def _swapped_keys(results):
    keys = [r.payout_key for r in results][::-1]
    return [dataclasses.replace(r, payout_key=key) for r, key in zip(results, keys, strict=True)]


@pytest.mark.parametrize(
    "mix",
    [_swapped_keys, lambda results: results[:1], lambda results: [*results, results[0]]],
    ids=["keys-swapped", "one-missing", "one-twice"],
)
def test_answers_that_do_not_match_the_payouts_sent_leave_them_in_doubt_for_a_status_query(
    session, approved, dispatcher, sandbox, mix
):
    batch, people = approved(2)  # one chunk of two
    sandbox.script_creditor(people[1][1], Outcome("reject", ReasonCode.AC04))

    first = dispatcher(adapter=Misanswering(sandbox, mix)).dispatch(batch.id)

    assert first.state == "dispatching"
    assert set(states(session, batch.id).values()) == {"in_doubt"}
    again = dispatcher().dispatch(batch.id)  # a status query per key decides
    assert (again.sent, again.state) == (0, "dispatched")
    assert states(session, batch.id) == {people[0][0]: "settled", people[1][0]: "rejected"}
    assert -balance(session, accounts.payable(people[0][0])) == 0  # paid: not owed again
    assert -balance(session, accounts.payable(people[1][0])) == 750_000
    assert verify_ledger(session, []).ok
