"""Bulk INSERT through the driver's executemany, with each column's bind processing applied
once per value (the same conversions SQLAlchemy would apply, without its per-row statement
machinery, which costs more than SQLite's insert itself at import sizes)."""

from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session


def bulk_insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """INSERT `rows` (dicts with the same keys) into `table` in one executemany."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    names = list(rows[0])
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in names]
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join([marker] * len(names))})"
    columns = [[row[name] for row in rows] for name in names]
    converted = [
        values if p is None else _converted(values, p) for values, p in zip(columns, processors, strict=True)
    ]
    connection.exec_driver_sql(sql, list(zip(*converted, strict=True)))


def _converted(values: list[Any], processor: Any) -> list[Any]:
    """Column values through the processor; a repeated value (a chunk's timestamp) converts once."""
    cache: dict[Any, Any] = {}
    out: list[Any] = []
    for value in values:
        if value is None:
            out.append(None)
            continue
        try:
            out.append(cache[value])
        except KeyError:
            out.append(cache.setdefault(value, processor(value)))
        except TypeError:  # unhashable (a JSON dict)
            out.append(processor(value))
    return out
