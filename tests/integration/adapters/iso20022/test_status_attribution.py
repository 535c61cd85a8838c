"""The iso20022 adapter's status of a payout, when the bank's files say more than one thing.

A payout's status comes from the statuses about the message and block it went out in; a
settlement there is terminal against any later pain.002; a refusal for duplication says nothing
about the original. Each rule keeps a credited payout from reading REJECTED (which would make
it payable again, and pay it twice).
"""

from datetime import timedelta

import pytest

from payments.adapters.iso20022.pain001 import build_pain001, parse_pain001
from payments.adapters.iso20022.pain002 import (
    ReportHeader,
    StatusReport,
    TransactionStatus,
    build_pain002,
    read_pain002,
)
from payments.adapters.vocabulary import PayoutStatus
from tests.integration.adapters.iso20022.h2h import account, adapter_for, files, open_bank, payout
from tests.unit.adapters.iso20022.samples import message, transfer

KEY = "P-LD-2024-08-000001"  # the key of samples.transfer(1)
PAIN001 = "pain.001.001.09"


def message_sent(bank) -> str:
    [name] = files(bank.outbox, "pain001")
    return parse_pain001(bank.outbox / name, check_schema=False).message_id


def first_report(bank):
    [name] = files(bank.inbox, "pain002")
    return read_pain002(bank.inbox / name)


def deliver(bank, header: ReportHeader, *transactions: TransactionStatus) -> None:
    """A pain.002 dropped into the inbox as the bank would."""
    data = build_pain002(StatusReport(header, (), transactions))
    (bank.inbox / f"pain002-{header.message_id}.xml").write_bytes(data)


@pytest.mark.parametrize("reason", ["DU01", "AM05", "FF01"])
def test_a_later_whole_file_rejection_does_not_undo_a_settled_payout(tmp_path, reason):
    bank = open_bank(tmp_path)
    adapter = adapter_for(bank)
    chunk = [payout("P-1", account(bank, 1)), payout("P-2", account(bank, 2))]
    adapter.send(chunk)
    bank.process()
    report = first_report(bank)
    assert adapter.status("P-1").status is PayoutStatus.SETTLED
    # The bank re-reads the file later and refuses the whole of it.
    later = report.header.created_at + timedelta(minutes=5)
    header = ReportHeader("PSR-LATE", later, report.header.original_message_id, PAIN001, "RJCT", reason)
    deliver(bank, header)

    assert bank.credits() == {"P-1": 1, "P-2": 1}
    assert adapter.status("P-1").status is PayoutStatus.SETTLED
    assert [r.status for r in adapter.send(chunk)] == [PayoutStatus.SETTLED] * 2


def test_a_refusal_for_duplication_does_not_reject_a_payout_still_in_flight(tmp_path):
    bank = open_bank(tmp_path)
    adapter = adapter_for(bank)
    adapter.send([payout("P-1", account(bank, 1))])
    ours = message_sent(bank)
    deliver(bank, ReportHeader("PSR-1", bank.clock(), ours, PAIN001, "ACSP"))
    deliver(bank, ReportHeader("PSR-2", bank.clock() + timedelta(minutes=1), ours, PAIN001, "RJCT", "DU01"))
    assert adapter.status("P-1").status is PayoutStatus.ACCEPTED


def test_a_refusal_for_duplication_alone_leaves_the_payout_unknown(tmp_path):
    bank = open_bank(tmp_path)
    adapter = adapter_for(bank)
    adapter.send([payout(KEY, account(bank, 1))])
    ours = message_sent(bank)
    refused = TransactionStatus(ours, KEY, f"{ours[:28]}/000001", "RJCT", "AM05")
    deliver(bank, ReportHeader("PSR-1", bank.clock(), ours, PAIN001), refused)
    seen = adapter.status(KEY)
    assert (seen.status, seen.reason) == (PayoutStatus.UNKNOWN, None)
    assert "AM05" in seen.reason_text


def test_a_status_line_for_our_key_under_another_message_is_not_about_our_payout(tmp_path):
    bank = open_bank(tmp_path)
    adapter = adapter_for(bank)
    adapter.send([payout(KEY, account(bank, 1))])
    other = TransactionStatus("M-OTHER", KEY, "M-OTHER/000001", "RJCT", "AC04")
    deliver(bank, ReportHeader("PSR-OTHER", bank.clock(), "M-OTHER", PAIN001), other)
    assert adapter.status(KEY).status is PayoutStatus.ACCEPTED  # handed over, no word on our file


def test_a_key_reused_in_a_later_message_leaves_the_settled_payout_settled(tmp_path):
    bank = open_bank(tmp_path)
    adapter = adapter_for(bank)
    adapter.send([payout(KEY, account(bank, 1))])
    bank.process()
    # Someone else hands over the same key for another amount: the bank refuses it, AM05.
    (bank.outbox / "second.xml").write_bytes(build_pain001(message(transfer(1, 900_000), message_id="M-2")))
    bank.process()
    assert bank.credits() == {KEY: 1}
    assert adapter.status(KEY).status is PayoutStatus.SETTLED


def test_a_report_on_a_key_in_none_of_our_files_is_unknown_not_rejected_nor_not_found(tmp_path):
    bank = open_bank(tmp_path)
    adapter = adapter_for(bank)
    stray = TransactionStatus("M-OTHER", KEY, "M-OTHER/000001", "RJCT", "AC04")
    deliver(bank, ReportHeader("PSR-OTHER", bank.clock(), "M-OTHER", PAIN001), stray)
    assert adapter.status(KEY).status is PayoutStatus.UNKNOWN
    assert adapter.status("P-NEVER").status is PayoutStatus.NOT_FOUND
