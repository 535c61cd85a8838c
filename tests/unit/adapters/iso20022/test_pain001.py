"""pain.001.001.09: what we send to a bank, checked against the official schema before it leaves."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from lxml import etree

from payments.adapters.iso20022.pain001 import (
    NAMESPACE,
    build_pain001,
    file_name,
    message_id_for,
    parse_pain001,
    write_pain001,
)
from payments.adapters.iso20022.xmlsafe import MalformedMessage, parse_tree, schema
from payments.errors import Conflict, InvalidInput
from tests.unit.adapters.iso20022.samples import message, transfer

NS = {"p": NAMESPACE}


def xpath(data: bytes, path: str) -> list[str]:
    return [str(v) for v in etree.fromstring(data).xpath(path, namespaces=NS)]


def test_the_generated_file_validates_against_the_official_xsd():
    data = build_pain001(message())
    assert schema("pain.001.001.09.xsd").validate(parse_tree(data))


def test_the_identifiers_and_control_totals_are_where_the_bank_looks_for_them():
    data = build_pain001(message(transfer(1, 500_000), transfer(2, 750_000), transfer(3, 1_250_000)))
    assert xpath(data, "//p:GrpHdr/p:MsgId/text()") == ["B-2024-08-1a2b3c4d5e6f"]
    assert xpath(data, "//p:PmtInf/p:PmtInfId/text()") == ["B-2024-08-1a2b3c4d5e6f"]
    assert xpath(data, "//p:GrpHdr/p:NbOfTxs/text()") == ["3"]
    assert xpath(data, "//p:GrpHdr/p:CtrlSum/text()") == ["2500000"]
    assert xpath(data, "//p:PmtInf/p:PmtMtd/text()") == ["TRF"]
    assert xpath(data, "//p:CdtTrfTxInf/p:PmtId/p:EndToEndId/text()") == [
        "P-LD-2024-08-000001",
        "P-LD-2024-08-000002",
        "P-LD-2024-08-000003",
    ]
    assert xpath(data, "//p:CdtTrfTxInf/p:PmtId/p:InstrId/text()")[2] == "B-2024-08-1a2b/000003"


def test_amounts_are_whole_dong_in_vnd_and_banks_are_named_by_bin():
    data = build_pain001(message(transfer(1, 1_878_000)))
    assert xpath(data, "//p:InstdAmt/text()") == ["1878000"]
    assert xpath(data, "//p:InstdAmt/@Ccy") == ["VND"]
    assert xpath(data, "//p:CdtrAgt/p:FinInstnId/p:ClrSysMmbId/p:MmbId/text()") == ["970415"]
    assert xpath(data, "//p:DbtrAgt/p:FinInstnId/p:ClrSysMmbId/p:MmbId/text()") == ["970436"]
    assert xpath(data, "//p:CdtrAcct/p:Id/p:Othr/p:Id/text()") == ["102200330001"]
    assert xpath(data, "//p:RmtInf/p:Ustrd/text()") == ["BTXH 2024-08"]


def test_reading_the_file_back_gives_the_same_message():
    original = message()
    assert parse_pain001(build_pain001(original)) == original


def test_the_same_input_gives_the_same_bytes():
    assert build_pain001(message()) == build_pain001(message())


def test_a_message_id_is_stable_per_chunk_fits_35_characters_and_differs_between_chunks():
    first = message_id_for("B-2024-08-LAM-DONG-BTXH-PROVINCE-WIDE", ["P1", "P2"])
    assert first == message_id_for("B-2024-08-LAM-DONG-BTXH-PROVINCE-WIDE", ["P1", "P2"])
    assert len(first) <= 35
    assert first != message_id_for("B-2024-08-LAM-DONG-BTXH-PROVINCE-WIDE", ["P3"])
    assert first != message_id_for("B-2024-09-LAM-DONG-BTXH-PROVINCE-WIDE", ["P1", "P2"])
    assert message_id_for("B 2024/08", ["P1"]).startswith("B_2024_08-")


def test_a_name_longer_than_the_schema_allows_is_refused_naming_the_element():
    with pytest.raises(MalformedMessage) as refused:
        build_pain001(message(transfer(1, creditor_name="A" * 141)))
    assert refused.value.path == "/Document/CstmrCdtTrfInitn/PmtInf/CdtTrfTxInf/Cdtr/Nm"
    assert "pain.001.001.09.xsd" in refused.value.reason


def test_an_end_to_end_id_over_35_characters_or_a_repeated_one_is_refused():
    with pytest.raises(InvalidInput, match="1 to 35"):
        build_pain001(message(transfer(1, end_to_end_id="P" * 36)))
    with pytest.raises(InvalidInput, match="repeats"):
        build_pain001(message(transfer(1), transfer(1)))


def test_a_zero_amount_is_refused():
    with pytest.raises(InvalidInput, match="positive"):
        build_pain001(message(transfer(1, 0)))


def test_the_file_is_written_whole_into_the_outbox_and_a_rewrite_is_a_no_op(tmp_path):
    path = write_pain001(message(), tmp_path)
    assert path.name == file_name(message()) == "pain001-B-2024-08-1a2b3c4d5e6f.xml"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    before = path.stat().st_mtime_ns
    assert write_pain001(message(), tmp_path) == path
    assert path.stat().st_mtime_ns == before


def test_the_same_payouts_made_at_another_moment_keep_the_file_already_written(tmp_path):
    path = write_pain001(message(), tmp_path)
    before = path.read_bytes()
    later = replace(message(), created_at=datetime(2024, 8, 20, 9, 0, tzinfo=UTC))
    assert write_pain001(later, tmp_path) == path
    assert path.read_bytes() == before


def test_a_different_file_under_a_message_id_already_sent_is_refused(tmp_path):
    write_pain001(message(), tmp_path)
    with pytest.raises(Conflict):
        write_pain001(message(transfer(1, 999_000)), tmp_path)
    assert parse_pain001(tmp_path / file_name(message())) == message()


def test_a_file_whose_control_totals_disagree_is_refused_on_reading():
    data = build_pain001(message()).replace(b"<NbOfTxs>2</NbOfTxs>", b"<NbOfTxs>3</NbOfTxs>", 1)
    with pytest.raises(MalformedMessage) as refused:
        parse_pain001(data)
    assert refused.value.path == "/Document/CstmrCdtTrfInitn/GrpHdr/NbOfTxs"
    assert "says 3 but the file has 2" in refused.value.reason
    data = build_pain001(message()).replace(b"<CtrlSum>1250000</CtrlSum>", b"<CtrlSum>1250001</CtrlSum>")
    with pytest.raises(MalformedMessage, match="CtrlSum says 1250001"):
        parse_pain001(data)
