"""Each fault the watched-folder bank can inject, seen through the adapter and the files."""

import time

from payments.adapters.iso20022.camt import read_camt
from payments.adapters.iso20022.pain001 import build_pain001
from payments.adapters.iso20022.pain002 import read_pain002
from payments.adapters.simkit import Faults
from payments.adapters.vocabulary import Direction, PayoutStatus, ReasonCode
from tests.integration.adapters.iso20022.h2h import account, adapter_for, files, open_bank, payout
from tests.unit.adapters.iso20022.samples import message, transfer


def reasons(bank) -> dict[str, str | None]:
    found = {}
    for name in files(bank.inbox, "pain002"):
        for tx in read_pain002(bank.inbox / name).transactions:
            found[tx.original_end_to_end_id] = tx.reason
    return found


def test_a_closed_account_is_rejected_with_ac04_and_not_credited(tmp_path):
    bank = open_bank(tmp_path)
    adapter = adapter_for(bank)
    bank.dice.force("reject_closed", "P-FORCED")
    adapter.send([payout("P-CLOSED", account(bank, 1, closed=True)), payout("P-FORCED", account(bank, 2))])
    bank.process()
    assert reasons(bank) == {"P-CLOSED": "AC04", "P-FORCED": "AC04"}
    assert adapter.status("P-CLOSED").reason is ReasonCode.AC04
    assert bank.credits() == {}


def test_a_wrong_account_is_rejected_with_ac01(tmp_path):
    bank = open_bank(tmp_path)
    adapter = adapter_for(bank)
    bank.dice.force("reject_wrong_account", "P-1")
    adapter.send([payout("P-1", account(bank, 1))])
    bank.process()
    assert (adapter.status("P-1").status, adapter.status("P-1").reason) == (
        PayoutStatus.REJECTED,
        ReasonCode.AC01,
    )


def test_insufficient_funds_on_our_account_is_rejected_with_am04(tmp_path):
    bank = open_bank(tmp_path, opening_balance_vnd=600_000)
    adapter = adapter_for(bank)
    adapter.send([payout("P-1", account(bank, 1)), payout("P-2", account(bank, 2))])
    bank.process()
    assert reasons(bank) == {"P-1": None, "P-2": "AM04"}
    assert bank.credits() == {"P-1": 1}


def test_rates_with_one_seed_reject_the_same_payouts_every_time(tmp_path):
    outcomes = []
    for run in ("a", "b"):
        bank = open_bank(tmp_path / run, faults=Faults(reject_insufficient_funds=0.5))
        adapter = adapter_for(bank)
        adapter.send([payout(f"P-{n}", account(bank, n)) for n in range(20)])
        bank.process()
        outcomes.append(reasons(bank))
    assert outcomes[0] == outcomes[1]
    assert 0 < list(outcomes[0].values()).count("AM04") < 20


def test_a_return_after_settlement_arrives_as_a_camt054_with_its_reason(tmp_path):
    bank = open_bank(tmp_path)
    adapter = adapter_for(bank)
    bank.dice.force("return_after_settlement", "P-1")
    adapter.send([payout("P-1", account(bank, 1))])
    bank.process()
    assert adapter.status("P-1").status is PayoutStatus.SETTLED
    bank.process()  # the payee's bank sends it back
    [notification] = files(bank.inbox, "camt054")
    [report] = read_camt(bank.inbox / notification)
    [entry] = report.entries
    assert (entry.credit_debit, entry.transactions[0].end_to_end_id) == ("CRDT", "P-1")
    assert entry.transactions[0].return_reason == "AC04"
    returned = adapter.status("P-1")
    assert (returned.status, returned.reason) == (PayoutStatus.RETURNED, ReasonCode.AC04)
    bank.close_day()
    statement = adapter.fetch_statement(bank.clock().date())
    assert [(e.direction, e.reason) for e in statement.entries] == [
        (Direction.DEBIT, None),
        (Direction.CREDIT, ReasonCode.AC04),
    ]
    assert statement.is_balanced
    assert bank.credits() == {"P-1": 1}


def test_an_amount_that_differs_shows_on_the_statement_not_in_the_status_report(tmp_path):
    bank = open_bank(tmp_path, faults=Faults(statement_delta_vnd=1_000))
    adapter = adapter_for(bank)
    bank.dice.force("statement_amount_differs", "P-1")
    adapter.send([payout("P-1", account(bank, 1), 500_000)])
    bank.process()
    assert adapter.status("P-1").amount_vnd == 500_000
    bank.close_day()
    [line] = adapter.fetch_statement(bank.clock().date()).entries
    assert (line.end_to_end_id, line.amount_vnd) == ("P-1", 501_000)


def test_a_duplicated_status_report_arrives_twice_and_changes_nothing(tmp_path):
    bank = open_bank(tmp_path, faults=Faults(duplicate_callbacks=1.0))
    adapter = adapter_for(bank)
    adapter.send([payout("P-1", account(bank, 1))])
    bank.process()
    reports = [read_pain002(bank.inbox / name) for name in files(bank.inbox, "pain002")]
    assert len(reports) == 2
    assert reports[0].header.message_id != reports[1].header.message_id
    assert reports[0].transactions == reports[1].transactions
    assert adapter.status("P-1").status is PayoutStatus.SETTLED
    assert bank.credits() == {"P-1": 1}


def test_a_status_reported_late_leaves_the_payout_accepted_until_it_arrives(tmp_path):
    bank = open_bank(tmp_path, faults=Faults(hang_seconds=0.2))
    adapter = adapter_for(bank)
    bank.dice.force("timeout_after_credit", "P-SLOW")
    adapter.send([payout("P-SLOW", account(bank, 1)), payout("P-2", account(bank, 2))])
    bank.process()
    assert bank.credits() == {"P-SLOW": 1, "P-2": 1}
    assert adapter.status("P-SLOW").status is PayoutStatus.ACCEPTED
    assert adapter.status("P-2").status is PayoutStatus.SETTLED
    time.sleep(0.25)
    bank.process()
    assert adapter.status("P-SLOW").status is PayoutStatus.SETTLED


def test_an_unanswered_payout_is_unknown_when_the_adapter_awaits_reports(tmp_path):
    with open_bank(tmp_path, faults=Faults(hang_seconds=1.0), poll_seconds=0.01) as bank:
        adapter = adapter_for(bank, await_status_seconds=0.3)
        bank.dice.force("timeout_after_credit", "P-SLOW")
        [result] = adapter.send([payout("P-SLOW", account(bank, 1))])
        assert result.status is PayoutStatus.UNKNOWN
        assert adapter.status("P-SLOW").status is PayoutStatus.ACCEPTED
        adapter.send([payout("P-SLOW", account(bank, 1))])
    assert bank.credits() == {"P-SLOW": 1}


def test_a_key_reused_for_another_payout_is_refused_with_am05(tmp_path):
    bank = open_bank(tmp_path)
    account(bank, 1)
    (bank.outbox / "first.xml").write_bytes(build_pain001(message(transfer(1), message_id="M-1")))
    bank.process()
    (bank.outbox / "second.xml").write_bytes(build_pain001(message(transfer(1, 900_000), message_id="M-2")))
    bank.process()
    second = [read_pain002(bank.inbox / f) for f in files(bank.inbox, "pain002")]
    by_message = {r.header.original_message_id: r.transactions[0] for r in second}
    assert (by_message["M-1"].status, by_message["M-2"].status, by_message["M-2"].reason) == (
        "ACSC",
        "RJCT",
        "AM05",
    )
    assert bank.credits() == {"P-LD-2024-08-000001": 1}


def test_a_file_that_breaks_the_schema_or_its_control_totals_is_rejected_whole(tmp_path):
    bank = open_bank(tmp_path)
    good = build_pain001(message(message_id="M-TOTALS"))
    (bank.outbox / "totals.xml").write_bytes(
        good.replace(b"<NbOfTxs>2</NbOfTxs>", b"<NbOfTxs>5</NbOfTxs>", 1)
    )
    (bank.outbox / "schema.xml").write_bytes(
        good.replace(b"M-TOTALS", b"M-SCHEMA").replace(b"<PmtMtd>TRF", b"<PmtMtd>XXX")
    )
    bank.process()
    headers = {
        h.original_message_id: h
        for h in (read_pain002(bank.inbox / f).header for f in files(bank.inbox, "pain002"))
    }
    assert (headers["M-TOTALS"].group_status, headers["M-TOTALS"].group_reason) == ("RJCT", "AM18")
    assert (headers["M-SCHEMA"].group_status, headers["M-SCHEMA"].group_reason) == ("RJCT", "FF01")
    assert "PmtMtd" in headers["M-SCHEMA"].group_reason_text
    assert bank.credits() == {}
