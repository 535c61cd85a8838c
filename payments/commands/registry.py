"""`payments registry import FILE.csv [--dry-run]`, `payments registry import-units FILE.csv`
and `payments keys rotate`."""

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from payments.commands.common import cli_actor, runtime, unit_of_work
from payments.registry.crypto import PiiCipher
from payments.registry.importer import ImportReport, import_beneficiaries
from payments.registry.rotation import rotate_keys, rows_to_rotate
from payments.registry.units import import_units

MAX_PROBLEMS_SHOWN = 200


@click.group()
def registry() -> None:
    """The beneficiary registry."""


@registry.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="check and count, write nothing")
@click.option("--skip-invalid", is_flag=True, help="write the valid rows even if some rows have problems")
@with_appcontext
def registry_import(path: Path, dry_run: bool, skip_invalid: bool) -> None:
    """Import a beneficiary list (UTF-8 CSV; header in payments/registry/importer.py)."""
    lines = max(sum(1 for _ in path.open(encoding="utf-8-sig", errors="replace")) - 1, 0)
    cipher = PiiCipher.from_settings(runtime().settings)
    with click.progressbar(length=lines, label="importing", file=sys.stderr) as bar:
        with unit_of_work() as session:
            report = import_beneficiaries(
                session, cli_actor(), cipher, lambda: path.open(encoding="utf-8-sig", newline=""),
                dry_run=dry_run, skip_invalid=skip_invalid, progress=bar.update,
            )  # fmt: skip
        bar.update(lines)
    _print_report(report)
    sys.exit(1 if report.problems and not report.written else 0)


def _print_report(report: ImportReport) -> None:
    for problem in report.problems[:MAX_PROBLEMS_SHOWN]:
        click.echo(f"row {problem.row}, {problem.column}: {problem.message}", err=True)
    if len(report.problems) > MAX_PROBLEMS_SHOWN:
        click.echo(f"... and {len(report.problems) - MAX_PROBLEMS_SHOWN} more problems", err=True)
    click.echo(", ".join(f"{name.replace('_', ' ')}: {count:,}" for name, count in report.counts().items()))
    if report.written:
        click.echo("written.")
    elif report.dry_run and not report.problems:
        click.echo("dry run: nothing written.")
    else:
        click.echo(f"{len(report.problems)} problems: nothing written.")


@registry.command("import-units")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def registry_import_units(path: Path) -> None:
    """Load the official list of provinces and communes (CSV: level,code,name,province_code,
    valid_from,valid_to,successor_code)."""
    with unit_of_work() as session:
        counts = import_units(session, cli_actor(), path.read_text(encoding="utf-8-sig"))
    click.echo(", ".join(f"{name}: {count}" for name, count in counts.items()))


@click.group()
def keys() -> None:
    """Encryption keys for personal data."""


@keys.command("rotate")
@click.option("--chunk", type=int, default=1_000, show_default=True)
@with_appcontext
def keys_rotate(chunk: int) -> None:
    """Re-encrypt personal data under the first key of PAYMENTS_PII_KEYS.

    Commits chunk by chunk; if interrupted, run it again: it resumes where it stopped.
    Keep the old keys in PAYMENTS_PII_KEYS (after the new one) until this reports 0 left."""
    cipher = PiiCipher.from_settings(runtime().settings)
    with unit_of_work() as session:
        pending = rows_to_rotate(session, cipher)
    with click.progressbar(
        length=pending, label=f"re-encrypting under {cipher.current_key_id}", file=sys.stderr
    ) as bar:
        done = rotate_keys(runtime().session_factory, cli_actor(), cipher, chunk=chunk, progress=bar.update)
    with unit_of_work() as session:
        left = rows_to_rotate(session, cipher)
    click.echo(f"re-encrypted {done:,} rows; {left:,} left under old keys")
