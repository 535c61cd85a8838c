"""camt.053 statements and camt.054 notifications, read streaming."""

from datetime import UTC, date, datetime

import pytest

from payments.adapters.iso20022.camt import (
    Balance,
    CamtEntry,
    CamtStatement,
    CamtTransaction,
    iter_camt,
    read_camt,
)
from payments.adapters.iso20022.camt_writer import SCHEMAS, camt_bytes
from payments.adapters.iso20022.xmlsafe import MalformedMessage, parse_tree, schema
from tests.unit.adapters.iso20022.samples import CAMT053, CAMT054_RETURN, PAIN002

DAY = date(2024, 8, 21)


def test_opening_and_closing_balances_are_read_with_their_signs():
    [report] = read_camt(CAMT053)
    statement = report.statement
    assert (statement.kind, statement.statement_id, statement.sequence) == (
        "camt.053",
        "STMT-20240821-1",
        235,
    )
    assert statement.account == "0071000123456"
    assert statement.opening == Balance("OPBD", 1_000_000, "CRDT", DAY)
    assert statement.closing == Balance("CLBD", 250_000, "DBIT", DAY)
    assert (statement.opening.signed_vnd, statement.closing.signed_vnd) == (1_000_000, -250_000)
    assert (
        statement.opening.signed_vnd + sum(e.signed_vnd for e in report.entries)
        == statement.closing.signed_vnd
    )


def test_an_entry_carries_its_amount_direction_dates_and_our_references():
    [report] = read_camt(CAMT053)
    entry = report.entries[0]
    assert (entry.amount_vnd, entry.credit_debit, entry.signed_vnd, entry.status) == (
        750_000,
        "DBIT",
        -750_000,
        "BOOK",
    )
    assert (entry.booking_date, entry.value_date) == (DAY, date(2024, 8, 22))  # 20:00Z is the 22nd in Vietnam
    assert entry.account_servicer_ref == "FT24234000001"
    assert entry.bank_transaction_code == "PMNT/ICDT/DMCT"
    [tx] = entry.transactions
    assert (tx.end_to_end_id, tx.instruction_id, tx.payment_info_id) == (
        "P-LD-2024-08-000001",
        "B-2024-08-1a2b3c4d5e6f/000001",
        "B-2024-08-1a2b3c4d5e6f",
    )
    assert tx.creditor_name == "NGUYEN THI DAO"
    assert (entry.statement_id, entry.position, entry.line) == ("STMT-20240821-1", 1, 17)


def test_a_batch_entry_gives_its_count_total_and_each_transaction():
    [report] = read_camt(CAMT053)
    batch_entry = report.entries[1]
    [batch] = batch_entry.batches
    assert (batch.payment_info_id, batch.tx_count, batch.total_vnd, batch.credit_debit) == (
        "B-2024-08-99aa",
        2,
        500_000,
        "DBIT",
    )
    assert [(t.end_to_end_id, t.amount_vnd) for t in batch_entry.transactions] == [
        ("P-LD-2024-08-000010", 200_000),
        ("P-LD-2024-08-000011", 300_000),
    ]


def test_a_return_on_a_notification_is_read_with_its_reason_code():
    [report] = read_camt(CAMT054_RETURN)
    assert report.statement.kind == "camt.054"
    assert report.statement.balances == ()
    [entry] = report.entries
    assert (entry.credit_debit, entry.is_return, entry.booking_date) == ("CRDT", True, date(2024, 8, 23))
    [tx] = entry.transactions
    assert (tx.end_to_end_id, tx.return_reason) == ("P-LD-2024-08-000001", "AC04")
    assert tx.return_text == "Account closed after crediting"


def test_streaming_gives_the_statement_header_before_its_entries():
    items = list(iter_camt(CAMT053))
    assert [type(item) for item in items] == [CamtStatement, CamtEntry, CamtEntry]


def test_a_missing_amount_is_reported_with_the_entry_path_and_line():
    second_amount = b'<Amt Ccy="VND">500000</Amt>\n        <CdtDbtInd>DBIT</CdtDbtInd>'
    broken = CAMT053.replace(second_amount, b"<CdtDbtInd>DBIT</CdtDbtInd>")
    with pytest.raises(MalformedMessage) as refused:
        read_camt(broken)
    assert refused.value.path == "/Document/BkToCstmrStmt/Stmt[1]/Ntry[2]/Amt"
    assert refused.value.line == 36  # the entry lacking it starts there
    assert refused.value.reason == "required amount Amt is missing"


def test_a_fraction_of_a_dong_is_refused_rather_than_rounded():
    broken = CAMT053.replace(b'<Amt Ccy="VND">750000</Amt>', b'<Amt Ccy="VND">750000.50</Amt>', 1)
    with pytest.raises(MalformedMessage, match="fraction of a đồng") as refused:
        read_camt(broken)
    assert refused.value.path == "/Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/Amt"


def test_another_currency_is_refused():
    broken = CAMT053.replace(b'<Amt Ccy="VND">750000</Amt>', b'<Amt Ccy="USD">30</Amt>', 1)
    with pytest.raises(MalformedMessage, match="currency USD is not supported"):
        read_camt(broken)


def test_a_bad_direction_or_date_names_its_element():
    with pytest.raises(MalformedMessage) as refused:
        read_camt(CAMT053.replace(b"<CdtDbtInd>CRDT</CdtDbtInd>", b"<CdtDbtInd>CR</CdtDbtInd>", 1))
    assert refused.value.path == "/Document/BkToCstmrStmt/Stmt[1]/Bal[1]/CdtDbtInd"
    with pytest.raises(MalformedMessage) as refused:
        read_camt(CAMT053.replace(b"<BookgDt><Dt>2024-08-21</Dt>", b"<BookgDt><Dt>21/08/2024</Dt>", 1))
    assert refused.value.path == "/Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/BookgDt/Dt"


def test_a_file_cut_off_in_the_middle_is_reported_where_it_stops():
    with pytest.raises(MalformedMessage) as refused:
        read_camt(CAMT053[: CAMT053.index(b"<AcctSvcrRef>FT24234000002")])
    assert refused.value.path == "/Document/BkToCstmrStmt/Stmt/Ntry[2]"
    assert "not well-formed" in refused.value.reason


def test_a_status_report_is_not_taken_for_a_statement():
    with pytest.raises(MalformedMessage, match=r"not a camt\.053 or camt\.054 message"):
        read_camt(PAIN002)


@pytest.mark.parametrize("kind", ["camt.053", "camt.054"])
def test_written_statements_validate_against_the_official_xsd_and_read_back(kind):
    balances = (
        (Balance("OPBD", 900, "CRDT", DAY), Balance("CLBD", 100, "DBIT", DAY)) if kind == "camt.053" else ()
    )
    header = CamtStatement(kind, "M1", datetime(2024, 8, 21, tzinfo=UTC), "S1", "0071000123456", balances, 7)
    tx = CamtTransaction("P1", "I1", "B1", "M0", "SVC1", "TX1", 1_000, "DBIT", creditor_name="A")
    entry = CamtEntry("S1", 1, None, 1_000, "DBIT", "BOOK", DAY, DAY, "SVC1", transactions=(tx,))
    data = camt_bytes(header, [entry])
    assert schema(SCHEMAS[kind]).validate(parse_tree(data))
    [report] = read_camt(data)
    assert report.statement == header
    assert report.entries[0].transactions == (tx,)
    assert report.entries[0].amount_vnd == 1_000


def test_comments_and_processing_instructions_inside_an_entry_are_ignored():
    noisy = CAMT053.replace(
        b"<CdtDbtInd>DBIT</CdtDbtInd>", b"<!-- x --><CdtDbtInd>DBIT</CdtDbtInd><?pi x?>", 1
    )
    assert read_camt(noisy)[0].entries[0].credit_debit == "DBIT"
