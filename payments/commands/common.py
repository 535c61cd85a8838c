"""What every command needs: the runtime, a unit of work and the acting user."""

import getpass
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click
from flask import current_app
from flask.cli import FlaskGroup
from sqlalchemy.orm import Session

from payments.context import Actor
from payments.errors import PaymentsError
from payments.security.duties import DutyRefused

if TYPE_CHECKING:
    from payments.app import Runtime


def runtime() -> "Runtime":
    return current_app.extensions["payments"]


def stop_on_ctrl_c() -> None:
    """Make Ctrl-C (SIGINT) stop this long-running command, however it was started.

    A shell without job control starts a background job with SIGINT ignored (`payments up &`
    in a script, say), children inherit that, and Python then installs no KeyboardInterrupt:
    the command would ignore the very signal it tells its user to send.
    """
    signal.signal(signal.SIGINT, signal.default_int_handler)


def cli_actor() -> Actor:
    return Actor(username=f"cli:{getpass.getuser()}", role="system")


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """A session that commits when the block ends and rolls back if it raises; a refusal
    that must be on record (DutyRefused) is audited after the rollback, as the API does."""
    session = runtime().session_factory()
    try:
        yield session
        session.commit()
    except DutyRefused as refusal:
        session.rollback()
        refusal.record(session)
        session.commit()
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def refusals_as_click_errors() -> Iterator[None]:
    """The service's message, as a one-line error and exit status 1 (no traceback)."""
    try:
        yield
    except PaymentsError as error:
        raise click.ClickException(error.detail) from error


class PaymentsGroup(FlaskGroup):
    """The `payments` group: a refusal no command handled itself (a month not begun, a
    malformed period) is shown as its one-line message with exit status 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        with refusals_as_click_errors():
            return super().invoke(ctx)
