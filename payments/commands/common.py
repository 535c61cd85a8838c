"""What every command needs: the runtime, a unit of work and the acting user."""

import getpass
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
