"""Vietnamese names: NFC storage form and the folded form used for search and rule 7.

Pure functions, no database. `fold_name` (upper case, no diacritics, `Đ`/`đ` as D) is the one
in `payments.text` that the provider's name check uses too: the registry's holder-name check and
the bank's must never disagree about the same two names.
"""

import re
import unicodedata

from payments.text import fold_name

__all__ = ["MAX_NAME_LENGTH", "fold_name", "name_problem", "names_match", "normalise_name"]

MAX_NAME_LENGTH = 200
_DIGIT_OR_CONTROL = re.compile(r"[\d\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")


def normalise_name(raw: str) -> str:
    """The stored form: NFC, inner whitespace collapsed to one space, trimmed."""
    return " ".join(unicodedata.normalize("NFC", raw).split())


def names_match(beneficiary_name: str, holder_name: str) -> bool:
    """DOMAIN rule 7: equal after folding both sides."""
    return fold_name(beneficiary_name) == fold_name(holder_name)


def name_problem(raw: str) -> str | None:
    """A plain message when a full name cannot be stored, else None."""
    name = normalise_name(raw)
    if not name:
        return "the full name is empty"
    if len(name) > MAX_NAME_LENGTH:
        return f"the full name is longer than {MAX_NAME_LENGTH} characters"
    if _DIGIT_OR_CONTROL.search(name):
        return "the full name contains digits or control characters"
    return None
