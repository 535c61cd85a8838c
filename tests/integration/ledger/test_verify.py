"""verify recomputes everything and names the first bad entry, after real tampering."""

from datetime import UTC, date, datetime

from click.testing import Result
from sqlalchemy import text

from payments.chain import GENESIS_HASH
from payments.cli import cli
from payments.ledger import checkpoints, hashing, notes, repository, services
from payments.ledger.model import Checkpoint
from payments.ledger.verify import verify_ledger
from tests.integration.ledger.conftest import CLERK, ORIGIN, SIGNER, TRUSTED, accrual, drop_guards


def _verify(session, **kwargs):
    session.expire_all()
    return verify_ledger(session, TRUSTED, **kwargs)


def test_an_untouched_ledger_verifies_with_its_counts_and_head(five_entries):
    checkpoints.create_checkpoint(five_entries, SIGNER, ORIGIN, actor=CLERK)
    result = _verify(five_entries)
    assert (result.ok, result.entries, result.checkpoints, result.first_bad_seq) == (True, 5, 1, None)
    assert (
        result.head_hash
        == services.post_entry(five_entries, accrual(5, 500_000, memo={"n": 5}), actor=CLERK).hash
    )


def test_an_empty_ledger_verifies(session):
    result = _verify(session)
    assert (result.ok, result.entries, result.head_hash) == (True, 0, GENESIS_HASH)


def test_a_changed_amount_is_named_by_its_sequence_number(five_entries, db_kind):
    drop_guards(five_entries, db_kind)
    five_entries.execute(
        text("UPDATE ledger_postings SET amount_vnd = 300001 WHERE entry_seq = 3 AND line = 1")
    )
    result = _verify(five_entries)
    assert (result.ok, result.first_bad_seq) == (False, 3)
    assert "balance" in result.problem


def test_a_balanced_change_of_both_amounts_breaks_the_content_hash(five_entries, db_kind):
    drop_guards(five_entries, db_kind)
    five_entries.execute(text("UPDATE ledger_postings SET amount_vnd = amount_vnd * 2 WHERE entry_seq = 4"))
    result = _verify(five_entries)
    assert (result.ok, result.first_bad_seq) == (False, 4)
    assert "content hash" in result.problem


def test_a_deleted_entry_is_named_as_missing(five_entries, db_kind):
    drop_guards(five_entries, db_kind)
    five_entries.execute(text("DELETE FROM ledger_postings WHERE entry_seq = 2"))
    five_entries.execute(text("DELETE FROM ledger_entries WHERE seq = 2"))
    result = _verify(five_entries)
    assert (result.ok, result.first_bad_seq) == (False, 2)
    assert "missing" in result.problem


def test_two_swapped_entries_are_caught_at_the_first_of_them(five_entries, db_kind):
    drop_guards(five_entries, db_kind)
    for table, column in (("ledger_entries", "seq"), ("ledger_postings", "entry_seq")):
        five_entries.execute(text(f"UPDATE {table} SET {column} = 1002 WHERE {column} = 2"))
        five_entries.execute(text(f"UPDATE {table} SET {column} = 2 WHERE {column} = 3"))
        five_entries.execute(text(f"UPDATE {table} SET {column} = 3 WHERE {column} = 1002"))
    result = _verify(five_entries)
    assert (result.ok, result.first_bad_seq) == (False, 2)
    assert "previous hash" in result.problem


def test_a_changed_memo_byte_breaks_the_content_hash(five_entries, db_kind):
    drop_guards(five_entries, db_kind)
    five_entries.execute(text("UPDATE ledger_entries SET memo = :memo WHERE seq = 5"), {"memo": '{"n":9}'})
    result = _verify(five_entries)
    assert (result.ok, result.first_bad_seq) == (False, 5)


def test_a_changed_actor_breaks_the_entry_hash(five_entries, db_kind):
    drop_guards(five_entries, db_kind)
    five_entries.execute(text("UPDATE ledger_entries SET actor = 'mallory' WHERE seq = 1"))
    result = _verify(five_entries)
    assert (result.ok, result.first_bad_seq) == (False, 1)
    assert "hash does not match" in result.problem


def test_an_unreadable_stored_date_is_named_not_crashed_on(five_entries, db_kind):
    if db_kind != "sqlite":
        return  # PostgreSQL cannot store an impossible date
    drop_guards(five_entries, db_kind)
    five_entries.execute(text("UPDATE ledger_entries SET effective_date = '2025-13-45' WHERE seq = 4"))
    result = _verify(five_entries)
    assert (result.ok, result.first_bad_seq) == (False, 4)
    assert "cannot be read" in result.problem


def test_a_cached_balance_that_differs_from_the_postings_is_named(five_entries):
    five_entries.execute(
        text(
            "UPDATE ledger_balances SET balance_vnd = balance_vnd + 1 WHERE account_id ="
            " (SELECT id FROM ledger_accounts WHERE code = 'payable:2')"
        )
    )
    result = _verify(five_entries)
    assert not result.ok
    assert "payable:2" in result.problem


def test_an_account_whose_owner_was_changed_is_named(five_entries, db_kind):
    """Batches pay the owner of a payable account: a changed owner would pay someone else."""
    drop_guards(five_entries, db_kind)
    five_entries.execute(text("UPDATE ledger_accounts SET owner_ref = '999' WHERE code = 'payable:1'"))
    result = _verify(five_entries)
    assert not result.ok
    assert "account payable:1 is stored as type 'payable', owner '999'" in result.problem


def test_postings_of_an_entry_that_does_not_exist_are_named(five_entries, db_kind):
    """Postings past the head, with cached balances made to agree: no hash covers them."""
    drop_guards(five_entries, db_kind)
    account = "(SELECT id FROM ledger_accounts WHERE code = 'payable:1')"
    five_entries.execute(text(f"INSERT INTO ledger_postings VALUES (1000, 1, {account}, -7000000)"))
    five_entries.execute(
        text(f"UPDATE ledger_balances SET balance_vnd = balance_vnd - 7000000 WHERE account_id = {account}")
    )
    result = _verify(five_entries)
    assert (result.ok, result.first_bad_seq) == (False, 1000)
    assert "not in the chain (1 to 5)" in result.problem


def test_a_forged_checkpoint_signature_is_refused(five_entries):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    checkpoints.create_checkpoint(five_entries, Ed25519PrivateKey.generate(), ORIGIN, actor=CLERK)
    result = _verify(five_entries)
    assert not result.ok
    assert "no valid signature" in result.problem


def _rewrite_from(session, seq: int) -> None:
    """A superuser's consistent rewrite: change entry `seq` and recompute every hash after it."""
    session.execute(text(f"UPDATE ledger_postings SET amount_vnd = amount_vnd * 2 WHERE entry_seq = {seq}"))
    rows = session.execute(
        text("SELECT seq, prev_hash, recorded_at, actor, idempotency_key FROM ledger_entries ORDER BY seq")
    ).all()
    prev = GENESIS_HASH
    for row in rows:
        entry = services.repository.get_entry(session, row.seq)
        session.refresh(entry)
        postings = [(p.account_code, p.amount_vnd) for p in entry.postings]
        digest = hashing.content_hash(
            kind=entry.kind,
            effective_date=entry.effective_date,
            reverses_seq=None,
            payout_ref=None,
            enrolment_ref=None,
            period=entry.period,
            memo_json=text_memo(session, row.seq),
            postings=postings,
        )
        link = hashing.entry_hash(
            row.seq, prev, content_digest=digest, recorded_at=entry.recorded_at, actor=row.actor,
            idempotency_key=row.idempotency_key,
        )  # fmt: skip
        session.execute(
            text("UPDATE ledger_entries SET prev_hash = :p, content_hash = :c, hash = :h WHERE seq = :s"),
            {"p": prev, "c": digest, "h": link, "s": row.seq},
        )
        prev = link
    session.execute(
        text(
            "UPDATE ledger_balances SET balance_vnd ="
            " (SELECT coalesce(sum(amount_vnd), 0) FROM ledger_postings"
            " WHERE ledger_postings.account_id = ledger_balances.account_id)"
        )
    )


def text_memo(session, seq: int) -> str:
    return session.execute(text(f"SELECT CAST(memo AS TEXT) FROM ledger_entries WHERE seq = {seq}")).scalar()


def test_a_consistent_rewrite_of_the_chain_is_caught_by_the_signed_checkpoint(five_entries, db_kind):
    checkpoints.create_checkpoint(five_entries, SIGNER, ORIGIN, actor=CLERK)
    drop_guards(five_entries, db_kind)
    _rewrite_from(five_entries, 2)
    result = _verify(five_entries)
    assert (result.ok, result.entries, result.first_bad_seq) == (False, 5, 5)
    assert "differs from the signed head" in result.problem


def test_an_exported_checkpoint_catches_a_rewrite_even_after_the_rows_are_deleted(five_entries, db_kind):
    checkpoints.create_checkpoint(five_entries, SIGNER, ORIGIN, actor=CLERK)
    exported = checkpoints.export_checkpoints(five_entries, ORIGIN, SIGNER)
    drop_guards(five_entries, db_kind)
    five_entries.execute(text("DELETE FROM ledger_checkpoints"))
    _rewrite_from(five_entries, 2)
    assert _verify(five_entries).ok  # the database alone can no longer tell
    result = _verify(five_entries, external_notes=checkpoints.notes_from_export(exported))
    assert (result.ok, result.first_bad_seq) == (False, 5)
    assert "external checkpoint 1" in result.problem


def test_entries_removed_from_the_end_are_caught_by_a_checkpoint(five_entries, db_kind):
    checkpoints.create_checkpoint(five_entries, SIGNER, ORIGIN, actor=CLERK)
    drop_guards(five_entries, db_kind)
    five_entries.execute(text("DELETE FROM ledger_postings WHERE entry_seq >= 4"))
    five_entries.execute(text("DELETE FROM ledger_entries WHERE seq >= 4"))
    _rewrite_from(five_entries, 99)  # recompute balances so that only the checkpoint can tell
    result = _verify(five_entries)
    assert (result.ok, result.entries, result.first_bad_seq) == (False, 3, 4)
    assert "covers 5 entries but the chain has 3" in result.problem


def _cli(app, *args: str) -> Result:
    return app.test_cli_runner().invoke(cli, ["ledger", *args])


def test_the_cli_verifies_and_exits_zero_on_an_intact_ledger(app, five_entries):
    result = _cli(app, "verify")
    assert result.exit_code == 0, result.output
    assert "ledger intact: 5 entries" in result.output


def test_the_cli_exits_non_zero_naming_the_first_bad_entry(app, five_entries, db_kind):
    drop_guards(five_entries, db_kind)
    five_entries.execute(text("UPDATE ledger_entries SET idempotency_key = 'forged' WHERE seq = 2"))
    result = _cli(app, "verify", "--json")
    assert result.exit_code == 1
    report = __import__("json").loads(result.stdout.strip().splitlines()[-1])
    assert (report["ok"], report["first_bad_seq"]) == (False, 2)


def test_the_cli_signs_a_checkpoint_once_per_head_and_exports_them(app, five_entries, tmp_path):
    assert "signed: size 5" in _cli(app, "checkpoint").output
    assert "unchanged since: size 5" in _cli(app, "checkpoint").output
    services.post_entry(five_entries, accrual(6), actor=CLERK)
    five_entries.flush()
    assert "signed: size 6" in _cli(app, "checkpoint").output
    exported = tmp_path / "checkpoints.json"
    assert "wrote 2 checkpoints" in _cli(app, "export-checkpoints", str(exported)).output
    result = _cli(app, "verify", "--checkpoints", str(exported))
    assert result.exit_code == 0, result.output
    assert "4 checkpoints" in result.output  # 2 stored + the same 2 from the file


def test_the_cli_refuses_a_checkpoints_file_that_is_not_an_export(app, five_entries, tmp_path):
    bogus = tmp_path / "bogus.json"
    bogus.write_text('{"format": "something else"}')
    result = _cli(app, "verify", "--checkpoints", str(bogus))
    assert result.exit_code == 2
    assert "not an exported checkpoints file" in result.output


def test_reversal_entries_verify_too(five_entries):
    services.reverse_entry(five_entries, 2, effective_date=date(2025, 7, 9), reason="x", actor=CLERK)
    assert _verify(five_entries).ok


def test_a_checkpoint_row_edited_away_from_its_signed_note_is_named(five_entries, db_kind):
    checkpoint = checkpoints.create_checkpoint(five_entries, SIGNER, ORIGIN, actor=CLERK)
    drop_guards(five_entries, db_kind)
    five_entries.execute(text("UPDATE ledger_checkpoints SET size = 4 WHERE id = :id"), {"id": checkpoint.id})
    result = _verify(five_entries)
    assert not result.ok
    assert "does not match its signed note" in result.problem


def test_a_signed_checkpoint_that_goes_back_in_size_does_not_extend_the_previous(five_entries):
    checkpoints.create_checkpoint(five_entries, SIGNER, ORIGIN, actor=CLERK)
    older = notes.CheckpointBody(ORIGIN, 3, repository.hash_at(five_entries, 3))
    five_entries.add(
        Checkpoint(
            origin=ORIGIN, size=3, head_hash=older.head_hash, key_name=ORIGIN, key_id=TRUSTED[0].key_id.hex(),
            note=notes.sign(older, ORIGIN, SIGNER), created_at=datetime.now(UTC), actor="replayer",
        )
    )  # fmt: skip
    five_entries.flush()
    result = _verify(five_entries)
    assert (result.ok, result.first_bad_seq, result.checkpoints) == (False, 3, 1)
    assert "does not extend the previous one (5)" in result.problem
