"""`payments ledger verify [--json] [--checkpoints FILE]`, `payments ledger checkpoint` and
`payments ledger export-checkpoints FILE`."""

import json
import sys
from dataclasses import asdict
from pathlib import Path

import click
from flask.cli import with_appcontext

from payments.audit.services import record_event
from payments.commands.common import cli_actor, runtime, unit_of_work
from payments.ledger import checkpoints, repository
from payments.ledger.notes import NoteError, NoteKey
from payments.ledger.verify import Verification, verify_ledger


@click.group()
def ledger() -> None:
    """The double-entry ledger: verify it, sign and export checkpoints."""


@ledger.command("verify")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
@click.option(
    "--checkpoints",
    "checkpoint_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="also check the chain against an exported checkpoints file kept outside the database",
)
@with_appcontext
def ledger_verify(as_json: bool, checkpoint_file: Path | None) -> None:
    """Recompute every hash, balance and checkpoint; exit 1 naming the first bad entry."""
    settings = runtime().settings
    key = NoteKey(settings.ledger_origin, settings.load_signing_key().public_key())
    external = _external_notes(checkpoint_file)
    with unit_of_work() as session:
        size, _ = repository.head(session)
        with click.progressbar(length=size, label="verifying the ledger", file=sys.stderr) as bar:
            result = verify_ledger(session, [key], external_notes=external, progress=bar.update)
    _report(result, as_json)
    sys.exit(0 if result.ok else 1)


def _external_notes(path: Path | None) -> list[str]:
    if path is None:
        return []
    try:
        return checkpoints.notes_from_export(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError, NoteError) as exc:
        raise click.BadParameter(f"{path} is not an exported checkpoints file: {exc}") from exc


def _report(result: Verification, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(asdict(result)))
    elif result.ok:
        counts = f"{result.entries:,} entries, {result.checkpoints} checkpoints"
        click.echo(f"ledger intact: {counts}, head {result.head_hash}")
    else:
        where = f"seq {result.first_bad_seq}" if result.first_bad_seq is not None else "the ledger"
        click.echo(f"ledger broken at {where}: {result.problem}", err=True)


@ledger.command("checkpoint")
@with_appcontext
def ledger_checkpoint() -> None:
    """Sign the current chain head (safe to run twice: an unchanged head is not signed again)."""
    settings = runtime().settings
    actor = cli_actor()
    with unit_of_work() as session:
        before = repository.latest_checkpoint(session)
        checkpoint = checkpoints.create_checkpoint(
            session, settings.load_signing_key(), settings.ledger_origin, actor=actor
        )
        created = before is None or checkpoint.id != before.id
        if created:
            after = {"size": checkpoint.size, "head_hash": checkpoint.head_hash, "key_id": checkpoint.key_id}
            record_event(session, actor, "ledger.checkpoint", "ledger_checkpoint", checkpoint.id, after=after)
    state = "signed" if created else "unchanged since"
    click.echo(f"checkpoint #{checkpoint.id} {state}: size {checkpoint.size}, head {checkpoint.head_hash}")


@ledger.command("export-checkpoints")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_appcontext
def ledger_export_checkpoints(path: Path) -> None:
    """Write every signed checkpoint and the verifier key to PATH (JSON), to keep outside the database."""
    settings = runtime().settings
    with unit_of_work() as session:
        document = checkpoints.export_checkpoints(
            session, settings.ledger_origin, settings.load_signing_key()
        )
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    click.echo(f"wrote {len(document['checkpoints'])} checkpoints to {path}")
