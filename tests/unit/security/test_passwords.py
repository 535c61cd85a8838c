"""scrypt password hashes: salted, self-describing, constant-time checked, strength-checked."""

import pytest

from payments.errors import InvalidInput
from payments.security.passwords import hash_password, verify_password

FAST = {"n": 2**10}  # a small cost keeps these tests quick; the format is the same


def test_a_hash_verifies_its_password_and_no_other():
    stored = hash_password("correct horse battery", **FAST)
    assert verify_password("correct horse battery", stored)
    assert not verify_password("correct horse batterY", stored)


def test_the_same_password_hashes_differently_each_time_because_of_the_salt():
    assert hash_password("correct horse battery", **FAST) != hash_password("correct horse battery", **FAST)


def test_the_stored_form_names_scrypt_and_its_parameters():
    scheme, n, r, p, salt, key = hash_password("correct horse battery").split("$")
    assert (scheme, n, r, p) == ("scrypt", "32768", "8", "1")
    assert (len(salt), len(key)) == (24, 44)  # base64 of a 16-byte salt and a 32-byte key


@pytest.mark.parametrize(
    "stored",
    [None, "", "plaintext", "bcrypt$12$x$y$z$w", "scrypt$3$8$1$AAAA$AAAA", "scrypt$1024$8$1$!!$AAAA",
     "scrypt$2097152$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA"],
)  # fmt: skip
def test_a_missing_or_malformed_stored_hash_never_verifies(stored):
    assert not verify_password("correct horse battery", stored)


def test_short_and_huge_passwords_are_refused():
    with pytest.raises(InvalidInput, match="at least 10"):
        hash_password("short")
    with pytest.raises(InvalidInput, match="at most 256"):
        hash_password("x" * 257)
