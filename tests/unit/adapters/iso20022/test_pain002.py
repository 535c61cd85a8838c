"""pain.002 status reports: what the bank says about each payout of a file we sent."""

from datetime import UTC, datetime

import pytest

from payments.adapters.iso20022.pain002 import (
    ReportHeader,
    StatusReport,
    TransactionStatus,
    build_pain002,
    iter_pain002,
    read_pain002,
)
from payments.adapters.iso20022.xmlsafe import MalformedMessage, parse_tree, schema
from tests.unit.adapters.iso20022.samples import CAMT053, PAIN002


def test_a_report_gives_the_original_ids_and_each_payouts_status_and_reason():
    report = read_pain002(PAIN002)
    assert report.header.message_id == "VCB-PSR-0001"
    assert report.header.created_at == datetime(2024, 8, 21, 2, 15, tzinfo=UTC)
    assert report.header.original_message_id == "B-2024-08-1a2b3c4d5e6f"
    assert report.header.group_status == "PART"
    settled, rejected, pending = report.transactions
    assert (settled.original_end_to_end_id, settled.status, settled.amount_vnd) == (
        "P-LD-2024-08-000001",
        "ACSC",
        750_000,
    )
    assert settled.original_instruction_id == "B-2024-08-1a2b3c4d5e6f/000001"
    assert settled.original_payment_info_id == "B-2024-08-1a2b3c4d5e6f"
    assert settled.account_servicer_ref == "FT24234000001"
    assert (rejected.status, rejected.reason, rejected.reason_text) == ("RJCT", "AC04", "Tai khoan da dong")
    assert (pending.status, pending.is_final, settled.is_final) == ("PDNG", False, True)
    assert rejected.line == 19  # where its TxInfAndSts starts


def test_streaming_yields_the_header_first_and_each_block_after_its_transactions():
    kinds = [type(item).__name__ for item in iter_pain002(PAIN002)]
    assert kinds == [
        "ReportHeader",
        "TransactionStatus",
        "TransactionStatus",
        "TransactionStatus",
        "PaymentInfoStatus",
    ]


def test_a_missing_payment_information_id_is_reported_with_its_path_and_line():
    broken = PAIN002.replace(b"<OrgnlPmtInfId>B-2024-08-1a2b3c4d5e6f</OrgnlPmtInfId>", b"")
    with pytest.raises(MalformedMessage) as refused:
        read_pain002(broken)
    assert refused.value.path == "/Document/CstmrPmtStsRpt/OrgnlPmtInfAndSts[1]/OrgnlPmtInfId"
    assert refused.value.line == 10
    assert refused.value.reason == "required element OrgnlPmtInfId is missing"


def test_a_transaction_naming_no_payout_is_refused():
    broken = PAIN002.replace(b"<OrgnlInstrId>B-2024-08-1a2b3c4d5e6f/000003</OrgnlInstrId>", b"").replace(
        b"<OrgnlEndToEndId>P-LD-2024-08-000003</OrgnlEndToEndId>", b""
    )
    with pytest.raises(MalformedMessage) as refused:
        read_pain002(broken)
    assert refused.value.path.startswith("/Document/CstmrPmtStsRpt/OrgnlPmtInfAndSts[1]/TxInfAndSts[3]")


def test_a_broken_tag_is_reported_at_the_element_that_was_open():
    with pytest.raises(MalformedMessage) as refused:
        read_pain002(PAIN002.replace(b"<TxSts>RJCT</TxSts>", b"<TxSts>RJCT</TxSt>"))
    assert refused.value.path == "/Document/CstmrPmtStsRpt/OrgnlPmtInfAndSts/TxInfAndSts[2]/TxSts"
    assert refused.value.line == 22
    assert "mismatch" in refused.value.reason


def test_a_statement_is_not_taken_for_a_status_report():
    with pytest.raises(MalformedMessage, match=r"not a pain\.002 message \(camt\.053\.001\.08\)"):
        read_pain002(CAMT053)


def test_a_report_the_simulator_builds_validates_and_reads_back():
    header = ReportHeader("PSR1", datetime(2024, 8, 21, tzinfo=UTC), "M1", "pain.001.001.09", "RJCT", "FF01")
    tx = TransactionStatus("M1", "P1", "M1/000001", "RJCT", "AM04", "insufficient funds", amount_vnd=10)
    data = build_pain002(StatusReport(header, (), (tx,)))
    assert schema("pain.002.001.12.xsd").validate(parse_tree(data))
    read = read_pain002(data)
    assert read.header == header
    assert read.transactions[0].reason == "AM04"
    assert read.transactions[0].amount_vnd == 10
