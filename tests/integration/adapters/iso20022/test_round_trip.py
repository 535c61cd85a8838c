"""The iso20022 adapter and the watched-folder bank: pain.001 out, pain.002 and camt.053 back."""

import shutil
import threading

import pytest

from payments.adapters.creditors import CashPickup, WalletAccount
from payments.adapters.errors import (
    AdapterConfigError,
    AdapterProtocolError,
    AdapterUnavailable,
    AdapterUnsupported,
)
from payments.adapters.iso20022.camt import read_camt
from payments.adapters.iso20022.pain001 import parse_pain001
from payments.adapters.iso20022.pain002 import read_pain002
from payments.adapters.iso20022.xmlsafe import parse_tree, schema
from payments.adapters.vocabulary import Direction, PayoutStatus, ReasonCode
from tests.integration.adapters.iso20022.h2h import (
    account,
    adapter_for,
    files,
    open_bank,
    payout,
    unknown_account,
)
from tests.unit.adapters.iso20022.samples import CAMT053, PAIN002


@pytest.fixture
def bank(tmp_path):
    return open_bank(tmp_path)


def test_a_sent_chunk_is_one_valid_pain001_and_stays_accepted_until_the_bank_reports(bank):
    adapter = adapter_for(bank)
    chunk = [payout("P-1", account(bank, 1)), payout("P-2", account(bank, 2), 750_000)]
    results = adapter.send(chunk)
    assert [r.status for r in results] == [PayoutStatus.ACCEPTED, PayoutStatus.ACCEPTED]
    [name] = files(bank.outbox, "pain001")
    sent = parse_pain001(bank.outbox / name)
    assert schema("pain.001.001.09.xsd").validate(parse_tree(bank.outbox / name))
    assert [t.end_to_end_id for t in sent.transfers] == ["P-1", "P-2"]
    assert (sent.count, sent.control_sum_vnd, sent.debtor.account) == (2, 1_250_000, bank.debit_account)
    assert sent.transfers[0].creditor_name == "NGUYEN THI DAO"
    assert adapter.status("P-1").status is PayoutStatus.ACCEPTED
    assert (
        adapter.status("P-1").provider_reference
        == results[0].provider_reference
        == sent.transfers[0].instruction_id
    )


def test_the_banks_report_settles_or_rejects_each_payout(bank):
    adapter = adapter_for(bank)
    adapter.send([payout("P-1", account(bank, 1)), payout("P-NOBODY", unknown_account())])
    assert bank.process() == 1
    [report_file] = files(bank.inbox, "pain002")
    report = read_pain002(bank.inbox / report_file)
    assert report.header.original_message_id == parse_pain001(next(bank.outbox.glob("*.xml"))).message_id
    settled, rejected = adapter.status("P-1"), adapter.status("P-NOBODY")
    assert (settled.status, settled.amount_vnd, settled.as_of is not None) == (
        PayoutStatus.SETTLED,
        500_000,
        True,
    )
    assert (rejected.status, rejected.reason) == (PayoutStatus.REJECTED, ReasonCode.AC01)
    assert bank.credits() == {"P-1": 1}


def test_a_resend_after_the_report_writes_nothing_and_answers_the_recorded_outcome(bank):
    adapter = adapter_for(bank)
    chunk = [payout("P-1", account(bank, 1)), payout("P-2", account(bank, 2))]
    first = adapter.send(chunk)
    bank.process()
    again = adapter.send(chunk)
    bank.process()
    assert len(files(bank.outbox, "pain001")) == 1
    assert [r.status for r in again] == [PayoutStatus.SETTLED, PayoutStatus.SETTLED]
    assert [r.provider_reference for r in again] == [r.provider_reference for r in first]
    assert bank.credits() == {"P-1": 1, "P-2": 1}


def test_a_key_sent_again_in_another_chunk_is_not_handed_over_twice(bank):
    adapter = adapter_for(bank)
    adapter.send([payout("P-1", account(bank, 1))])
    bank.process()
    [first] = files(bank.outbox, "pain001")
    adapter.send([payout("P-1", account(bank, 1)), payout("P-3", account(bank, 3))])
    bank.process()
    [later] = set(files(bank.outbox, "pain001")) - {first}
    second = parse_pain001(bank.outbox / later)
    assert [t.end_to_end_id for t in second.transfers] == ["P-3"]
    assert bank.credits() == {"P-1": 1, "P-3": 1}


def test_the_bank_credits_once_when_the_same_file_is_dropped_again_under_another_name(bank):
    adapter = adapter_for(bank)
    adapter.send([payout("P-1", account(bank, 1))])
    bank.process()
    [name] = files(bank.outbox, "pain001")
    shutil.copy(bank.outbox / name, bank.outbox / f"copy-{name}")
    assert bank.process() == 1
    assert bank.credits() == {"P-1": 1}
    reports = [read_pain002(bank.inbox / f) for f in files(bank.inbox, "pain002")]
    assert [r.transactions[0].status for r in reports] == ["ACSC", "ACSC"]


def test_concurrent_sends_of_one_chunk_write_one_file_and_credit_once(bank):
    adapter = adapter_for(bank)
    chunk = [payout("RACE-1", account(bank, 1))]
    threads = [threading.Thread(target=adapter.send, args=(chunk,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bank.process()
    assert len(files(bank.outbox, "pain001")) == 1
    assert bank.credits() == {"RACE-1": 1}


def test_the_days_statement_balances_and_books_each_payout_once(bank):
    adapter = adapter_for(bank)
    adapter.send([payout("P-1", account(bank, 1), 410_000), payout("P-2", account(bank, 2))])
    bank.process()
    path = bank.close_day()
    assert schema("camt.053.001.08.xsd").validate(parse_tree(path))
    statement = adapter.fetch_statement(bank.clock().date())
    assert statement.is_balanced
    assert statement.closing_balance_vnd == statement.opening_balance_vnd - 910_000
    assert [(e.end_to_end_id, e.amount_vnd, e.direction) for e in statement.entries] == [
        ("P-1", 410_000, Direction.DEBIT),
        ("P-2", 500_000, Direction.DEBIT),
    ]


def test_two_statements_of_one_day_are_chained_into_one(bank):
    adapter = adapter_for(bank)
    adapter.send([payout("P-1", account(bank, 1))])
    bank.process()
    bank.close_day()
    adapter.send([payout("P-2", account(bank, 2), 300_000)])
    bank.process()
    bank.close_day()
    statement = adapter.fetch_statement(bank.clock().date())
    assert [e.end_to_end_id for e in statement.entries] == ["P-1", "P-2"]
    assert statement.is_balanced
    assert statement.closing_balance_vnd == statement.opening_balance_vnd - 800_000


def test_a_batch_booked_file_is_one_debit_on_the_statement_split_back_into_payouts(bank):
    adapter = adapter_for(bank, batch_booking="true")
    adapter.send([payout("P-1", account(bank, 1), 200_000), payout("P-2", account(bank, 2), 300_000)])
    bank.process()
    [report] = read_camt(bank.close_day())
    [entry] = report.entries
    [batch] = entry.batches
    assert (entry.amount_vnd, batch.tx_count, batch.total_vnd) == (500_000, 2, 500_000)
    statement = adapter.fetch_statement(bank.clock().date())
    assert [(e.end_to_end_id, e.amount_vnd) for e in statement.entries] == [
        ("P-1", 200_000),
        ("P-2", 300_000),
    ]


def test_a_statement_not_yet_delivered_is_unavailable(bank):
    with pytest.raises(AdapterUnavailable, match=r"no camt\.053"):
        adapter_for(bank).fetch_statement(bank.clock().date())


def test_waiting_for_the_report_answers_the_banks_verdict_at_once(tmp_path):
    with open_bank(tmp_path, poll_seconds=0.01) as bank:
        adapter = adapter_for(bank, await_status_seconds=3)
        good, wrong = account(bank, 1), unknown_account()
        results = adapter.send([payout("P-1", good), payout("P-2", wrong)])
    assert [(r.status, r.reason) for r in results] == [
        (PayoutStatus.SETTLED, None),
        (PayoutStatus.REJECTED, ReasonCode.AC01),
    ]


@pytest.mark.parametrize(
    "creditor",
    [
        WalletAccount(provider="momo", phone="0912345678"),
        CashPickup(commune_code="25123", citizen_id="001190012345", holder_name="Nguyễn Thị Đào"),
    ],
    ids=["wallet", "cash"],
)
def test_a_wallet_or_cash_pickup_is_unsupported_and_nothing_is_written(bank, creditor):
    adapter = adapter_for(bank)
    with pytest.raises(AdapterUnsupported, match="bank accounts only"):
        adapter.send([payout("B-1", account(bank, 1)), payout("W-1", creditor)])
    assert files(bank.outbox, "pain001") == []


def test_name_lookup_and_callbacks_are_not_offered(bank):
    adapter = adapter_for(bank)
    assert {"name_lookup", "callbacks"}.isdisjoint(adapter.capabilities)
    with pytest.raises(AdapterUnsupported):
        adapter.lookup_name(account(bank, 1))
    with pytest.raises(AdapterUnsupported):
        adapter.parse_callback({}, b"{}")


def test_a_missing_folder_or_a_bad_bin_is_a_configuration_error(bank, tmp_path):
    with pytest.raises(AdapterConfigError, match="inbox folder"):
        adapter_for(bank, inbox=str(tmp_path / "nowhere"))
    with pytest.raises(AdapterConfigError, match="BIN"):
        adapter_for(bank, debtor_bin="97043")


def test_an_outbox_that_has_gone_away_hands_nothing_over(bank):
    adapter = adapter_for(bank)
    shutil.rmtree(bank.outbox)
    with pytest.raises(AdapterUnavailable, match="exchange folder unavailable"):
        adapter.send([payout("P-1", account(bank, 1))])
    bank.outbox.mkdir()
    assert adapter.status("P-1").status is PayoutStatus.NOT_FOUND


def test_a_malformed_report_in_the_inbox_is_a_protocol_error_naming_where(bank):
    adapter = adapter_for(bank)
    (bank.inbox / "pain002-bad.xml").write_bytes(
        PAIN002.replace(b"<TxSts>ACSC</TxSts>", b"<TxSts>ACSC</TxSt>")
    )
    [result] = adapter.send([payout("P-1", account(bank, 1))])
    assert result.status is PayoutStatus.UNKNOWN  # handed over; the answers cannot be read
    assert "TxInfAndSts/TxSts" in result.reason_text
    with pytest.raises(AdapterProtocolError, match=r"pain002-bad\.xml: .*/TxInfAndSts/TxSts \(line 15\)"):
        adapter.status("P-1")
    assert len(files(bank.outbox, "pain001")) == 1


def test_other_xml_in_the_inbox_is_left_alone(bank):
    adapter = adapter_for(bank)
    other = CAMT053.replace(b"camt.053.001.08", b"camt.052.001.08")
    (bank.inbox / "camt052-intraday.xml").write_bytes(other)
    adapter.send([payout("P-1", account(bank, 1))])
    bank.process()
    assert adapter.status("P-1").status is PayoutStatus.SETTLED
