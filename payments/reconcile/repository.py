"""Reconciliation's own records: its imports, their staged lines, and the exceptions raised.

Queries only, no rules here; every IN list is bounded by the caller's chunk, or cut by
`in_parts`. The payouts a line may be about are read in `payout_queries.py`, the totals the
tie-outs compare in `tieout_queries.py`.
"""

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from payments.driver import Driver
from payments.reconcile.lines import Line
from payments.reconcile.model import ReconImport, ReconLine, ReconStatement

IN_LIMIT = 5_000  # values in one IN list: well under SQLite's and PostgreSQL's parameter limits


def import_by_sha(session: Session, sha256: str) -> ReconImport | None:
    return session.scalar(select(ReconImport).where(ReconImport.sha256 == sha256))


def import_of_statement(session: Session, identity: str) -> ReconImport | None:
    """The import that holds the statement of this identity, if any."""
    query = select(ReconImport).join(ReconStatement, ReconStatement.import_id == ReconImport.id)
    return session.scalar(query.where(ReconStatement.identity == identity))


def statement_covering(
    session: Session, adapter: str, account: str, first: date, last: date, *, kinds: Sequence[str], but: int
) -> ReconImport | None:
    """An import other than `but` of one of `kinds`: a statement of the adapter's `account`
    covering a day of `first`..`last`."""
    query = select(ReconImport).where(
        ReconImport.adapter == adapter,
        ReconImport.account == account,
        ReconImport.kind.in_(list(kinds)),
        ReconImport.first_day <= last,
        ReconImport.last_day >= first,
        ReconImport.id != but,
    )
    return session.scalar(query.order_by(ReconImport.id).limit(1))


def pending_imports(session: Session, adapter: str | None = None) -> list[ReconImport]:
    query = select(ReconImport).where(ReconImport.state == "staged").order_by(ReconImport.id)
    if adapter is not None:
        query = query.where(ReconImport.adapter == adapter)
    return list(session.scalars(query))


def lines_after(session: Session, import_id: int, position: int, limit: int) -> list[tuple[int, Line]]:
    """(line id, Line) of an import after `position`, in file order.

    Read on the driver's cursor (`payments.driver`): a large import reads back every
    line it staged, and SQLAlchemy's handling of each row (a date parsed by a regular
    expression on SQLite) cost more than the query. Dates are held to the text the writer
    stores, as the ledger's are."""
    driver = Driver(session)
    rows = driver.fetch(_STAGED_LINES.format(m=driver.marker), (import_id, position, limit))
    day, make = driver.read_date, tuple.__new__  # every field is given: the C constructor will do
    return [
        (r[0], make(Line, (r[1], bool(r[2]), r[3], r[4], r[5], None if r[6] is None else day(r[6]), *r[7:])))
        for r in rows
    ]


# Line's fields in its order, so that a row is its constructor's arguments
_LINE_COLUMNS = tuple(
    func.coalesce(ReconLine.reason_text, "") if name == "reason_text" else getattr(ReconLine, name)
    for name in Line._fields
)
_STAGED_LINES = (
    "SELECT id, "
    + ", ".join("coalesce(reason_text, '')" if name == "reason_text" else name for name in Line._fields)
    + " FROM recon_lines WHERE import_id = {m} AND position > {m} ORDER BY position LIMIT {m}"
)


def in_parts(values: list[Any], size: int = IN_LIMIT) -> Iterator[list[Any]]:
    """`values` in slices short enough for one IN list."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def line_by_id(session: Session, line_id: int) -> Line:
    return Line(*session.execute(select(*_LINE_COLUMNS).where(ReconLine.id == line_id)).one())
