"""A provider's send or status answer that contradicts what other news (a callback) already made
of a payout is not only audited: finance staff see it at once in their exceptions queue, as a
CONTRADICTED_ANSWER naming the payout, its batch, the state kept and what the provider said, and
resolve it through the usual workflow. The same contradiction recorded twice is one exception."""

import pytest

from payments.adapters.messages import SendResult
from payments.adapters.sandbox.script import Outcome
from payments.adapters.vocabulary import PayoutStatus, ReasonCode
from payments.audit.repository import search_events
from payments.clock import utcnow
from payments.context import Actor
from payments.disbursements.answers import Answer
from payments.disbursements.claims import record_answers
from payments.disbursements.model import Batch
from payments.disbursements.repository import payouts_in
from payments.disbursements.retry import build_retry_batch
from payments.errors import RuleViolation
from payments.ledger import accounts
from payments.ledger.services import balance
from payments.ledger.verify import verify_ledger
from payments.reconcile.callbacks import receive_callback
from payments.reconcile.exceptions import KINDS, get_exception, history, list_exceptions
from payments.reconcile.resolutions import resolve_exception
from tests.integration.disbursements.conftest import OFFICER, CallbacksFirst, approve

FINANCE = Actor(username="finance.thu", role="finance")
DISPATCHER = Actor(username="dispatcher", role="system")
KIND = "CONTRADICTED_ANSWER"


@pytest.fixture
def approved(session, owed_people, build):
    def make(count: int):
        people = owed_people(count)
        (batch,) = build().batches
        approve(session, batch)
        return batch, [person for person, _account in people]

    return make


@pytest.fixture
def answered_after_callback(session, session_factory, approved, dispatcher, sandbox):
    """One payout dispatched through CallbacksFirst: the sandbox's callback (settled) is recorded
    first, then the send's answer, which says (status, reason): (batch, people, payout)."""

    def make(status: PayoutStatus, reason: ReasonCode | None):
        batch, people = approved(1)
        (payout,) = payouts_in(session, batch.id)
        adapter = CallbacksFirst(sandbox, session_factory, says={payout.payout_key: (status, reason)})
        dispatcher(adapter=adapter).dispatch(batch.id)
        return batch, people, payout

    return make


def _recorded_late(session_factory, batch_id: int, said: Answer) -> None:
    """`said` recorded by a dispatcher whose answer arrives after others moved the payout on (a
    rival dispatcher, or one retrying)."""
    with session_factory() as other, other.begin():
        record_answers(other, other.get(Batch, batch_id), [said], {}, actor=DISPATCHER, clock=utcnow)


def test_the_new_class_is_one_finance_staff_can_filter_on():
    assert KIND in KINDS


def test_a_rejection_answered_for_a_payout_a_callback_settled_is_raised_for_finance(
    session, answered_after_callback
):
    batch, (person,), payout = answered_after_callback(PayoutStatus.REJECTED, ReasonCode.AC04)

    session.expire_all()
    assert payout.state == "settled"  # the callback's settlement stands
    (raised,) = list_exceptions(session, kind=KIND)
    assert raised.state == "open"
    assert (raised.payout_id, raised.adapter, raised.amount_vnd) == (payout.id, "bank", payout.amount_vnd)
    assert payout.payout_key in raised.detail
    assert f"batch {batch.id}" in raised.detail
    assert "settled" in raised.detail
    assert "rejected" in raised.detail
    assert "AC04" in raised.detail
    assert raised.data["batch_id"] == batch.id
    assert raised.data["payout_key"] == payout.payout_key
    assert raised.data["kept"] == "settled"
    assert raised.data["answer"] == {
        "status": "rejected", "reason": "AC04", "reason_text": "account closed", "reference": None,
        "amount_vnd": None,
    }  # fmt: skip
    (audited,) = search_events(session, action="payout.answer_contradicted")
    assert audited.target_id == str(payout.id)  # the audit record stays, beside the exception
    assert [event.action for event in history(session, raised.id)] == ["raised"]
    assert balance(session, accounts.payable(person)) == 0  # still paid: nothing was given back
    assert verify_ledger(session, []).ok


def test_a_settlement_answered_for_a_payout_already_rejected_is_raised_for_finance(
    session, session_factory, approved, dispatcher, sandbox
):
    """The dangerous way round: the payout is rejected and its money owed to the person again,
    yet the provider (a rival dispatcher's answer, recorded later) says it paid."""
    batch, _people = approved(1)
    (payout,) = payouts_in(session, batch.id)
    sandbox.script_key(payout.payout_key, Outcome("reject", ReasonCode.AC01))
    dispatcher().dispatch(batch.id)

    _recorded_late(session_factory, batch.id, Answer(payout.payout_key, PayoutStatus.SETTLED))

    session.expire_all()
    assert payout.state == "rejected"
    (raised,) = list_exceptions(session, kind=KIND)
    assert raised.payout_id == payout.id
    assert raised.data["kept"] == "rejected"
    assert raised.data["answer"]["status"] == "settled"
    assert "is rejected" in raised.detail
    assert "answered settled" in raised.detail


def test_the_person_is_held_until_finance_resolves_a_failure_the_provider_says_it_paid(
    session, session_factory, approved, dispatcher, sandbox, build
):
    batch, (person,) = approved(1)
    (payout,) = payouts_in(session, batch.id)
    sandbox.script_key(payout.payout_key, Outcome("reject", ReasonCode.AC01))
    dispatcher().dispatch(batch.id)
    _recorded_late(session_factory, batch.id, Answer(payout.payout_key, PayoutStatus.SETTLED))
    session.expire_all()
    (raised,) = list_exceptions(session, kind=KIND)

    held = build()  # the money is owed again in the ledger, but it may have been paid

    assert held.batches == []
    (hold,) = held.holds
    assert (hold.beneficiary_id, [r["code"] for r in hold.reasons]) == (person, ["contradicted_answer"])
    assert f"finance resolves exception {raised.id}" in hold.reasons[0]["detail"]

    note = "the bank confirms nothing was credited: its ACSC was about a test message"
    resolve_exception(session, FINANCE, raised.id, action="acknowledge", reason=note)
    session.commit()
    (paid,) = build().batches
    assert [p.beneficiary_id for p in payouts_in(session, paid.id)] == [person]


class SaysRejected:
    """The sandbox, which pays every payout, while its send answers say rejected (AC04)."""

    def __init__(self, sandbox) -> None:
        self.sandbox, self.name, self.capabilities = sandbox, sandbox.name, sandbox.capabilities

    def send(self, chunk):
        said = self.sandbox.send(chunk)
        return [
            SendResult(payout_key=a.payout_key, status=PayoutStatus.REJECTED, reason=ReasonCode.AC04,
                       reason_text="closed")
            for a in said
        ]  # fmt: skip

    def status(self, key):
        return self.sandbox.status(key)


def test_a_callback_saying_a_rejected_payout_was_paid_holds_the_person_too(
    session, session_factory, approved, dispatcher, sandbox, build
):
    batch, (_person,) = approved(1)
    dispatcher(adapter=SaysRejected(sandbox)).dispatch(batch.id)
    for headers, body in sandbox.take_callbacks():  # the provider's callback: settled
        with session_factory() as other, other.begin():
            receive_callback(other, sandbox.name, sandbox, headers, body)
    session.expire_all()
    (conflict,) = list_exceptions(session, kind="STATUS_CONFLICT")

    again = build()

    assert again.batches == []
    assert [r["code"] for r in again.holds[0].reasons] == ["contradicted_answer"]
    assert f"exception {conflict.id}" in again.holds[0].reasons[0]["detail"]


def test_a_follow_up_built_before_the_news_is_not_sent_while_it_is_open(
    session, session_factory, approved, dispatcher, sandbox, routing, cipher
):
    batch, (_person,) = approved(1)
    (first,) = payouts_in(session, batch.id)
    sandbox.script_key(first.payout_key, Outcome("reject", ReasonCode.AC01))
    dispatcher().dispatch(batch.id)
    session.expire_all()
    (follow_up,) = build_retry_batch(session, batch.id, routing, cipher, actor=OFFICER, hold_days=30).batches
    approve(session, follow_up)
    _recorded_late(
        session_factory, batch.id, Answer(first.payout_key, PayoutStatus.SETTLED)
    )  # paid after all

    result = dispatcher().dispatch(follow_up.id)

    session.expire_all()
    (second,) = payouts_in(session, follow_up.id)
    (raised,) = list_exceptions(session, kind=KIND)
    assert (second.state, second.reason_code) == ("rejected", "DISPUTED")
    assert f"finance resolves exception {raised.id}" in second.reason_text
    assert result.outcomes == {"disputed": 1}
    assert sandbox.credits().get(second.payout_key) is None
    (refused,) = search_events(session, action="payout.disputed")
    assert refused.summary["after"]["exception_id"] == raised.id
    assert verify_ledger(session, []).ok


def test_once_finance_resolves_it_the_refused_payout_is_retried_and_not_counted_as_a_failure(
    session, session_factory, approved, dispatcher, sandbox, routing, cipher
):
    batch, _people = approved(1)
    (first,) = payouts_in(session, batch.id)
    sandbox.script_key(first.payout_key, Outcome("reject", ReasonCode.AC01))
    dispatcher().dispatch(batch.id)
    session.expire_all()
    (follow_up,) = build_retry_batch(session, batch.id, routing, cipher, actor=OFFICER, hold_days=30).batches
    approve(session, follow_up)
    _recorded_late(session_factory, batch.id, Answer(first.payout_key, PayoutStatus.SETTLED))
    dispatcher().dispatch(follow_up.id)
    session.expire_all()
    (raised,) = list_exceptions(session, kind=KIND)
    resolve_exception(session, FINANCE, raised.id, action="acknowledge", reason="the bank: nothing credited")
    session.commit()

    again = build_retry_batch(session, follow_up.id, routing, cipher, actor=OFFICER, hold_days=30)

    # One real failure (AC01); the DISPUTED refusal was never sent: no repeated-failures hold.
    assert again.holds == []
    (paid,) = again.batches
    assert [p.amount_vnd for p in payouts_in(session, paid.id)] == [750_000]


def test_a_not_found_answer_for_a_rejected_payout_holds_nobody(
    session, session_factory, approved, dispatcher, sandbox, build
):
    batch, (person,) = approved(1)
    (payout,) = payouts_in(session, batch.id)
    sandbox.script_key(payout.payout_key, Outcome("reject", ReasonCode.AC01))
    dispatcher().dispatch(batch.id)
    _recorded_late(session_factory, batch.id, Answer(payout.payout_key, PayoutStatus.NOT_FOUND))
    session.expire_all()

    again = build()

    assert again.holds == []
    assert [p.beneficiary_id for p in payouts_in(session, again.batches[0].id)] == [person]


def test_an_answer_that_is_only_old_news_raises_nothing(session, answered_after_callback):
    _batch, _people, payout = answered_after_callback(PayoutStatus.ACCEPTED, None)

    session.expire_all()
    assert payout.state == "settled"
    assert list_exceptions(session, kind=KIND) == []


def test_the_same_contradiction_recorded_twice_is_one_exception(
    session, approved, dispatcher, session_factory
):
    batch, _people = approved(1)
    dispatcher().dispatch(batch.id)  # the sandbox settles it at once
    (payout,) = payouts_in(session, batch.id)
    said = Answer(payout.payout_key, PayoutStatus.REJECTED, "AC04", "account closed")

    _recorded_late(session_factory, batch.id, said)
    _recorded_late(session_factory, batch.id, said)

    (raised,) = list_exceptions(session, kind=KIND)
    assert raised.payout_id == payout.id
    assert len(search_events(session, action="payout.answer_contradicted")) == 2
    assert len(search_events(session, action="reconcile.exception.raised")) == 1


def test_finance_acknowledges_a_contradiction_with_a_note_after_asking_the_provider(
    session, answered_after_callback
):
    _batch, _people, payout = answered_after_callback(PayoutStatus.REJECTED, ReasonCode.AC04)
    (raised,) = list_exceptions(session, kind=KIND)

    note = "the bank confirms the credit on 05/08; its rejection was sent in error"
    resolve_exception(session, FINANCE, raised.id, action="acknowledge", reason=note)
    session.commit()

    resolved = get_exception(session, raised.id)
    assert (resolved.state, resolved.resolution, resolved.resolution_reason) == (
        "resolved",
        "acknowledge",
        note,
    )
    assert resolved.resolved_by == FINANCE.username
    assert [event.action for event in history(session, raised.id)] == ["raised", "resolved"]
    session.expire_all()
    assert payout.state == "settled"


def test_a_contradiction_is_not_written_off_and_a_settled_payout_is_not_marked_returned_through_it(
    session, answered_after_callback
):
    _batch, (person,), payout = answered_after_callback(PayoutStatus.REJECTED, ReasonCode.AC04)
    session.expire_all()  # as a finance user's own request reads it
    (raised,) = list_exceptions(session, kind=KIND)

    with pytest.raises(RuleViolation, match="moved no money"):
        resolve_exception(session, FINANCE, raised.id, action="write_off", reason="x")
    with pytest.raises(RuleViolation, match="is settled: it is not marked returned by hand"):
        resolve_exception(session, FINANCE, raised.id, action="mark_returned", reason="x", reason_code="AC04")

    session.expire_all()
    assert get_exception(session, raised.id).state == "open"
    assert payout.state == "settled"
    assert balance(session, accounts.payable(person)) == 0


def test_a_payout_still_in_flight_is_marked_returned_through_its_contradiction_when_it_was_not_paid(
    session, session_factory, approved, dispatcher, sandbox
):
    """One dispatcher recorded `accepted`; a rival's answer, recorded later, says rejected: the
    payout stays accepted, in flight. Once the provider confirms nothing was paid, finance marks
    it returned through the exception, and the person is owed again."""
    batch, (person,) = approved(1)
    (payout,) = payouts_in(session, batch.id)
    sandbox.script_key(payout.payout_key, Outcome("accept"))
    dispatcher().dispatch(batch.id)
    _recorded_late(session_factory, batch.id, Answer(payout.payout_key, PayoutStatus.REJECTED, "AC04"))
    session.expire_all()
    assert payout.state == "accepted"
    (raised,) = list_exceptions(session, kind=KIND)
    assert raised.data["kept"] == "accepted"

    resolve_exception(
        session, FINANCE, raised.id, action="mark_returned", reason="the bank never credited it",
        reason_code="AC04",
    )  # fmt: skip
    session.commit()

    session.expire_all()
    assert payout.state == "returned"
    assert balance(session, accounts.payable(person)) == -payout.amount_vnd  # owed again
    assert balance(session, accounts.in_flight("bank")) == 0
    assert get_exception(session, raised.id).state == "resolved"
    assert verify_ledger(session, []).ok
