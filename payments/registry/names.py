"""Vietnamese names: NFC storage form and the folded form used for search and rule 7.

Pure functions, no database. `fold_name` upper-cases and strips diacritics; `Đ`/`đ` need
their own mapping because Unicode gives them no decomposition (they are letters, not D plus a mark).
"""

import re
import unicodedata

_D_WITH_STROKE = str.maketrans({"Đ": "D", "đ": "d", "Ɖ": "D", "ɖ": "d"})
MAX_NAME_LENGTH = 200
_DIGIT_OR_CONTROL = re.compile(r"[\d\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")


def normalise_name(raw: str) -> str:
    """The stored form: NFC, inner whitespace collapsed to one space, trimmed."""
    return " ".join(unicodedata.normalize("NFC", raw).split())


def fold_name(raw: str) -> str:
    """Upper case without diacritics: 'Nguyễn Thị Đào' -> 'NGUYEN THI DAO'."""
    decomposed = unicodedata.normalize("NFD", raw.translate(_D_WITH_STROKE))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(unicodedata.normalize("NFC", stripped).upper().split())


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
