"""`payments reconcile import|run|report|tie-outs|exceptions`."""

import json
import sys
from datetime import datetime
from pathlib import Path

import click
from flask.cli import with_appcontext

from payments.commands.batches import acting_as
from payments.commands.common import cli_actor, runtime, unit_of_work
from payments.errors import PaymentsError
from payments.reconcile import exceptions, runs
from payments.reconcile.report import FORMATS, render
from payments.reconcile.sources import FILE_KINDS
from payments.reconcile.tieouts import tie_outs


@click.group()
def reconcile() -> None:
    """Reconciliation: import confirmations, run, report, exceptions."""


def _fail(error: PaymentsError) -> None:
    click.echo(f"refused: {error.detail}", err=True)
    sys.exit(2)


@reconcile.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--adapter", required=True, help="the adapter instance the file comes from")
@click.option("--kind", type=click.Choice(FILE_KINDS), help="default: told from the file")
@click.option("--day", type=click.DateTime(["%Y-%m-%d"]), help="the day of a CSV report without entries")
@click.option("--dry-run", is_flag=True, help="reconcile and report, then keep nothing")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text")
@click.option("--as", "username", help="the finance user importing")
@with_appcontext
def import_command(
    file: Path,
    adapter: str,
    *,
    kind: str | None,
    day: datetime | None,
    dry_run: bool,
    fmt: str,
    username: str | None,
) -> None:
    """Import FILE (pain.002, camt.053/054, MT940 or CSV) and reconcile it."""
    actor = acting_as(username, "finance")
    try:
        report = runs.import_file(
            runtime().session_factory, adapter=adapter, data=file, file_name=file.name,
            kind=kind, day=day.date() if day else None, dry_run=dry_run,
            csv_mappings=runtime().csv_mappings, actor=actor,
        )  # fmt: skip
    except PaymentsError as error:
        _fail(error)
    click.echo(render(report, fmt), nl=False)


@reconcile.command("run")
@click.option("--adapter", help="only this adapter's imports")
@click.option("--dry-run", is_flag=True, help="reconcile and report, then keep nothing")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text")
@click.option("--as", "username", help="the finance user running")
@with_appcontext
def run_command(adapter: str | None, dry_run: bool, fmt: str, username: str | None) -> None:
    """Reconcile everything staged, resuming a run that was interrupted."""
    actor = acting_as(username, "finance")
    report = runs.run_reconciliation(runtime().session_factory, adapter=adapter, dry_run=dry_run, actor=actor)
    click.echo(render(report, fmt), nl=False)


@reconcile.command("fetch")
@click.option("--day", "days", multiple=True, type=click.DateTime(["%Y-%m-%d"]), required=True)
@with_appcontext
def fetch_command(days: tuple[datetime, ...]) -> None:
    """Fetch statements for DAY(s) from every adapter that offers them (then `reconcile run`)."""
    wanted = [d.date() for d in days]
    counts = runs.fetch_statements(runtime().session_factory, runtime().adapters, wanted, actor=cli_actor())
    click.echo(json.dumps(counts))


@reconcile.command("report")
@click.argument("run_id", type=int)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text")
@with_appcontext
def report_command(run_id: int, fmt: str) -> None:
    """Print run RUN_ID's report as json, csv or text."""
    try:
        with unit_of_work() as session:
            body = runs.get_run(session, run_id).report or {}
    except PaymentsError as error:
        _fail(error)
    click.echo(render(body, fmt), nl=False)


@reconcile.command("tie-outs")
@with_appcontext
def tie_outs_command() -> None:
    """The tie-outs now, as JSON; exits 1 when one does not hold."""
    with unit_of_work() as session:
        found = tie_outs(session)
    click.echo(json.dumps(found, indent=2, sort_keys=True))
    sys.exit(0 if found["holds"] else 1)


@reconcile.command("exceptions")
@click.option("--kind", type=click.Choice(exceptions.KINDS))
@click.option("--state", type=click.Choice(exceptions.STATES), default="open")
@click.option("--limit", type=int, default=50)
@with_appcontext
def exceptions_command(kind: str | None, state: str, limit: int) -> None:
    """List exceptions, oldest first."""
    with unit_of_work() as session:
        for row in exceptions.list_exceptions(session, kind=kind, state=state, limit=limit):
            amount = "" if row.amount_vnd is None else f"{row.amount_vnd:,} VND"
            click.echo(
                f"{row.id:>6}  {row.kind:<26} {row.state:<16} {row.adapter:<10} {amount:>18}  {row.detail}"
            )
