import base64
import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from payments.ledger.notes import (
    SIGNATURE_PREFIX,
    CheckpointBody,
    NoteError,
    NoteKey,
    open_note,
    sign,
    sign_text,
    verified_text,
)

ORIGIN = "payments.example/ledger"
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
TRUSTED = NoteKey(ORIGIN, KEY.public_key())
BODY = CheckpointBody(ORIGIN, 42, "ab" * 32)


def _raw_public(key):
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def test_a_signed_checkpoint_reads_as_c2sp_signed_note_text():
    note = sign(BODY, ORIGIN, KEY)
    text, signature_line = note.split("\n\n")
    assert text == f"{ORIGIN}\n42\n{base64.b64encode(bytes.fromhex('ab' * 32)).decode()}"
    assert signature_line.startswith(f"\u2014 {ORIGIN} ")
    blob = base64.b64decode(signature_line.rsplit(" ", 1)[1])
    key_id = hashlib.sha256(ORIGIN.encode() + b"\n\x01" + _raw_public(KEY)).digest()[:4]
    assert blob[:4] == key_id
    KEY.public_key().verify(blob[4:], (text + "\n").encode())  # raises if not a signature of the body


def test_a_note_opens_to_the_checkpoint_it_states():
    assert open_note(sign(BODY, ORIGIN, KEY), [TRUSTED]) == BODY


def test_a_changed_body_no_longer_verifies():
    note = sign(BODY, ORIGIN, KEY).replace("\n42\n", "\n43\n")
    with pytest.raises(NoteError, match="no valid signature"):
        open_note(note, [TRUSTED])


def test_a_note_signed_by_another_key_is_refused():
    other = Ed25519PrivateKey.generate()
    with pytest.raises(NoteError, match="no valid signature"):
        open_note(sign(BODY, ORIGIN, other), [TRUSTED])


def test_a_signature_under_another_key_name_is_refused():
    with pytest.raises(NoteError):
        open_note(sign(BODY, "someone.else/ledger", KEY), [TRUSTED])


@pytest.mark.parametrize(
    "note",
    ["", "no blank line\n", f"{ORIGIN}\nxx\nAAAA\n\n{SIGNATURE_PREFIX}{ORIGIN} AAAA\n"],
)
def test_malformed_notes_are_refused(note):
    with pytest.raises(NoteError):
        open_note(note, [TRUSTED])


def test_the_verifier_key_round_trips_and_its_id_is_checked():
    assert NoteKey.from_vkey(TRUSTED.vkey).raw == TRUSTED.raw
    name, key_id, encoded = TRUSTED.vkey.split("+", 2)
    assert (name, len(key_id)) == (ORIGIN, 8)
    with pytest.raises(NoteError, match="id does not match"):
        NoteKey.from_vkey(f"{name}+00000000+{encoded}")


def test_a_key_name_with_spaces_or_plus_is_refused():
    with pytest.raises(NoteError):
        NoteKey("my ledger", KEY.public_key())
    with pytest.raises(NoteError):
        NoteKey("a+b", KEY.public_key())


# The example of golang.org/x/mod/sumdb/note (its package documentation and note_test.go):
# an independent implementation of signed notes. Ed25519 is deterministic, so signing the
# same text with the same key must give its published note byte for byte.
GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
)
GO_SIGNATURE = "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
GO_NOTE = f"{GO_TEXT}\n\u2014 PeterNeumann {GO_SIGNATURE}\n"


def test_notes_match_the_go_reference_implementation_byte_for_byte():
    seed = base64.b64decode(GO_SIGNER.split("+", 4)[4])[1:]
    go_key = Ed25519PrivateKey.from_private_bytes(seed)
    assert NoteKey("PeterNeumann", go_key.public_key()).vkey == GO_VERIFIER
    assert sign_text(GO_TEXT, "PeterNeumann", go_key) == GO_NOTE
    assert verified_text(GO_NOTE, [NoteKey.from_vkey(GO_VERIFIER)]) == GO_TEXT
    with pytest.raises(NoteError):
        verified_text(GO_NOTE.replace("cryptography", "cryptographY"), [NoteKey.from_vkey(GO_VERIFIER)])
