from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import serialization

from payments.chain import GENESIS_HASH
from payments.clock import fixed_clock
from payments.ledger import checkpoints, notes, repository, services
from tests.integration.ledger.conftest import CLERK, ORIGIN, SIGNER, TRUSTED, accrual


def test_a_checkpoint_signs_the_current_size_and_head(five_entries):
    moment = datetime(2025, 8, 1, tzinfo=UTC)
    checkpoint = checkpoints.create_checkpoint(
        five_entries, SIGNER, ORIGIN, actor=CLERK, clock=fixed_clock(moment)
    )
    assert (checkpoint.size, checkpoint.head_hash) == repository.head(five_entries)
    assert (checkpoint.origin, checkpoint.key_name, checkpoint.actor, checkpoint.created_at) == (
        ORIGIN,
        ORIGIN,
        "clerk",
        moment,
    )
    assert notes.open_note(checkpoint.note, TRUSTED) == notes.CheckpointBody(ORIGIN, 5, checkpoint.head_hash)
    assert checkpoint.key_id == TRUSTED[0].key_id.hex()


def test_checkpointing_twice_without_new_entries_returns_the_same_checkpoint(five_entries):
    first = checkpoints.create_checkpoint(five_entries, SIGNER, ORIGIN, actor=CLERK)
    again = checkpoints.create_checkpoint(five_entries, SIGNER, ORIGIN, actor=CLERK)
    assert again.id == first.id
    services.post_entry(five_entries, accrual(6), actor=CLERK)
    later = checkpoints.create_checkpoint(five_entries, SIGNER, ORIGIN, actor=CLERK)
    assert (later.id > first.id, later.size) == (True, 6)
    assert [c.size for c in repository.checkpoints(five_entries)] == [5, 6]


def test_an_empty_ledger_can_be_checkpointed_at_the_genesis_hash(session):
    checkpoint = checkpoints.create_checkpoint(session, SIGNER, ORIGIN, actor=CLERK)
    assert (checkpoint.size, checkpoint.head_hash) == (0, GENESIS_HASH)


def test_an_origin_unusable_as_a_key_name_is_refused(session):
    with pytest.raises(notes.NoteError):
        checkpoints.create_checkpoint(session, SIGNER, "my ledger", actor=CLERK)


def test_the_public_key_document_gives_the_same_key_as_vkey_and_pem():
    document = checkpoints.public_key_document(ORIGIN, SIGNER)
    raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
    from_pem = serialization.load_pem_public_key(document["public_key_pem"].encode())
    assert from_pem.public_bytes(*raw) == TRUSTED[0].raw
    assert notes.NoteKey.from_vkey(document["vkey"]).raw == TRUSTED[0].raw
    assert (document["algorithm"], document["key_name"], document["key_id"]) == (
        "ed25519",
        ORIGIN,
        TRUSTED[0].key_id.hex(),
    )


def test_the_export_holds_every_note_and_the_verifier_key(five_entries):
    checkpoints.create_checkpoint(five_entries, SIGNER, ORIGIN, actor=CLERK)
    document = checkpoints.export_checkpoints(five_entries, ORIGIN, SIGNER)
    assert document["format"] == checkpoints.EXPORT_FORMAT
    assert document["vkey"] == TRUSTED[0].vkey
    [note] = checkpoints.notes_from_export(document)
    assert notes.open_note(note, [notes.NoteKey.from_vkey(document["vkey"])]).size == 5


def test_a_document_in_another_format_is_refused():
    with pytest.raises(notes.NoteError):
        checkpoints.notes_from_export({"format": "other", "checkpoints": []})
