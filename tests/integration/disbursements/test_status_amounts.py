"""A provider's status answer may say what amount it holds under a payout's key. When that is not
the payout's amount, the answer is about some other payment: the payout must not settle (nor
fail) on it. It stays in doubt and finance staff see an AMOUNT_MISMATCH, as they do for a
statement line booking the key with another amount."""

from dataclasses import replace

import pytest

from payments.adapters.bank_api import mapping as bank
from payments.adapters.ewallet import mapping as wallet
from payments.adapters.messages import SendResult, StatusResult
from payments.adapters.sandbox.script import Outcome
from payments.adapters.vocabulary import PayoutStatus, ReasonCode
from payments.context import Actor
from payments.disbursements.answers import Answer
from payments.disbursements.repository import payouts_in
from payments.errors import RuleViolation
from payments.ledger import accounts
from payments.ledger.draft import EntryKind
from payments.ledger.repository import entries_for_payout
from payments.ledger.services import balance
from payments.ledger.verify import verify_ledger
from payments.reconcile.exceptions import get_exception, list_exceptions
from payments.reconcile.resolutions import resolve_exception
from tests.integration.disbursements.conftest import approve

FINANCE = Actor(username="finance.thu", role="finance")
DELTA = 1_000


class StatusOfAnotherAmount:
    """The sandbox, whose status answers report `DELTA` đồng more than the payout was sent for
    (or no amount at all, with `amount=None`)."""

    def __init__(self, sandbox, *, delta: int | None = DELTA) -> None:
        self.sandbox, self.delta = sandbox, delta
        self.name, self.capabilities = sandbox.name, sandbox.capabilities

    def send(self, chunk):
        return self.sandbox.send(chunk)

    def status(self, key):
        said = self.sandbox.status(key)
        if said.amount_vnd is None:
            return said
        return replace(said, amount_vnd=None if self.delta is None else said.amount_vnd + self.delta)


@pytest.fixture
def in_doubt(session, owed_people, build, dispatcher, sandbox):
    """One payout the sandbox credited (`outcome`) whose send answer was lost: in doubt."""

    def make():
        owed_people(1)
        (batch,) = build().batches
        approve(session, batch)
        (payout,) = payouts_in(session, batch.id)
        sandbox.script_key(payout.payout_key, Outcome("unknown"))
        dispatcher().dispatch(batch.id)
        session.expire_all()
        assert payout.state == "in_doubt"
        return batch, payout

    return make


def test_the_bank_and_wallet_protocols_bring_the_providers_amount_to_the_dispatcher():
    bank_said = bank.status_from_wire("K", {"end_to_end_id": "K", "status": "ACSC", "amount": 751_000}, str)
    wallet_said = wallet.status_from_wire("K", {"order_id": "K", "status": "SUCCESS", "amount": 751_000})
    assert Answer.of(bank_said).amount_vnd == 751_000
    assert Answer.of(wallet_said).amount_vnd == 751_000


def test_an_answer_keeps_the_amount_a_status_query_reports_and_a_send_carries_none():
    status = StatusResult(payout_key="K1", status=PayoutStatus.SETTLED, amount_vnd=750_000)
    sent = SendResult(payout_key="K1", status=PayoutStatus.SETTLED)
    assert Answer.of(status).amount_vnd == 750_000
    assert Answer.of(sent).amount_vnd is None


def test_a_status_query_reporting_another_amount_does_not_settle_the_payout(
    session, in_doubt, dispatcher, sandbox
):
    batch, payout = in_doubt()

    result = dispatcher(adapter=StatusOfAnotherAmount(sandbox)).dispatch(batch.id)

    session.expire_all()
    assert payout.state == "in_doubt"  # not settled quietly for an amount nobody instructed
    assert result.outcomes.get("settled", 0) == 0
    assert result.outcomes["amount_mismatch"] == 1
    kinds = [entry.kind for entry in entries_for_payout(session, payout.payout_key)]
    assert kinds == [EntryKind.PAYOUT_INITIATED]
    assert balance(session, accounts.in_flight("bank")) == -payout.amount_vnd  # still in flight
    (raised,) = list_exceptions(session, kind="AMOUNT_MISMATCH")
    assert (raised.payout_id, raised.adapter, raised.amount_vnd) == (payout.id, "bank", payout.amount_vnd)
    assert raised.line_id is None  # a provider's answer, not a statement line
    assert payout.payout_key in raised.detail
    assert f"batch {batch.id}" in raised.detail
    assert f"{payout.amount_vnd + DELTA} VND" in raised.detail
    assert f"{payout.amount_vnd} VND" in raised.detail
    assert raised.data["answer"]["status"] == "settled"
    assert raised.data["answer"]["amount_vnd"] == payout.amount_vnd + DELTA
    assert raised.data["kept"] == "in_doubt"
    assert verify_ledger(session, []).ok


def test_asking_again_raises_the_mismatch_once(session, in_doubt, dispatcher, sandbox):
    batch, payout = in_doubt()

    for _run in range(3):  # the dispatch job resolves in-doubt payouts at every run
        dispatcher(adapter=StatusOfAnotherAmount(sandbox)).dispatch(batch.id)

    session.expire_all()
    assert payout.state == "in_doubt"
    assert [e.payout_id for e in list_exceptions(session, kind="AMOUNT_MISMATCH")] == [payout.id]


@pytest.mark.parametrize("delta", [0, None], ids=["same amount", "no amount"])
def test_a_status_query_reporting_the_payouts_amount_or_none_settles_it(
    session, in_doubt, dispatcher, sandbox, delta
):
    batch, payout = in_doubt()

    dispatcher(adapter=StatusOfAnotherAmount(sandbox, delta=delta)).dispatch(batch.id)

    session.expire_all()
    assert payout.state == "settled"
    assert list_exceptions(session, kind="AMOUNT_MISMATCH") == []
    assert balance(session, accounts.in_flight("bank")) == 0


def test_finance_marks_returned_a_payout_the_provider_holds_another_amount_for_when_it_was_not_paid(
    session, in_doubt, dispatcher, sandbox
):
    batch, payout = in_doubt()
    dispatcher(adapter=StatusOfAnotherAmount(sandbox)).dispatch(batch.id)
    (raised,) = list_exceptions(session, kind="AMOUNT_MISMATCH")

    with pytest.raises(RuleViolation, match="moved no money"):
        resolve_exception(session, FINANCE, raised.id, action="write_off", reason="x")
    resolve_exception(
        session, FINANCE, raised.id, action="mark_returned", reason="the bank cancelled the transfer",
        reason_code=ReasonCode.AC04.value,
    )  # fmt: skip
    session.commit()

    session.expire_all()
    assert payout.state == "returned"
    assert balance(session, accounts.payable(payout.beneficiary_id)) == -payout.amount_vnd
    assert balance(session, accounts.in_flight("bank")) == 0
    assert get_exception(session, raised.id).state == "resolved"
    assert verify_ledger(session, []).ok
