"""`payments users password NAME`: set a console password (prompted twice, never echoed)."""

import click
from flask.cli import with_appcontext

from payments.commands.common import cli_actor, unit_of_work
from payments.errors import InvalidInput, NotFound
from payments.security import login
from payments.security.services import find_user


@click.command("password")
@click.argument("username")
@click.password_option("--password", help="read from the terminal (asked twice) when not given")
@with_appcontext
def password_command(username: str, password: str) -> None:
    """Set USERNAME's console password (scrypt) and lift any sign-in lockout."""
    try:
        with unit_of_work() as session:
            login.set_password(session, cli_actor(), find_user(session, username), password)
    except (InvalidInput, NotFound) as error:
        raise click.ClickException(error.detail) from error
    click.echo(f"password set for {username}")
