"""Pure text helpers shared by features that must not import each other (registry, adapters).

No database, no Flask: importing this module costs nothing.
"""

import unicodedata

# Unicode does not decompose Đ/đ into D + a mark, so NFKD alone would keep them; Icelandic Ð
# (U+00D0) and African Ɖ (U+0189) look identical and turn up in data typed on foreign keyboards.
_UNDECOMPOSABLE = str.maketrans({"Đ": "D", "đ": "d", "Ð": "D", "ð": "d", "Ɖ": "D", "ɖ": "d"})


def fold_name(name: str) -> str:
    """A person's name as banks report it: upper case, no diacritics, single spaces.

    `fold_name("  Nguyễn Thị  Đào ")` is `"NGUYEN THI DAO"`.
    """
    decomposed = unicodedata.normalize("NFKD", name.translate(_UNDECOMPOSABLE))
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.upper().split())


def names_match(reported: str | None, beneficiary_name: str) -> bool:
    """DOMAIN rule 7: the name a bank or wallet reports equals ours after folding both.

    An empty or missing reported name never matches.
    """
    if not reported:
        return False
    folded = fold_name(reported)
    return bool(folded) and folded == fold_name(beneficiary_name)
