"""Bulk import of a beneficiary list (UTF-8 CSV, one row per person and programme).

Header (in this order; see import_rows.CSV_HEADER):

    citizen_id,legacy_id,full_name,date_of_birth,sex,commune_code,phone,programme,category,
    parameters,decision_number,decision_date,start_month,end_month,instrument_kind,bank_bin,
    account_number,holder_name,wallet_provider,wallet_phone,effective_date

Dates are YYYY-MM-DD or DD/MM/YYYY, months YYYY-MM or MM/YYYY (start_month defaults to the
decision's month); sex is male/female (nam/nữ); parameters are `name=value;name=value`;
instrument_kind is bank, ewallet, cash or empty (keep the current instrument);
effective_date is when an update takes effect (default: the decision date for a new person,
today for a change). A person in two programmes has two rows with the same personal details.

One streaming pass: each row is checked (alone and against the rows before it) and the good
ones are written in chunks with bulk statements inside a savepoint, comparing each row with
what is recorded, so re-importing the same file changes nothing and a changed row adds a new
version. By default nothing is written if any row has a problem (the savepoint is rolled back
and writing stops at the first problem while checking goes on); a dry run does all the work
and rolls it back, so its counts are exact. One audit event per import (counts and the file's
SHA-256), not one per row.
"""

import csv
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy.orm import Session

from payments.audit.services import record_event
from payments.clock import Clock, local_date, utcnow
from payments.context import Actor
from payments.db import refresh_statistics
from payments.registry import repository
from payments.registry.crypto import PiiCipher
from payments.registry.import_context import ImportContext
from payments.registry.import_rows import CSV_HEADER, ParsedRow, RowProblem, parse_row
from payments.registry.import_writer import write_chunk
from payments.registry.model import (
    Beneficiary,
    BeneficiaryVersion,
    Enrolment,
    EnrolmentVersion,
    PaymentInstrument,
)
from payments.registry.validation import Problem, Reference

Opener = Callable[[], IO[str]]
MAX_PROBLEMS = 10_000  # enough to fix a file; a file with more is the wrong file
REGISTRY_TABLES = tuple(
    model.__tablename__
    for model in (Beneficiary, BeneficiaryVersion, Enrolment, EnrolmentVersion, PaymentInstrument)
)


@dataclass
class ImportReport:
    rows: int = 0
    beneficiaries_created: int = 0
    beneficiaries_updated: int = 0
    enrolments_created: int = 0
    enrolment_versions_added: int = 0
    enrolments_closed_by_move: int = 0  # DOMAIN rule 6
    instruments_set: int = 0
    unchanged_rows: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    dry_run: bool = False
    written: bool = False
    sha256: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, int]:
        names = ("rows", "beneficiaries_created", "beneficiaries_updated", "enrolments_created",
                 "enrolment_versions_added", "enrolments_closed_by_move", "instruments_set",
                 "unchanged_rows")  # fmt: skip
        return {name: getattr(self, name) for name in names}


def import_beneficiaries(
    session: Session,
    actor: Actor,
    cipher: PiiCipher,
    open_file: Opener,
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
    chunk: int = 2_000,
    progress: Callable[[int], None] | None = None,
    clock: Clock = utcnow,
) -> ImportReport:
    """Import a CSV list read from `open_file()` (a text stream, read once).

    Returns the report; never raises for bad rows (they are in `report.problems`, with the line
    and column). Writes only when there are no problems (or `skip_invalid`: the valid rows) and
    not `dry_run`; otherwise the work is rolled back to a savepoint and the write counts are
    zero. Flushes but does not commit: the caller's unit of work does."""
    reference = repository.load_reference(session)
    report = ImportReport(dry_run=dry_run)
    savepoint = session.begin_nested()
    context = ImportContext(session, cipher, reference, actor=actor, now=clock(), report=report)
    pending: list[ParsedRow] = []
    for parsed in _checked_rows(open_file, reference, report, clock, progress):
        if report.problems and not skip_invalid:
            pending.clear()  # the import will be refused: only keep checking
            continue
        pending.append(parsed)
        if len(pending) >= chunk:
            write_chunk(context, pending)
            pending = []
    if pending and (skip_invalid or not report.problems):
        write_chunk(context, pending)
    report.problems.sort(key=lambda p: p.row)
    if report.problems and not skip_invalid:
        savepoint.rollback()
        return _refused(report)
    if dry_run:
        savepoint.rollback()
        return report
    record_event(session, actor, "registry.import", "registry_import", report.sha256[:16],
                 after={**report.counts(), "problems": len(report.problems)}, clock=clock)  # fmt: skip
    savepoint.commit()
    report.written = True
    refused_rows = len({problem.row for problem in report.problems})  # skipped with skip_invalid
    refresh_statistics(session, REGISTRY_TABLES, rows=report.rows - report.unchanged_rows - refused_rows)
    return report


def _refused(report: ImportReport) -> ImportReport:
    for name in report.counts():
        if name != "rows":
            setattr(report, name, 0)
    return report


def _checked_rows(
    open_file: Opener,
    ref: Reference,
    report: ImportReport,
    clock: Clock,
    progress: Callable[[int], None] | None,
) -> Iterator[ParsedRow]:
    """Every row checked, alone and against the rows before it; yields the good ones and
    records the problems of the others in the report."""
    today, digest = local_date(clock()), hashlib.sha256()
    seen: dict[str, tuple[int, int]] = {}  # citizen ID -> (first line, signature of its details)
    enrolled: set[tuple[str, str]] = set()
    for line, raw in _records(open_file, report, digest):
        report.rows += 1
        parsed, problems = parse_row(line, raw, ref, today)
        if parsed is not None:
            problems = _cross_row_problems(parsed, seen, enrolled)
        for problem in problems[: max(MAX_PROBLEMS - len(report.problems), 0)]:
            report.problems.append(RowProblem(line, problem.column, problem.message))
        if progress and report.rows % 1_000 == 0:
            progress(1_000)
        if parsed is not None and not problems:
            yield parsed
    report.sha256 = digest.hexdigest()


def _cross_row_problems(
    row: ParsedRow, seen: dict[str, tuple[int, int]], enrolled: set[tuple[str, str]]
) -> list[Problem]:
    problems = []
    signature = hash((row.person, row.instrument))
    first = seen.setdefault(row.person.citizen_id, (row.line, signature))
    if first[1] != signature:
        problems.append(Problem("citizen_id", f"same citizen ID as line {first[0]} with different details"))
    key = (row.person.citizen_id, row.terms.programme)
    if key in enrolled:
        problems.append(
            Problem("programme", f"this person already has a {row.terms.programme} row in the file")
        )
    enrolled.add(key)
    return problems


def _records(
    open_file: Opener, report: ImportReport, digest: "hashlib._Hash | None" = None
) -> Iterator[tuple[int, dict[str, str]]]:
    with open_file() as handle:
        reader = csv.reader(_hashing(handle, digest) if digest else handle)
        header = tuple(name.strip().lstrip("\ufeff") for name in next(reader, ()))
        if header != CSV_HEADER:
            missing = [name for name in CSV_HEADER if name not in header]
            message = f"the header must be: {','.join(CSV_HEADER)}"
            report.problems.append(
                RowProblem(1, "header", message + (f" (missing {', '.join(missing)})" if missing else ""))
            )
            return
        width = len(CSV_HEADER)
        for values in _readable_rows(reader, report):
            if not values:
                continue  # a blank line
            if len(values) != width:
                report.rows += 1
                report.problems.append(
                    RowProblem(reader.line_num, "row", f"expected {width} columns, found {len(values)}")
                )
                continue
            yield reader.line_num, dict(zip(CSV_HEADER, values, strict=True))


def _hashing(handle: IO[str], digest: "hashlib._Hash") -> Iterator[str]:
    for text in handle:
        digest.update(text.encode())
        yield text


def _readable_rows(reader: Any, report: ImportReport) -> Iterator[list[str]]:
    """The reader's rows up to one the csv module cannot read (a field over its size limit, a
    NUL byte), which is reported as that line's problem: the import then writes nothing."""
    while True:
        try:
            values = next(reader, None)
        except csv.Error as exc:
            report.rows += 1
            report.problems.append(RowProblem(reader.line_num, "row", f"unreadable CSV ({exc})"))
            return
        if values is None:
            return
        yield values
