"""The request's database session and its unit of work.

Views never commit by hand: `with unit_of_work() as session:` commits when the block ends
and rolls back if it raises. A refusal that must be on record (DutyRefused) is written to the
audit log, and committed, after that rollback.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, g
from sqlalchemy.orm import Session

from payments.security.duties import DutyRefused


def db_session() -> Session:
    if "db_session" not in g:
        g.db_session = current_app.extensions["payments"].session_factory()
    return g.db_session


@contextmanager
def unit_of_work() -> Iterator[Session]:
    session = db_session()
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


def close_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
