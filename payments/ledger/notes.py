"""Signed notes (C2SP signed-note) with Ed25519, and the transparency-log checkpoint body.

Pure: no session. A checkpoint note reads

    <origin>
    <size>
    <base64 of the 32-byte head hash>

    — <key name> <base64(4-byte key id || 64-byte Ed25519 signature)>

The key id is the first 4 bytes of SHA-256(key name || "\\n" || 0x01 || public key), and a
verifier key is written `<name>+<hex key id>+<base64(0x01 || public key)>`, so any tool that
speaks signed notes (e.g. golang.org/x/mod/sumdb/note) can check an exported checkpoint.
"""

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = b"\x01"
SIGNATURE_PREFIX = "\u2014 "  # an em dash and a space open every signature line
_RAW = (serialization.Encoding.Raw, serialization.PublicFormat.Raw)


class NoteError(ValueError):
    """A note that is malformed or carries no valid signature by a trusted key."""


@dataclass(frozen=True)
class NoteKey:
    """A named Ed25519 public key that signed notes are checked against."""

    name: str
    public_key: Ed25519PublicKey

    def __post_init__(self) -> None:
        if not self.name or any(c.isspace() or c == "+" for c in self.name):
            raise NoteError(f"key name {self.name!r} must be non-empty, without spaces or '+'")

    @property
    def raw(self) -> bytes:
        return self.public_key.public_bytes(*_RAW)

    @property
    def key_id(self) -> bytes:
        return hashlib.sha256(self.name.encode() + b"\n" + ED25519 + self.raw).digest()[:4]

    @property
    def vkey(self) -> str:
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(ED25519 + self.raw).decode()}"

    @classmethod
    def from_vkey(cls, vkey: str) -> "NoteKey":
        name, _, rest = vkey.partition("+")
        hex_id, _, encoded = rest.partition("+")
        try:
            blob = base64.b64decode(encoded, validate=True)
        except binascii.Error as exc:
            raise NoteError("verifier key is not valid base64") from exc
        if blob[:1] != ED25519 or len(blob) != 33:
            raise NoteError("verifier key is not an Ed25519 key")
        key = cls(name, Ed25519PublicKey.from_public_bytes(blob[1:]))
        if key.key_id.hex() != hex_id:
            raise NoteError("verifier key id does not match its name and key")
        return key


@dataclass(frozen=True)
class CheckpointBody:
    origin: str
    size: int
    head_hash: str  # hex

    def text(self) -> str:
        encoded = base64.b64encode(bytes.fromhex(self.head_hash)).decode()
        return f"{self.origin}\n{self.size}\n{encoded}\n"


def sign(body: CheckpointBody, name: str, private_key: Ed25519PrivateKey) -> str:
    """The whole signed checkpoint note: body, a blank line, one signature line."""
    return sign_text(body.text(), name, private_key)


def open_note(note: str, trusted: list[NoteKey]) -> CheckpointBody:
    """The checkpoint a note states, if a trusted key signed it. Raises NoteError otherwise."""
    return _parse_body(verified_text(note, trusted))


def sign_text(text: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """Any note text (ending in a newline) signed under `name`, in signed-note form."""
    if not text.endswith("\n"):
        raise NoteError("a note's text ends with a newline")
    key = NoteKey(name, private_key.public_key())
    signature = base64.b64encode(key.key_id + private_key.sign(text.encode())).decode()
    return f"{text}\n{SIGNATURE_PREFIX}{name} {signature}\n"


def verified_text(note: str, trusted: list[NoteKey]) -> str:
    """The text of a signed note if a trusted key signed it. Raises NoteError otherwise."""
    text, sep, signatures = note.rpartition("\n\n")
    if not sep or not signatures.endswith("\n"):
        raise NoteError("not a signed note: no blank line before the signatures")
    text += "\n"
    if not any(_signed_by(key, text, line) for line in signatures.splitlines() for key in trusted):
        raise NoteError("no valid signature by a trusted key")
    return text


def _signed_by(key: NoteKey, text: str, line: str) -> bool:
    if not line.startswith(SIGNATURE_PREFIX):
        return False
    name, _, encoded = line[len(SIGNATURE_PREFIX) :].rpartition(" ")
    try:
        blob = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        return False
    if name != key.name or blob[:4] != key.key_id:
        return False
    try:
        key.public_key.verify(blob[4:], text.encode())
    except InvalidSignature:
        return False
    return True


def _parse_body(text: str) -> CheckpointBody:
    lines = text.split("\n")
    if len(lines) < 4 or not lines[1].isdigit():
        raise NoteError("checkpoint body must be origin, size and base64 head hash, one per line")
    try:
        head = base64.b64decode(lines[2], validate=True)
    except binascii.Error as exc:
        raise NoteError("checkpoint head hash is not valid base64") from exc
    if len(head) != 32:
        raise NoteError("checkpoint head hash is not 32 bytes")
    return CheckpointBody(lines[0], int(lines[1]), head.hex())
