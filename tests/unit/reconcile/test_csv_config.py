"""CSV column mappings from an adapter instance's `csv_mapping` settings: over a built-in one or
on their own; anything wrong is refused when the configuration is read, naming what."""

import tomllib
from datetime import date

import pytest

from payments.adapters.errors import AdapterConfigError
from payments.reconcile.csv_config import configured_mappings, mapping_from_settings
from payments.reconcile.csv_reports import BANK_CSV, csv_lines
from payments.reconcile.lines import Line, StatementRef, Totals

VIETINBANK = tomllib.loads(
    """
[vietinbank]
kind = "iso20022"
[vietinbank.csv_mapping]
base = "bank_csv"
directions = { N = "DBIT", C = "CRDT" }
reasons = { TK_DONG = "AC04" }
[vietinbank.csv_mapping.columns]
end_to_end_id = "ma_giao_dich"
amount_vnd = "so_tien"
direction = "no_co"
booking_date = "ngay"

[napas]
kind = "bank_api"
"""
)
REPORT = (
    "ma_giao_dich,so_tien,no_co,ngay,bank_reference,reason,holder_name\n"
    "2408-00012345-01-BTXH,750000,N,2024-08-21,FT1,,LE VAN C\n"
    "2408-00012346-01-BTXH,500000,C,2024-08-22,FT2,TK_DONG,\n"
)


def _lines(text: str, adapter: str, mappings) -> list[Line]:
    return [i for i in csv_lines(text, adapter, mappings=mappings) if isinstance(i, Line)]


def test_an_instance_mapping_renames_columns_and_codes_over_a_built_in_one():
    mappings = configured_mappings(VIETINBANK)
    assert set(mappings) == {"vietinbank"}  # an instance without csv_mapping has none
    paid, returned = _lines(REPORT, "vietinbank", mappings)
    assert (paid.end_to_end_id, paid.amount_vnd, paid.direction, paid.holder_name) == (
        "2408-00012345-01-BTXH", 750_000, "DBIT", "LE VAN C",
    )  # fmt: skip
    assert paid.account_servicer_ref == "FT1"  # a column the built-in mapping already named
    assert (returned.direction, returned.status, returned.reason) == ("CRDT", "returned", "AC04")
    assert returned.booking_date == date(2024, 8, 22)


def test_without_a_configured_mapping_the_built_in_ones_still_apply():
    header = "end_to_end_id,amount_vnd,direction,booking_date,bank_reference,reason,holder_name\n"
    (line,) = _lines(header + "K1,5000,D,2024-08-21,FT1,,\n", "vietinbank", {})
    assert (line.end_to_end_id, line.direction) == ("K1", "DBIT")
    assert BANK_CSV.columns["amount_vnd"] == "amount_vnd"  # the override did not change the built-in


def test_a_mapping_of_its_own_with_balance_rows_reads_a_statement():
    mapping = mapping_from_settings(
        "momo",
        {
            "columns": {
                "provider_tx_id": "ma",
                "amount_vnd": "tien",
                "direction": "chieu",
                "booking_date": "ngay",
            },
            "record_type": "loai",
            "kinds": {"DAU": "opening", "CUOI": "closing", "GD": "entry"},
            "directions": {"RA": "DBIT", "VAO": "CRDT"},
        },
    )
    text = "loai,ma,tien,chieu,ngay\nDAU,,1000000,,\nGD,T1,250000,RA,2024-08-21\nCUOI,,750000,,\n"
    items = list(csv_lines(text, "momo", mappings={"momo": mapping}))
    assert [type(i) for i in items] == [Line, StatementRef, StatementRef, Totals]
    assert items[0].provider_tx_id == "T1"
    assert items[2] == StatementRef("report day", "momo", "2024-08-21")  # as a fetched report of the day
    assert items[3] == Totals("momo", date(2024, 8, 21), date(2024, 8, 21), 1_000_000, 750_000)


@pytest.mark.parametrize(
    ("table", "says"),
    [
        ("not a table", "csv_mapping must be a table"),
        ({"base": "bank_csv", "colums": {}}, "unknown key(s) colums"),
        ({"base": "vietcombank"}, "base 'vietcombank' is not a built-in mapping"),
        ({"base": "bank_csv", "columns": {"amount": "so_tien"}}, "unknown field(s) amount"),
        (
            {"columns": {"end_to_end_id": "ma", "amount_vnd": "tien"}},
            "must name the column of booking_date, direction",
        ),
        (
            {"columns": {"amount_vnd": "a", "direction": "b", "booking_date": "c"}},
            "end_to_end_id or provider_tx_id",
        ),
        ({"base": "bank_csv", "directions": {"N": "DEBIT"}}, "directions: N = 'DEBIT' not one of DBIT, CRDT"),
        ({"base": "bank_csv", "reasons": {"TK_DONG": "CLOSED"}}, "reasons: TK_DONG = 'CLOSED' not one of"),
        ({"base": "bank_csv", "kinds": {"GD": "entry"}}, "kinds needs record_type"),
        (
            {"base": "ewallet", "kinds": {"ENTRY": "row"}},
            "kinds: ENTRY = 'row' not one of opening, closing, entry",
        ),
        ({"base": "bank_csv", "columns": {"amount_vnd": ""}}, "columns must be a table of non-empty texts"),
    ],
    ids=[
        "not-a-table",
        "misspelt-key",
        "unknown-base",
        "unknown-field",
        "missing-fields",
        "no-reference",
        "bad-direction",
        "bad-reason",
        "kinds-without-record-type",
        "bad-kind",
        "empty-column",
    ],
)
def test_a_wrong_mapping_is_refused_naming_the_instance_and_what_is_wrong(table, says):
    with pytest.raises(AdapterConfigError) as refused:
        configured_mappings({"vietinbank": {"kind": "iso20022", "csv_mapping": table}})
    assert "adapter vietinbank: csv_mapping" in str(refused.value)
    assert says in str(refused.value)
