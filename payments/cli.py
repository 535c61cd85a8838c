"""The `payments` command: a Flask CLI group (`python -m payments` works too)."""

import json
import sys

import click
from flask import Flask
from flask.cli import with_appcontext

from payments import migrate
from payments.audit.services import verify_chain
from payments.commands.batches import batches
from payments.commands.common import (
    PaymentsGroup,
    cli_actor,
    refusals_as_click_errors,
    runtime,
    stop_on_ctrl_c,
    unit_of_work,
)
from payments.commands.demo import demo_command
from payments.commands.entitlements import accrue_command
from payments.commands.gifts import gifts
from payments.commands.ledger import ledger
from payments.commands.reconcile import reconcile
from payments.commands.registry import keys, registry
from payments.commands.simulate import simulate
from payments.commands.unclaimed import unclaimed_cash_command
from payments.commands.up import up_command
from payments.commands.users import activate_command, deactivate_command, password_command, roles_command
from payments.security import services as security


def _create_app() -> Flask:
    from payments.app import create_app

    return create_app()


@click.group(cls=PaymentsGroup, create_app=_create_app, add_version_option=False)
def cli() -> None:
    """Social-payment disbursement backend."""


def main() -> None:
    cli(prog_name="payments")


@cli.group()
def db() -> None:
    """Database schema migrations."""


@db.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    migrate.upgrade(runtime().engine, revision)
    click.echo(f"database at revision {migrate.current_revision(runtime().engine)}")


@db.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION."""
    migrate.downgrade(runtime().engine, revision)
    click.echo(f"database at revision {migrate.current_revision(runtime().engine)}")


@db.command("current")
@with_appcontext
def db_current() -> None:
    """Show the applied revision."""
    click.echo(migrate.current_revision(runtime().engine) or "empty")


@cli.group()
def users() -> None:
    """Users, roles and API tokens."""


@users.command("create")
@click.argument("username")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    help="officer, approver, finance, auditor or admin; repeatable",
)
@click.option("--display-name", default=None)
@with_appcontext
def users_create(username: str, roles: tuple[str, ...], display_name: str | None) -> None:
    """Create USERNAME with one or more roles and print a token (shown once)."""
    ttl = runtime().settings.token_ttl_days
    with refusals_as_click_errors(), unit_of_work() as session:
        user = security.create_user(session, cli_actor(), username, roles, display_name=display_name)
        issued = security.issue_token(session, cli_actor(), user, ttl_days=ttl)
    click.echo(f"created {username} with roles {', '.join(sorted(roles))}")
    click.echo(f"token (shown once, expires {issued.expires_at:%Y-%m-%d}): {issued.token}")


@users.command("token")
@click.argument("username")
@click.option("--ttl-days", type=int, default=None)
@with_appcontext
def users_token(username: str, ttl_days: int | None) -> None:
    """Issue another token for USERNAME."""
    ttl = ttl_days or runtime().settings.token_ttl_days
    with refusals_as_click_errors(), unit_of_work() as session:
        user = security.find_user(session, username)
        issued = security.issue_token(session, cli_actor(), user, ttl_days=ttl)
    click.echo(issued.token)


@cli.group()
def audit() -> None:
    """The audit log."""


@audit.command("verify")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
@with_appcontext
def audit_verify(as_json: bool) -> None:
    """Recompute the audit chain; exit non-zero at the first bad event."""
    with unit_of_work() as session:
        result = verify_chain(session)
    if as_json:
        click.echo(json.dumps(result.__dict__))
    elif result.ok:
        click.echo(f"audit chain intact: {result.events} events")
    else:
        click.echo(f"audit chain broken at seq {result.first_bad_seq}: {result.problem}", err=True)
    sys.exit(0 if result.ok else 1)


@cli.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the scheduler (APScheduler, SQLAlchemy job store, database lease) until Ctrl-C."""
    from payments import scheduler

    stop_on_ctrl_c()
    scheduler.start(runtime())


cli.add_command(simulate)
cli.add_command(registry)
cli.add_command(keys)
cli.add_command(ledger)
cli.add_command(accrue_command)
cli.add_command(gifts)
cli.add_command(batches)
cli.add_command(demo_command)
users.add_command(password_command)
users.add_command(deactivate_command)
users.add_command(activate_command)
users.add_command(roles_command)
cli.add_command(up_command)
cli.add_command(reconcile)
cli.add_command(unclaimed_cash_command)
