"""A status for one payment message (a pain.002 GrpSts, or PmtInfSts with no transaction listed)
moves the payouts sent in that message and no other: dispatch sends a batch as many messages
(500 payouts each; 2 in these tests). Which payouts a message held is what the iso20022
adapter recorded when it sent them; when nobody can know, or the count the bank states differs,
nothing moves and finance staff get an exception."""

from datetime import UTC, datetime

import pytest

from payments.adapters.iso20022.adapter import Iso20022Adapter
from payments.adapters.iso20022.pain001 import Pain001, Party, message_id_for, parse_pain001
from payments.adapters.iso20022.pain002 import PaymentInfoStatus, ReportHeader, StatusReport, build_pain002
from payments.disbursements.repository import payouts_in
from payments.ledger import accounts
from payments.ledger.services import balance
from payments.reconcile.exceptions import list_exceptions
from payments.reconcile.runs import import_file
from tests.integration.reconcile.conftest import FINANCE


@pytest.fixture
def h2h_bank(tmp_path):
    """The host-to-host file adapter, configured as adapter `bank`: a pain.001 per chunk."""
    outbox, inbox = tmp_path / "outbox", tmp_path / "inbox"
    outbox.mkdir()
    inbox.mkdir()
    debtor = Party("UBND TINH", "0071000123456", "970436")
    return Iso20022Adapter(
        "bank",
        outbox=outbox,
        inbox=inbox,
        debtor=debtor,
        initiating_party="UBND TINH",
        clock=lambda: datetime.now(UTC),
    )


@pytest.fixture
def sent_by_file(session, approved, dispatcher, h2h_bank, tmp_path):
    """(batch, payouts, the pain.001 messages written, in payout order)."""

    def make(count: int):
        batch = approved(count)
        dispatcher(adapter=h2h_bank).dispatch(batch.id)
        session.expire_all()
        messages = [parse_pain001(path, check_schema=False) for path in (tmp_path / "outbox").glob("*.xml")]
        messages.sort(key=lambda m: m.transfers[0].end_to_end_id)
        return batch, payouts_in(session, batch.id), messages

    return make


def _report(
    original: str,
    *,
    group: str | None = None,
    block: PaymentInfoStatus | None = None,
    count: int | None = None,
) -> bytes:
    """A pain.002 answering message `original`: a group status, or one block's status with the
    number of payments the bank counts in it (OrgnlNbOfTxs, when `count`)."""
    header = ReportHeader(
        message_id="PSR-1",
        created_at=datetime(2024, 8, 21, 9, tzinfo=UTC),
        original_message_id=original,
        original_message_name="pain.001.001.09",
        group_status=group,
        group_reason="AM04" if group == "RJCT" else None,
    )
    data = build_pain002(StatusReport(header, (block,) if block else (), ()))
    if block is None or count is None:
        return data
    named = f"<OrgnlPmtInfId>{block.original_payment_info_id}</OrgnlPmtInfId>".encode()
    return data.replace(named, named + f"<OrgnlNbOfTxs>{count}</OrgnlNbOfTxs>".encode())


def _import(session_factory, data: bytes):
    return import_file(session_factory, adapter="bank", data=data, file_name="psr.xml", actor=FINANCE)


def _keys(message: Pain001) -> list[str]:
    return [t.end_to_end_id for t in message.transfers]


def test_a_group_rejection_of_one_message_rejects_only_the_payouts_sent_in_it(
    session, session_factory, sent_by_file
):
    _, payouts, (first, second) = sent_by_file(3)
    assert (_keys(first), _keys(second)) == ([p.payout_key for p in payouts[:2]], [payouts[2].payout_key])
    report = _import(session_factory, _report(second.message_id, group="RJCT"))
    session.expire_all()
    assert [p.state for p in payouts] == ["accepted", "accepted", "rejected"]
    owed = [-balance(session, accounts.payable(p.beneficiary_id)) for p in payouts]
    assert owed == [0, 0, payouts[2].amount_vnd]  # only the rejected one is owed again
    assert report["exceptions"] == {}


def test_a_block_settlement_of_one_message_settles_only_its_payouts(session, session_factory, sent_by_file):
    _, payouts, (first, _) = sent_by_file(3)
    block = PaymentInfoStatus(first.payment_info_id, "ACSC")
    _import(session_factory, _report(first.message_id, block=block, count=2))
    session.expire_all()
    assert [p.state for p in payouts] == ["settled", "settled", "accepted"]
    assert balance(session, accounts.settlement("bank")) == -(payouts[0].amount_vnd + payouts[1].amount_vnd)


def test_a_block_status_counting_other_than_the_payouts_sent_in_it_moves_nothing(
    session, session_factory, sent_by_file
):
    _, payouts, (_, second) = sent_by_file(3)
    block = PaymentInfoStatus(second.payment_info_id, "RJCT", "AM04")
    _import(session_factory, _report(second.message_id, block=block, count=2))  # the message held one
    session.expire_all()
    assert [p.state for p in payouts] == ["accepted"] * 3
    assert -balance(session, accounts.payable(payouts[2].beneficiary_id)) == 0
    (found,) = list_exceptions(session)
    assert found.kind == "AMBIGUOUS"
    assert "counts 2 payments, 1 payouts are known" in found.detail


def test_a_group_rejection_of_a_message_whose_payouts_are_not_known_moves_nothing_and_asks_finance(
    session, session_factory, dispatched
):
    """The sandbox records no message ids: which payouts the message held is unknown, so not one
    payout of the batch is rejected (the batch's name no longer stands for all of them)."""
    batch, payouts = dispatched(3)
    message = message_id_for(f"B{batch.id}-{batch.period}", [payouts[2].payout_key])
    report = _import(session_factory, _report(message, group="RJCT"))
    session.expire_all()
    assert [p.state for p in payouts] == ["accepted"] * 3
    assert all(balance(session, accounts.payable(p.beneficiary_id)) == 0 for p in payouts)
    assert report["exceptions"]["UNMATCHED_CONFIRMATION"]["count"] == 1
    (found,) = list_exceptions(session)
    assert f"which payouts block {message} holds is not known: nothing was moved" in found.detail
