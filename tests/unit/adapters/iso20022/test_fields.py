"""Reading an element by relative path: the index is worked out once per element shape, so
elements of one shape must still each read their own values, and odd shapes read right."""

from lxml import etree

from payments.adapters.iso20022 import fields
from payments.adapters.iso20022.fields import Here

NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def _here(xml: str, **options) -> Here:
    return Here(etree.fromstring(f'<Ntry xmlns="{NS}">{xml}</Ntry>'), NS, "/Ntry", **options)


def test_elements_of_one_shape_each_read_their_own_values():
    first = _here("<Refs><EndToEndId>A-1</EndToEndId></Refs><Amt>1</Amt>")
    second = _here("<Refs><EndToEndId>B-2</EndToEndId></Refs><Amt>2</Amt>")
    assert [h.text("Refs/EndToEndId") for h in (first, second)] == ["A-1", "B-2"]
    assert [h.text("Amt") for h in (first, second)] == ["1", "2"]


def test_a_path_that_repeats_lists_its_elements_in_file_order_whatever_their_depth():
    here = _here(
        "<Tx><Ref>1</Ref><Sub><Ref>x</Ref></Sub></Tx><Tx><Ref>2</Ref></Tx><Tx><Sub/><Ref>3</Ref></Tx>"
    )
    assert [node.text for node in here.findall("Tx/Ref")] == ["1", "2", "3"]
    assert [node.text for node in here.findall("Tx/Sub/Ref")] == ["x"]
    assert here.text("Ref") is None


def test_comments_and_processing_instructions_take_no_path():
    here = _here("<!-- a --><Refs><?pi x?><!-- b --><TxId>T</TxId></Refs><!-- c --><Amt>5</Amt>")
    assert (here.text("Refs/TxId"), here.text("Amt")) == ("T", "5")
    assert [node.tag for node in here.findall("Refs")] == [f"{{{NS}}}Refs"]


def test_an_opaque_part_is_indexed_but_not_entered():
    here = _here("<Dtls><TxDtls><Id>1</Id></TxDtls></Dtls>", opaque=frozenset({"Dtls/TxDtls"}))
    assert here.find("Dtls/TxDtls") is not None
    assert here.find("Dtls/TxDtls/Id") is None
    (part,) = here.each("Dtls/TxDtls")
    assert part.text("Id") == "1"


def test_an_opaque_part_inside_a_part_still_reads_its_own_children():
    here = _here("<Dtls><TxDtls><Id>1</Id></TxDtls></Dtls>", opaque=frozenset({"Dtls/TxDtls"}))
    (details,) = here.each("Dtls")
    (part,) = details.each("TxDtls")
    assert part.text("Id") == "1"


def test_each_part_reads_its_own_children_when_there_are_several_or_one():
    several = _here("<TxDtls><Id>1</Id></TxDtls><TxDtls><Nm>only here</Nm><Id>2</Id></TxDtls>")
    assert [(p.text("Id"), p.text("Nm")) for p in several.each("TxDtls")] == [("1", None), ("2", "only here")]
    (one,) = _here("<TxDtls><Id>7</Id><Amt>9</Amt></TxDtls><Amt>1</Amt>").each("TxDtls")
    assert (one.text("Id"), one.text("Amt"), one.find("TxDtls")) == ("7", "9", None)


def test_a_missing_child_of_a_part_is_reported_under_the_part_s_path():
    _, second = _here("<TxDtls><Id>1</Id></TxDtls><TxDtls><Id>2</Id></TxDtls>").each("TxDtls")
    assert second.fail("required element Amt is missing", missing="Amt").path == "/Ntry/TxDtls[2]/Amt"
    (only,) = _here("<Sts/><TxDtls><Id>1</Id></TxDtls>").each("TxDtls")
    assert only.fail("required element Amt is missing", missing="Amt").path == "/Ntry/TxDtls/Amt"


def test_more_shapes_than_are_remembered_are_still_read_right():
    shapes = [_here("<Refs>" + "<!-- -->" * n + f"<TxId>{n}</TxId></Refs>") for n in range(300)]
    assert [h.text("Refs/TxId") for h in shapes] == [str(n) for n in range(300)]
    assert len(fields._LAYOUTS) <= fields._MAX_LAYOUTS
