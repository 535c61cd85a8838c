"""Password hashing with scrypt (from `cryptography`). Pure: no session.

The stored form carries its own parameters and salt, `scrypt$<n>$<r>$<p>$<salt>$<hash>`
(base64), so the cost can be raised later without breaking older hashes. Verification
compares in constant time (the KDF's own `verify`).
"""

import base64
import binascii
import secrets
from functools import cache

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from payments.errors import InvalidInput

SCHEME = "scrypt"
COST_N, BLOCK_R, PARALLEL_P = 2**15, 8, 1  # 32 MiB and tens of milliseconds per attempt
SALT_BYTES, KEY_BYTES = 16, 32
MIN_LENGTH, MAX_LENGTH = 10, 256
_MAX_COST_N = 2**20  # refuse stored parameters that would make one check take minutes


def hash_password(password: str, *, n: int = COST_N, r: int = BLOCK_R, p: int = PARALLEL_P) -> str:
    """The stored form of `password` with a fresh random salt. Raises InvalidInput when the
    password is shorter than MIN_LENGTH or longer than MAX_LENGTH characters."""
    check_strength(password)
    salt = secrets.token_bytes(SALT_BYTES)
    key = Scrypt(salt=salt, length=KEY_BYTES, n=n, r=r, p=p).derive(password.encode("utf-8"))
    return "$".join((SCHEME, str(n), str(r), str(p), _b64(salt), _b64(key)))


def verify_password(password: str, stored: str | None) -> bool:
    """True when `password` matches `stored`; False for a mismatch or an unusable stored form
    (none at all: an account made over the API has no console password). Either way it costs a
    full check, so that the time taken does not tell such an account from a real one."""
    parsed = _parse(stored)
    if parsed is None:
        burn_time(password)
        return False
    n, r, p, salt, key = parsed
    try:
        Scrypt(salt=salt, length=len(key), n=n, r=r, p=p).verify(password.encode("utf-8"), key)
    except InvalidKey:
        return False
    return True


def burn_time(password: str) -> None:
    """Spend what a real check costs, so that an unknown username answers no faster."""
    verify_password(password, _decoy())


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"a password needs at least {MIN_LENGTH} characters", field="password")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"a password may have at most {MAX_LENGTH} characters", field="password")


def _parse(stored: str | None) -> tuple[int, int, int, bytes, bytes] | None:
    parts = (stored or "").split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        return None
    try:
        n, r, p = (int(part) for part in parts[1:4])
        salt, key = base64.b64decode(parts[4], validate=True), base64.b64decode(parts[5], validate=True)
    except (ValueError, binascii.Error):
        return None
    if not (1 < n <= _MAX_COST_N and n & (n - 1) == 0 and 0 < r <= 32 and 0 < p <= 16 and key):
        return None
    return n, r, p, salt, key


@cache
def _decoy() -> str:
    return hash_password(secrets.token_urlsafe(16))


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
