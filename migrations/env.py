"""Alembic environment: the engine comes from payments (with its SQLite settings)."""

from alembic import context

from payments.config import Settings
from payments.db import make_engine
from payments.schema import metadata

config = context.config


def run_migrations() -> None:
    engine = config.attributes.get("engine") or make_engine(Settings.from_env().database_url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
