"""Personal data at rest: AES-256-GCM with a key ring, and a keyed blind index.

Each ciphertext is stored with the id of the key that made it, so keys can be rotated
(`payments keys rotate`) while old rows stay readable. The stored bytes are the 12-byte
random nonce followed by the GCM ciphertext and tag. The field name is bound in as
associated data, so a citizen ID's ciphertext cannot be passed off as a phone number.

The blind index is HMAC-SHA256 under a separate key, over the field name and the value:
equal values give equal indexes (exact lookup, uniqueness, "same account used twice")
without the database ever holding the value.
"""

import base64
import hashlib
import hmac
import os
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from payments.config import DEV_PII_INDEX_KEY, DEV_PII_KEYS, PiiKey, Settings, parse_pii_keys
from payments.errors import ConfigError

NONCE_BYTES = 12


@dataclass(frozen=True)
class Sealed:
    ciphertext: bytes
    key_id: str


class PiiCipher:
    """Encrypts with the first key of the ring; decrypts with whichever key a row names."""

    def __init__(self, keys: Sequence[PiiKey], index_key: bytes) -> None:
        if not keys:
            raise ConfigError("PAYMENTS_PII_KEYS must hold at least one key")
        if len(index_key) != 32:
            raise ConfigError("PAYMENTS_PII_INDEX_KEY must be 32 bytes")
        self.current_key_id = keys[0].key_id
        self._aead = {key.key_id: AESGCM(key.key) for key in keys}
        self._index_key = index_key
        self._index_bases: dict[str, hmac.HMAC] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> "PiiCipher":
        """The cipher for these settings. Settings built by hand outside production (tests) may
        carry no keys: they get the development keys that Settings.from_env would give them."""
        keys, index_key = settings.pii_keys, settings.pii_index_key
        if not keys and not settings.is_production:
            keys, index_key = parse_pii_keys(DEV_PII_KEYS), base64.b64decode(DEV_PII_INDEX_KEY)
        return cls(keys, index_key)

    def seal(self, field: str, plaintext: str) -> Sealed:
        nonce = os.urandom(NONCE_BYTES)
        aead = self._aead[self.current_key_id]
        body = aead.encrypt(nonce, plaintext.encode(), field.encode())
        return Sealed(nonce + body, self.current_key_id)

    def open(self, field: str, ciphertext: bytes, key_id: str) -> str:
        """The plaintext. Raises ConfigError when the key is no longer in the ring or the
        ciphertext was altered (both mean the data cannot be trusted, not a user error)."""
        aead = self._aead.get(key_id)
        if aead is None:
            raise ConfigError(f"PII key {key_id!r} is not in PAYMENTS_PII_KEYS; add it back to read this row")
        try:
            data = aead.decrypt(ciphertext[:NONCE_BYTES], ciphertext[NONCE_BYTES:], field.encode())
        except InvalidTag as exc:
            raise ConfigError(f"a {field} ciphertext failed authentication") from exc
        return data.decode()

    def index(self, field: str, value: str) -> str:
        """The blind index of `value` for `field`: 64 hex characters."""
        base = self._index_bases.get(field)
        if base is None:  # keyed once per field; copies are much cheaper than new HMACs
            base = self._index_bases[field] = hmac.new(
                self._index_key, field.encode() + b"\x00", hashlib.sha256
            )
        digest = base.copy()
        digest.update(value.encode())
        return digest.hexdigest()


def mask(value: str | None, visible: int = 3) -> str | None:
    """'079012345678' -> '*********678'."""
    if value is None:
        return None
    shown = value[-visible:] if len(value) > visible else ""
    return "*" * (len(value) - len(shown)) + shown
