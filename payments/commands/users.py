"""`payments users password|deactivate|activate|roles NAME`: console password, state and roles.

The other `users` commands (create, token) live in payments/cli.py.
"""

import click
from flask.cli import with_appcontext

from payments.commands.common import cli_actor, refusals_as_click_errors, unit_of_work
from payments.errors import InvalidInput, NotFound
from payments.security import login
from payments.security import services as security
from payments.security.roles import Role

ROLE_HELP = ", ".join(role.value for role in Role) + "; repeatable"


@click.command("password")
@click.argument("username")
@click.password_option("--password", help="read from the terminal (asked twice) when not given")
@with_appcontext
def password_command(username: str, password: str) -> None:
    """Set USERNAME's console password (scrypt) and lift any sign-in lockout."""
    try:
        with unit_of_work() as session:
            login.set_password(session, cli_actor(), security.find_user(session, username), password)
    except (InvalidInput, NotFound) as error:
        raise click.ClickException(error.detail) from error
    click.echo(f"password set for {username}")


@click.command("deactivate")
@click.argument("username")
@with_appcontext
def deactivate_command(username: str) -> None:
    """Deactivate USERNAME: their API tokens and console sessions are refused from now on."""
    _set_active(username, active=False)
    click.echo(f"{username} is deactivated")


@click.command("activate")
@click.argument("username")
@with_appcontext
def activate_command(username: str) -> None:
    """Activate USERNAME again (their tokens still valid work again)."""
    _set_active(username, active=True)
    click.echo(f"{username} is active")


@click.command("roles")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, help=ROLE_HELP)
@with_appcontext
def roles_command(username: str, roles: tuple[str, ...]) -> None:
    """Give USERNAME exactly these roles (the ones not named are taken away)."""
    with refusals_as_click_errors(), unit_of_work() as session:
        user = security.set_roles(session, cli_actor(), security.find_user(session, username), roles)
        held = ", ".join(sorted(user.roles))
    click.echo(f"{username} now has the roles {held}")


def _set_active(username: str, *, active: bool) -> None:
    with refusals_as_click_errors(), unit_of_work() as session:
        security.set_active(session, cli_actor(), security.find_user(session, username), active)
