"""The console's message catalogues: extract the English ids, compile the .po files to .mo.

`python -m payments.console.catalog` extracts the ids from the code and templates, merges
them into each language's .po (new ids arrive untranslated, unused ones are dropped) and
compiles every .po to its .mo. Tests check that each id has a translation and that the .mo is current.
"""

import io
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from payments.console.i18n import TRANSLATIONS

PACKAGE = Path(__file__).resolve().parent
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n"}


def extract() -> Catalog:
    """Every translatable English string in the console's code and templates."""
    catalog = Catalog(project="payments-console", charset="utf-8")
    found = extract_from_dir(
        str(PACKAGE), METHODS, keywords=KEYWORDS, options_map={"**/templates/**.html": JINJA_OPTIONS}
    )
    for filename, lineno, message, comments, context in found:
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def catalogues() -> list[Path]:
    return sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))


def read(po_path: Path) -> Catalog:
    with po_path.open("rb") as handle:
        return read_po(handle)


def compiled(po_path: Path) -> bytes:
    """The .mo bytes for one .po file (fuzzy entries left out, as gettext does)."""
    buffer = io.BytesIO()
    write_mo(buffer, read(po_path), use_fuzzy=False)
    return buffer.getvalue()


def main() -> None:
    template = extract()
    for po_path in catalogues():
        catalog = read(po_path)
        catalog.update(template, no_fuzzy_matching=True)
        with po_path.open("wb") as handle:
            write_po(handle, catalog, sort_output=True, no_location=True, ignore_obsolete=True)
        po_path.with_suffix(".mo").write_bytes(compiled(po_path))
        print(f"updated {po_path} and compiled its .mo")


if __name__ == "__main__":
    main()
