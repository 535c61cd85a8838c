"""Readers at their edges: MT940 entry dates across New Year, camt entries of several payments
whose own amounts are not given, and the count a pain.002 block status states."""

from datetime import UTC, date, datetime

import pytest

from payments.adapters.iso20022.camt import Balance, CamtEntry, CamtStatement, CamtTransaction
from payments.adapters.iso20022.camt_writer import camt_bytes
from payments.adapters.iso20022.pain002 import (
    PaymentInfoStatus,
    ReportHeader,
    StatusReport,
    TransactionStatus,
    build_pain002,
)
from payments.reconcile.iso_readers import camt_lines, pain002_lines
from payments.reconcile.lines import Line
from payments.reconcile.mt940 import MalformedMT940, mt940_lines


def _mt940(value_day: str, entry_day: str) -> str:
    return (
        ":20:STMT\n:25:0071000123456\n:28C:00001/001\n"
        f":60F:C{value_day}VND10000000,\n"
        f":61:{value_day}{entry_day}D500000,NTRFP2024-07-000001//FT1\n"
        ":86:EREF+P2024-07-000001 TRO CAP\n"
        f":62F:C{value_day}VND9500000,\n"
    )


@pytest.mark.parametrize(
    ("value_day", "entry_day", "booked"),
    [
        ("241231", "0102", date(2025, 1, 2)),  # booked after New Year for value 31 December
        ("250102", "1231", date(2024, 12, 31)),  # booked before New Year for value 2 January
        ("240821", "0822", date(2024, 8, 22)),
        ("240229", "0301", date(2024, 3, 1)),
        ("250301", "0229", date(2024, 2, 29)),  # the nearest 29 February is last year's
    ],
)
def test_an_mt940_entry_date_takes_the_year_nearest_its_value_date(value_day, entry_day, booked):
    (line,) = [i for i in mt940_lines(_mt940(value_day, entry_day)) if isinstance(i, Line)]
    assert line.booking_date == booked


def test_an_mt940_entry_date_that_is_no_day_is_refused_with_its_line():
    with pytest.raises(MalformedMT940, match="line 5: 1340 is not an entry date"):
        list(mt940_lines(_mt940("241231", "1340")))


def _tx(key: str, amount: int | None) -> CamtTransaction:
    return CamtTransaction(
        end_to_end_id=key, instruction_id=None, payment_info_id=None, message_id=None,
        account_servicer_ref=None, transaction_id=None, amount_vnd=amount, credit_debit="DBIT",
    )  # fmt: skip


def _camt(*txs: CamtTransaction, total: int) -> bytes:
    day = date(2024, 8, 21)
    entry = CamtEntry("S", 1, None, total, "DBIT", "BOOK", day, None, "FT-1", transactions=txs)
    statement = CamtStatement(
        kind="camt.053", message_id="M1", created_at=datetime(2024, 8, 21, 16, tzinfo=UTC),
        statement_id="STMT-1", account="0071000123456",
        balances=(Balance("OPBD", 10_000_000, "CRDT", day), Balance("CLBD", 10_000_000 - total, "CRDT", day)),
    )  # fmt: skip
    return camt_bytes(statement, [entry])


@pytest.mark.parametrize(
    "amounts", [(None, None), (750_000, None), (750_000, 700_000)], ids=["none", "one", "not-adding-up"]
)
def test_one_booking_of_payments_without_their_own_amounts_names_no_payout(amounts):
    data = _camt(_tx("K-1", amounts[0]), _tx("K-2", amounts[1]), total=1_500_000)
    (line,) = [i for i in camt_lines(data) if isinstance(i, Line)]
    assert (line.amount_vnd, line.end_to_end_id, line.reference, line.is_batch) == (
        1_500_000,
        None,
        None,
        False,
    )
    assert "2 payments without their own amounts: K-1, K-2" in line.reason_text


def test_one_booking_of_payments_with_their_amounts_is_a_line_each():
    lines = [
        i
        for i in camt_lines(_camt(_tx("K-1", 750_000), _tx("K-2", 750_000), total=1_500_000))
        if isinstance(i, Line)
    ]
    assert [(ln.end_to_end_id, ln.amount_vnd) for ln in lines] == [("K-1", 750_000), ("K-2", 750_000)]


@pytest.mark.parametrize("held_in", ["TxAmt", "InstdAmt"])
def test_payments_giving_their_amounts_in_amount_details_are_a_line_each(held_in):
    """camt.053.001.02 has no TxDtls/Amt: each payment's amount is in its AmtDtls."""
    data = _camt(_tx("K-1", 750_000), _tx("K-2", 500_000), total=1_250_000).decode()
    for amount in (750_000, 500_000):
        own = f'<Amt Ccy="VND">{amount}</Amt>\n      <CdtDbtInd>DBIT</CdtDbtInd>'
        assert own in data
        details = f'<AmtDtls><{held_in}><Amt Ccy="VND">{amount}</Amt></{held_in}></AmtDtls>'
        detailed = f"<CdtDbtInd>DBIT</CdtDbtInd>{details}"
        data = data.replace(own, detailed)
    lines = [i for i in camt_lines(data.encode()) if isinstance(i, Line)]
    assert [(ln.end_to_end_id, ln.amount_vnd) for ln in lines] == [("K-1", 750_000), ("K-2", 500_000)]


def test_a_block_status_carries_the_count_it_states():
    header = ReportHeader("PSR-1", datetime(2024, 8, 21, 9, tzinfo=UTC), "MSG-1", "pain.001.001.09")
    data = build_pain002(StatusReport(header, (PaymentInfoStatus("MSG-1", "RJCT", "AM04"),), ()))
    data = data.replace(
        b"<OrgnlPmtInfId>MSG-1</OrgnlPmtInfId>",
        b"<OrgnlPmtInfId>MSG-1</OrgnlPmtInfId><OrgnlNbOfTxs>500</OrgnlNbOfTxs>",
    )
    (line,) = pain002_lines(data)
    assert (line.payment_info_id, line.status, line.batch_count) == ("MSG-1", "rejected", 500)


@pytest.mark.parametrize(
    ("reason", "status"), [("AM05", "unknown"), ("DU01", "unknown"), ("AC04", "rejected")]
)
def test_a_rejection_for_duplication_says_nothing_about_the_payout(reason, status):
    """A resend refused as a duplicate: the original may well have been paid."""
    header = ReportHeader("PSR-1", datetime(2024, 8, 21, 9, tzinfo=UTC), "MSG-1", "pain.001.001.09")
    tx = TransactionStatus("MSG-1", "P2024-07-000001", None, "RJCT", reason)
    (line,) = pain002_lines(build_pain002(StatusReport(header, (), (tx,))))
    assert (line.end_to_end_id, line.status) == ("P2024-07-000001", status)
    assert ("refused as a duplicate" in line.reason_text) is (status == "unknown")


def test_a_status_code_nobody_knows_is_unknown_and_not_called_a_duplicate():
    header = ReportHeader("PSR-1", datetime(2024, 8, 21, 9, tzinfo=UTC), "MSG-1", "pain.001.001.09")
    tx = TransactionStatus("MSG-1", "P2024-07-000001", None, "XXXX")
    (line,) = pain002_lines(build_pain002(StatusReport(header, (), (tx,))))
    assert (line.status, line.reason_text) == ("unknown", "")
