"""Migrations build exactly the models' schema, and round-trip, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from payments import migrate
from payments.db import make_engine
from payments.schema import metadata


def _differences(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, metadata)


def test_upgrade_head_on_an_empty_database_gives_exactly_the_models_schema(fresh_database_url):
    engine = make_engine(fresh_database_url)
    migrate.upgrade(engine)
    assert _differences(engine) == []
    engine.dispose()


def test_downgrade_to_base_then_upgrade_round_trips(fresh_database_url):
    engine = make_engine(fresh_database_url)
    migrate.upgrade(engine)
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)
    assert _differences(engine) == []
    assert migrate.current_revision(engine) is not None
    engine.dispose()


def test_each_revision_downgrades_one_step_and_comes_back(fresh_database_url):
    engine = make_engine(fresh_database_url)
    migrate.upgrade(engine)
    head = migrate.current_revision(engine)
    migrate.downgrade(engine, "-1")
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == head
    assert _differences(engine) == []
    engine.dispose()
