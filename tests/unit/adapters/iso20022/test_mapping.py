"""ISO codes to the adapter protocol: statuses, reasons, statement lines."""

from datetime import UTC, date, datetime

from payments.adapters.iso20022 import mapping
from payments.adapters.iso20022.camt import CamtEntry, CamtTransaction
from payments.adapters.iso20022.folders import Reported
from payments.adapters.vocabulary import Direction, PayoutStatus, ReasonCode

DAY = date(2024, 8, 21)


def reported(hour: int, status: str, *, file: str = "a.xml", per_transaction: bool = True) -> Reported:
    return Reported(
        datetime(2024, 8, 21, hour, tzinfo=UTC), file, status, None, per_transaction=per_transaction
    )


def test_transaction_statuses_map_to_settled_rejected_in_flight_or_unknown():
    assert mapping.payout_status("ACSC") is PayoutStatus.SETTLED
    assert mapping.payout_status("ACCC") is PayoutStatus.SETTLED
    assert mapping.payout_status("RJCT") is PayoutStatus.REJECTED
    assert {mapping.payout_status(code) for code in ("ACSP", "ACCP", "PDNG", "RCVD")} == {
        PayoutStatus.ACCEPTED
    }
    assert mapping.payout_status("XXXX") is PayoutStatus.UNKNOWN


def test_reasons_we_know_stay_codes_others_become_narrative_and_none_is_ms03():
    assert mapping.reason("AC04") == (ReasonCode.AC04, "")
    assert mapping.reason("MD07", "deceased") == (ReasonCode.NARR, "MD07: deceased")
    assert mapping.reason(None) == (ReasonCode.MS03, "")


def test_a_later_in_flight_report_does_not_undo_a_settlement():
    assert mapping.latest([reported(9, "ACSC"), reported(10, "ACSP", file="b.xml")]).status == "ACSC"


def test_a_settlement_is_terminal_a_later_rejection_does_not_undo_it():
    """Was `test_the_last_final_report_wins`, which let a later RJCT override an ACSC. Once
    settled the money has left our account: only a camt return (RtrInf) can bring it back. A
    later RJCT (the bank re-reading the file and refusing it as a duplicate, say) read as a
    rejection would make the payout payable again and pay it twice."""
    assert mapping.latest([reported(9, "ACSC"), reported(11, "RJCT", file="b.xml")]).status == "ACSC"
    assert mapping.latest([reported(9, "RJCT"), reported(11, "RJCT", file="b.xml")]).file == "b.xml"
    assert mapping.latest([]) is None


def test_within_one_file_a_transactions_own_status_outranks_its_group_status():
    group = reported(9, "RJCT", per_transaction=False)
    own = reported(9, "ACSC")
    assert mapping.latest([own, group]) is own


def test_a_batch_entry_becomes_one_statement_line_per_payment_when_amounts_add_up():
    txs = (
        CamtTransaction("P1", "I1", None, None, None, None, 200, "DBIT"),
        CamtTransaction("P2", "I2", None, None, None, None, 300, "DBIT"),
    )
    entry = CamtEntry("S", 1, None, 500, "DBIT", "BOOK", DAY, DAY, "SVC", transactions=txs)
    lines = mapping.statement_lines(entry, DAY)
    assert [(line.end_to_end_id, line.amount_vnd, line.direction) for line in lines] == [
        ("P1", 200, Direction.DEBIT),
        ("P2", 300, Direction.DEBIT),
    ]


def test_a_batch_entry_whose_details_do_not_add_up_stays_one_line_without_a_payout_key():
    txs = (CamtTransaction("P1", None, None, None, None, None, 200, "DBIT"),) * 2
    entry = CamtEntry("S", 1, None, 500, "DBIT", "BOOK", None, None, "SVC", transactions=txs)
    [line] = mapping.statement_lines(entry, DAY)
    assert (line.amount_vnd, line.end_to_end_id, line.booking_date) == (500, None, DAY)


def test_a_return_line_carries_its_reason():
    tx = CamtTransaction("P1", None, None, None, None, None, 500, "CRDT", return_reason="AC04")
    entry = CamtEntry("S", 1, None, 500, "CRDT", "BOOK", DAY, DAY, "SVC", transactions=(tx,))
    [line] = mapping.statement_lines(entry, DAY)
    assert (line.direction, line.reason, line.signed_amount_vnd) == (Direction.CREDIT, ReasonCode.AC04, 500)
