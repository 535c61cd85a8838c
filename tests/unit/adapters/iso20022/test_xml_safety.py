"""Files from outside are read with entities, DTDs and the network off; a DOCTYPE is refused."""

import pytest

from payments.adapters.iso20022.camt import iter_camt, read_camt
from payments.adapters.iso20022.pain001 import parse_pain001
from payments.adapters.iso20022.pain002 import read_pain002
from payments.adapters.iso20022.xmlsafe import MalformedMessage, WrongMessage, message_family, parse_tree
from payments.errors import InvalidInput
from tests.unit.adapters.iso20022.samples import CAMT053, CAMT054_RETURN, PAIN002

READERS = [read_pain002, read_camt, lambda source: list(iter_camt(source)), parse_pain001, parse_tree]


def with_doctype(document: bytes, doctype: bytes) -> bytes:
    return document.replace(b"<Document", doctype + b"\n<Document", 1)


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("TOP-SECRET-PASSWORD")
    return path


@pytest.mark.parametrize("read", READERS)
def test_an_external_entity_is_refused_and_never_expanded(read, secret, tmp_path):
    doctype = f'<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file://{secret}">]>'.encode()
    document = with_doctype(PAIN002, doctype).replace(b"VCB-PSR-0001", b"&xxe;")
    (tmp_path / "xxe.xml").write_bytes(document)
    with pytest.raises(MalformedMessage) as refused:
        read(tmp_path / "xxe.xml")
    assert "DOCTYPE is not allowed" in refused.value.reason
    assert "TOP-SECRET" not in str(refused.value)


@pytest.mark.parametrize("read", READERS)
def test_an_entity_bomb_is_refused_before_any_expansion(read):
    bomb = b'<!DOCTYPE Document [<!ENTITY a "aaaaaaaaaa">' + b"".join(
        f'<!ENTITY {chr(98 + n)} "{("&" + chr(97 + n) + ";") * 10}">'.encode() for n in range(8)
    )
    document = with_doctype(CAMT053, bomb + b"]>").replace(b"STMT-20240821-1", b"&i;")
    with pytest.raises(MalformedMessage, match="DOCTYPE"):
        read(document)


def test_a_doctype_without_entities_is_refused_too():
    with pytest.raises(MalformedMessage, match="DOCTYPE"):
        read_camt(with_doctype(CAMT053, b"<!DOCTYPE Document>"))


def test_an_undeclared_entity_is_a_plain_well_formedness_error_with_its_line():
    with pytest.raises(MalformedMessage) as refused:
        read_pain002(PAIN002.replace(b"VCB-PSR-0001", b"&xxe;"))
    assert refused.value.line == 4
    assert "not well-formed" in refused.value.reason
    assert refused.value.path == "/Document/CstmrPmtStsRpt/GrpHdr/MsgId"


def test_malformed_messages_are_invalid_input_with_a_stable_code():
    with pytest.raises(InvalidInput) as refused:
        read_camt(b"")
    assert refused.value.code == "malformed_message"
    assert "empty" in refused.value.detail


def test_a_file_of_blanks_or_only_a_comment_is_refused_with_a_plain_message():
    with pytest.raises(MalformedMessage, match=r"^\(line 1\): not well-formed XML: Start tag expected"):
        read_camt(b"   ")
    with pytest.raises(MalformedMessage, match="not well-formed"):
        read_pain002(b'<?xml version="1.0"?><!-- nothing here -->')


def test_the_message_family_is_told_from_the_root_namespace():
    assert [message_family(m) for m in (PAIN002, CAMT053, CAMT054_RETURN)] == [
        "pain.002",
        "camt.053",
        "camt.054",
    ]
    other = CAMT053.replace(b"camt.053.001.08", b"camt.052.001.08")
    with pytest.raises(WrongMessage, match=r"\(camt\.052\.001\.08\)"):
        message_family(other)
