"""Test fixtures: every database test runs on SQLite and on a real PostgreSQL 15 server.

The schema is built by the real migrations once per database; each test runs inside one
transaction that is rolled back (services' commits become savepoints).
"""

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from payments import migrate
from payments.app import create_app
from payments.config import Settings
from payments.context import Actor
from payments.db import make_engine
from payments.security import services as security
from tests import factories
from tests.support.postgres import PostgresServer, PostgresUnavailable, start_postgres

DATABASES = ("sqlite", "postgresql")
TEST_ACTOR = Actor(username="test", role="system")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        server = start_postgres()
    except PostgresUnavailable as exc:
        if os.environ.get("PAYMENTS_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PAYMENTS_REQUIRE_POSTGRES=1 but PostgreSQL could not start: {exc}")
        pytest.skip(f"PostgreSQL tests skipped: {exc}")
    yield server
    server.stop()


class DatabaseMaker:
    """Creates empty databases of one kind: a file for SQLite, a new database on the server."""

    def __init__(self, kind: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest):
        self.kind = kind
        self._tmp = tmp_path_factory
        self._request = request
        self._count = 0

    def new_url(self) -> str:
        self._count += 1
        if self.kind == "sqlite":
            return f"sqlite:///{self._tmp.mktemp('db') / 'payments.db'}"
        server: PostgresServer = self._request.getfixturevalue("postgres_server")
        return server.create_database(f"payments_{self._count}_{os.getpid()}")


@pytest.fixture(scope="session", params=DATABASES)
def database_maker(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> DatabaseMaker:
    return DatabaseMaker(request.param, tmp_path_factory, request)


@pytest.fixture(scope="session")
def engine(database_maker: DatabaseMaker) -> Iterator[Engine]:
    engine = make_engine(database_maker.new_url())
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def db_kind(database_maker: DatabaseMaker) -> str:
    return database_maker.kind


@pytest.fixture
def fresh_database_url(database_maker: DatabaseMaker) -> str:
    """An empty database (no schema) of the current kind, for migration and process tests."""
    return database_maker.new_url()


@pytest.fixture
def connection(engine: Engine) -> Iterator:
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def session_factory(connection) -> sessionmaker[Session]:
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    session = session_factory()
    factories.use_session(session)
    yield session
    factories.use_session(None)
    session.close()


@pytest.fixture
def settings(engine: Engine) -> Settings:
    return Settings(env="test", database_url=str(engine.url))


@pytest.fixture
def app(settings: Settings, engine: Engine, session_factory: sessionmaker[Session], session: Session):
    app = create_app(settings, engine=engine, session_factory=session_factory)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def token_for(session: Session):
    """token_for('auditor', 'finance') -> a bearer token for a new user with those roles."""
    counter = iter(range(1, 10_000))

    def make(*roles: str) -> str:
        user = security.create_user(session, TEST_ACTOR, f"user{next(counter)}-{'-'.join(roles)}", roles)
        token = security.issue_token(session, TEST_ACTOR, user, ttl_days=1).token
        session.commit()
        return token

    return make


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
