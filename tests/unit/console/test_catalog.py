"""The Vietnamese catalogue covers every console string, and its compiled .mo is current."""

from payments.console import catalog


def test_there_is_a_vietnamese_catalogue():
    assert [path.parent.parent.name for path in catalog.catalogues()] == ["vi"]


def test_every_console_string_has_a_vietnamese_translation():
    (po_path,) = catalog.catalogues()
    translated = {message.id: message.string for message in catalog.read(po_path) if message.id}
    missing = [message.id for message in catalog.extract() if message.id and not translated.get(message.id)]
    assert missing == [], "run `python -m payments.console.catalog` and translate the new strings"


def test_the_compiled_catalogue_matches_its_source():
    for po_path in catalog.catalogues():
        assert po_path.with_suffix(".mo").read_bytes() == catalog.compiled(po_path), (
            "run `python -m payments.console.catalog` to recompile"
        )


def test_placeholders_survive_translation():
    (po_path,) = catalog.catalogues()
    for message in catalog.read(po_path):
        if message.id and "%(" in message.id:
            names = sorted(part.split(")")[0] for part in message.id.split("%(")[1:])
            assert sorted(part.split(")")[0] for part in message.string.split("%(")[1:]) == names, message.id
