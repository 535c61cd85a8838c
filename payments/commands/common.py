"""What every command needs: the runtime, a unit of work and the acting user."""

import getpass
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy.orm import Session

from payments.context import Actor

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
    """A session that commits when the block ends and rolls back if it raises."""
    session = runtime().session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
