"""Staging: a file's lines written in the caller's transaction, all of them or none.

The file is identified by its SHA-256: the same bytes twice are refused (`DuplicateFile`) and
change nothing. Each statement in it is identified by what the bank calls it (`StatementRef`):
the same statement sent again as other bytes is refused too (`DuplicateStatement`), since
importing it twice would count its money twice. A malformed file raises while it is read,
before the caller commits, so nothing of it is kept. Lines are inserted in bulk, a chunk at a
time, so a million-line statement is staged in bounded memory.
"""

import hashlib
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.orm import Session

from payments.adapters.messages import CallbackEvent
from payments.adapters.statements import Statement
from payments.audit.services import record_event
from payments.clock import Clock, utcnow
from payments.context import Actor
from payments.db import table_of
from payments.errors import Conflict
from payments.reconcile import bulk, repository
from payments.reconcile.csv_reports import CsvMapping
from payments.reconcile.lines import Line, StatementRef, Totals
from payments.reconcile.model import ReconImport, ReconStatement
from payments.reconcile.reading import file_items
from payments.reconcile.sources import (
    callback_line,
    detect_kind,
    statement_digest,
    statement_lines,
)

STAGE_CHUNK = 5_000
# Statement imports that may hold the same bookings as a statement of the other kind
OTHER_PATH = {"statement": ("camt.053", "mt940"), "camt.053": ("statement",), "mt940": ("statement",)}


class DuplicateFile(Conflict):
    code = "duplicate_file"
    title = "File already imported"


class DuplicateStatement(Conflict):
    """A statement already imported, sent again with other content."""

    code = "duplicate_statement"
    title = "Statement already imported"


def sha256_of(data: bytes | Path) -> str:
    """Hex SHA-256 of bytes, or of a file read a megabyte at a time."""
    if isinstance(data, bytes):
        return hashlib.sha256(data).hexdigest()
    digest = hashlib.sha256()
    with data.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def stage_file(
    session: Session,
    *,
    adapter: str,
    data: bytes | Path,
    file_name: str,
    kind: str | None = None,
    day: date | None = None,
    csv_mappings: Mapping[str, CsvMapping] | None = None,
    actor: Actor,
    clock: Clock = utcnow,
) -> ReconImport:
    """Stage a confirmation file (its bytes, or a path: a large XML file is then streamed).
    Raises DuplicateFile (same SHA-256 already imported), DuplicateStatement (a statement in
    it already imported from another file), InvalidInput naming the line or element of a
    malformed file; in each case the caller's rollback leaves nothing written. A large file is
    read in a helper process while this one hashes and stages it (`reading.file_items`), so a
    duplicate that is also malformed may be reported as either."""
    kind = kind or detect_kind(data)
    with file_items(kind, data, adapter, day, csv_mappings) as items:  # a large file is read meanwhile
        digest = sha256_of(data)
        _refuse_duplicate(session, digest, file_name)
        size = len(data) if isinstance(data, bytes) else data.stat().st_size
        return _stage(
            session, items, adapter=adapter, kind=kind, digest=digest, file_name=file_name, size=size,
            actor=actor, clock=clock,
        )  # fmt: skip


def stage_statement(
    session: Session, *, adapter: str, statement: Statement, actor: Actor, clock: Clock = utcnow
) -> ReconImport:
    """Stage a statement an adapter fetched. Raises DuplicateFile for one already staged,
    DuplicateStatement for the same adapter, account and day fetched before with other entries."""
    digest = statement_digest(statement)
    name = f"{adapter}-statement-{statement.day.isoformat()}"
    _refuse_duplicate(session, digest, name)
    lines = statement_lines(statement, adapter)
    return _stage(
        session,
        lines,
        adapter=adapter,
        kind="statement",
        digest=digest,
        file_name=name,
        size=0,
        actor=actor,
        clock=clock,
    )


def stage_callback(
    session: Session,
    *,
    adapter: str,
    event: CallbackEvent,
    body_size: int,
    actor: Actor,
    clock: Clock = utcnow,
) -> ReconImport | None:
    """Stage a verified callback; None for a redelivery of an event already staged."""
    digest = sha256_of(f"callback\n{adapter}\n{event.event_id}".encode())
    if repository.import_by_sha(session, digest) is not None:
        return None
    name = f"callback {event.event_id}"[:200]
    lines = [callback_line(event)]
    return _stage(
        session,
        lines,
        adapter=adapter,
        kind="callback",
        digest=digest,
        file_name=name,
        size=body_size,
        actor=actor,
        clock=clock,
    )


def _refuse_duplicate(session: Session, digest: str, file_name: str) -> None:
    earlier = repository.import_by_sha(session, digest)
    if earlier is not None:
        raise DuplicateFile(
            f"{file_name}: the same file was imported on {earlier.imported_at:%Y-%m-%d %H:%M} "
            f"as import {earlier.id} ({earlier.file_name}); nothing was changed",
            import_id=earlier.id,
        )


def _refuse_known_statement(session: Session, ref: StatementRef, file_name: str, seen: set[str]) -> None:
    if ref.identity in seen:
        raise DuplicateStatement(
            f"{file_name}: {ref.describe()} appears twice in the file; nothing was changed"
        )
    earlier = repository.import_of_statement(session, ref.identity)
    if earlier is not None:
        raise _already_imported(file_name, ref.describe(), earlier)
    seen.add(ref.identity)


def _already_imported(file_name: str, what: str, earlier: ReconImport) -> DuplicateStatement:
    return DuplicateStatement(
        f"{file_name}: {what} was already imported on {earlier.imported_at:%Y-%m-%d %H:%M} "
        f"as import {earlier.id} ({earlier.file_name}); importing it again would count its money "
        "twice. If the two differ, a corrected statement needs a person: compare the two with the "
        "bank and settle the difference by hand; nothing was changed",
        import_id=earlier.id,
    )


def _refuse_other_path(session: Session, row: ReconImport, file_name: str) -> None:
    """A bank statement fetched from the adapter and the same account's statement file of a day
    it covers are the same bookings arriving two ways (`fetch_statement` of the iso20022
    adapter reads the very camt.053 files of the day): the second is refused."""
    other = OTHER_PATH.get(row.kind)
    if other is None or row.account is None or row.first_day is None or row.last_day is None:
        return
    earlier = repository.statement_covering(
        session, row.adapter, row.account, row.first_day, row.last_day, kinds=other, but=row.id
    )
    if earlier is not None:
        what = f"a statement of {row.adapter} for {row.first_day}..{row.last_day} of the same account"
        raise _already_imported(file_name, what, earlier)


def _stage(
    session: Session,
    items: Iterable[Line | Totals | StatementRef],
    *,
    adapter: str,
    kind: str,
    digest: str,
    file_name: str,
    size: int,
    actor: Actor,
    clock: Clock,
) -> ReconImport:
    row = ReconImport(
        adapter=adapter, kind=kind, sha256=digest, file_name=file_name[:200], size_bytes=size, line_count=0,
        state="staged", processed_through=0, booked_vnd=0, imported_by=actor.username, imported_at=clock(),
    )  # fmt: skip
    session.add(row)
    session.flush()
    totals: list[Totals] = []
    buffer: list[Line] = []
    statements: set[str] = set()
    count = booked = 0  # kept in locals: an ORM attribute per line costs more than the line
    for item in items:
        if isinstance(item, Totals):
            totals.append(item)
            continue
        if isinstance(item, StatementRef):
            _refuse_known_statement(session, item, file_name, statements)
            continue
        buffer.append(item)
        count += 1
        booked += item.signed_vnd if item.movement else 0
        if len(buffer) >= STAGE_CHUNK:
            bulk.insert_lines(session, row.id, buffer)
            buffer.clear()
    bulk.insert_lines(session, row.id, buffer)
    row.line_count, row.booked_vnd = count, booked
    if statements:  # the unique identity is the database's last word if two imports race
        session.execute(
            insert(table_of(ReconStatement)),
            [{"import_id": row.id, "identity": i} for i in sorted(statements)],
        )
    _set_totals(row, totals)
    _refuse_other_path(session, row, file_name)
    after = {"adapter": adapter, "kind": kind, "sha256": digest, "lines": row.line_count}
    record_event(session, actor, "reconcile.import", "recon_import", row.id, after=after, clock=clock)
    return row


def _set_totals(row: ReconImport, totals: list[Totals]) -> None:
    """A file's statements, chained: the first opening, the last closing, the days between."""
    if not totals:
        return
    ordered = sorted(totals, key=lambda t: (t.first_day, t.last_day))
    row.account = ordered[0].account
    row.first_day, row.last_day = ordered[0].first_day, ordered[-1].last_day
    row.opening_vnd, row.closing_vnd = ordered[0].opening_vnd, ordered[-1].closing_vnd
