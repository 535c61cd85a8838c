"""Readers: MT940 and CSV strictly, with line numbers; camt and pain.002 as lines."""

from datetime import date

import pytest

from payments.errors import InvalidInput
from payments.reconcile.csv_reports import MalformedCsv, csv_lines
from payments.reconcile.lines import Line, StatementRef, Totals
from payments.reconcile.mt940 import MalformedMT940, mt940_lines
from payments.reconcile.sources import detect_kind, read_lines
from tests.unit.adapters.iso20022.samples import CAMT053, CAMT054_RETURN, PAIN002

MT940 = """{1:F01VCBVVNVXAXXX0000000000}{2:O940}{4:
:20:STMT240821
:25:0071000123456
:28C:00235/001
:60F:C240821VND1000000,
:61:2408210821D750000,NTRF2408-00012345-01//FT24234000001
:86:EREF+2408-00012345-01-BTXH TRO CAP
:61:2408210821C500000,00NTRF2408-00012345-01//RT1
:86:RTRN/AC04/ TAI KHOAN DONG
:62F:C240821VND750000,
-}
"""


def test_mt940_reads_entries_with_the_whole_key_from_the_narrative_and_balances():
    items = list(mt940_lines(MT940))
    first, second, named, totals = items
    assert isinstance(first, Line)
    assert first.end_to_end_id == "2408-00012345-01-BTXH"
    assert (first.direction, first.amount_vnd, first.booking_date) == ("DBIT", 750_000, date(2024, 8, 21))
    assert first.reference == "2408-00012345-01"
    assert first.line_no == 6
    assert (second.direction, second.status, second.reason) == ("CRDT", "returned", "AC04")
    assert totals == Totals("0071000123456", date(2024, 8, 21), date(2024, 8, 21), 1_000_000, 750_000)
    assert named == StatementRef("mt940", "0071000123456", ":28C:00235/001", "2024-08-21..2024-08-21")


def test_a_statement_sent_again_under_a_new_reference_keeps_its_identity():
    """Banks give a resent MT940 a new :20:; its account, :28C: number and days stay."""
    resent = MT940.replace(":20:STMT240821", ":20:RESEND0001")
    named = [i for i in mt940_lines(resent) if isinstance(i, StatementRef)]
    assert [n.identity for n in named] == [
        i.identity for i in mt940_lines(MT940) if isinstance(i, StatementRef)
    ]
    next_one = MT940.replace(":28C:00235/001", ":28C:00236/001")
    assert [i for i in mt940_lines(next_one) if isinstance(i, StatementRef)] != named


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (MT940.replace(":61:2408210821D750000,", ":61:2408210821D750000,50"), "line 6"),
        (MT940.replace(":60F:C240821VND", ":60F:C240821USD"), "line 5"),
        (MT940.replace(":62F:C240821VND750000,\n", ""), "closing"),
        ("hello\n:20:X\n", "line 1"),
    ],
    ids=["fraction-of-a-dong", "not-vnd", "no-closing", "text-before"],
)
def test_mt940_refuses_what_it_cannot_read_naming_the_line(text, where):
    with pytest.raises(MalformedMT940, match=where):
        list(mt940_lines(text))


def test_a_csv_report_is_read_through_the_mapping_its_header_fits():
    header = "end_to_end_id,amount_vnd,direction,booking_date,bank_reference,reason,holder_name\n"
    text = header + "K1,5000,D,2024-08-21,FT1,,LE VAN C\n"
    (line,) = csv_lines(text, "some-bank")
    assert (line.end_to_end_id, line.amount_vnd, line.direction, line.holder_name) == (
        "K1",
        5000,
        "DBIT",
        "LE VAN C",
    )


def test_a_csv_report_with_unknown_columns_is_refused():
    with pytest.raises(MalformedCsv, match="no column mapping"):
        list(csv_lines("a,b,c\n1,2,3\n", "some-bank"))


def test_a_csv_report_row_the_csv_reader_cannot_read_is_refused_naming_its_line():
    header = "end_to_end_id,amount_vnd,direction,booking_date,bank_reference,reason,holder_name\n"
    text = (
        header + "K1,5000,D,2024-08-21,FT1,,LE VAN C\n" + "K2,5000,D,2024-08-21,FT2,," + "x" * 200_000 + "\n"
    )
    with pytest.raises(MalformedCsv, match=r"line 3: unreadable CSV \(field larger than field limit"):
        list(csv_lines(text, "some-bank"))


def test_camt_entries_and_batch_splits_become_lines_and_balances_totals():
    items = list(read_lines("camt.053", CAMT053, "bank"))
    totals = [i for i in items if isinstance(i, Totals)]
    lines = [i for i in items if isinstance(i, Line)]
    assert totals[0].opening_vnd == 1_000_000
    assert totals[0].closing_vnd == -250_000
    assert [ln.end_to_end_id for ln in lines] == [
        "P-LD-2024-08-000001",
        "P-LD-2024-08-000010",
        "P-LD-2024-08-000011",
    ]
    assert lines[0].holder_name == "NGUYEN THI DAO"
    assert lines[0].instr_id == "B-2024-08-1a2b3c4d5e6f/000001"


def test_a_camt054_return_is_a_credit_with_its_reason():
    named, line = read_lines("camt.054", CAMT054_RETURN, "bank")
    assert isinstance(named, StatementRef)
    assert named.kind == "camt.054"
    assert (line.status, line.direction, line.reason) == ("returned", "CRDT", "AC04")


def test_pain002_statuses_become_status_lines():
    lines = list(read_lines("pain.002", PAIN002, "bank"))
    assert [(ln.status, ln.reason) for ln in lines] == [
        ("settled", None),
        ("rejected", "AC04"),
        ("accepted", None),
    ]
    assert not any(ln.movement for ln in lines)


@pytest.mark.parametrize(
    ("data", "kind"),
    [(CAMT053, "camt.053"), (CAMT054_RETURN, "camt.054"), (PAIN002, "pain.002"), (MT940.encode(), "mt940"),
     (b"record_type,amount\nOPENING,1\n", "csv")],
)  # fmt: skip
def test_the_kind_of_a_file_is_told_from_its_first_bytes(data, kind):
    assert detect_kind(data) == kind


def test_a_file_of_no_known_kind_is_refused():
    with pytest.raises(InvalidInput):
        detect_kind(b"\x00\x01binary")
