"""Reconciliation runs: import a file, a fetched statement or a callback, reconcile, report.

Transactions are owned here. A file is staged in one transaction (all lines or none), then
reconciled a chunk at a time, each chunk committed with the import's progress
(`processed_through`), so a run that crashes is resumed by the next `run_reconciliation`
and nothing is posted twice (ledger keys per payout, exception fingerprints). A dry run does
all of it in one transaction, reports, and rolls back; only its report is kept.
"""

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from payments.adapters.base import PayoutAdapter
from payments.adapters.errors import AdapterError
from payments.adapters.statements import Statement
from payments.adapters.vocabulary import Capability
from payments.audit.services import record_event
from payments.clock import Clock, utcnow
from payments.context import Actor
from payments.db import serialize_writers
from payments.errors import NotFound
from payments.memory import collector_paused
from payments.reconcile import payout_queries, repository, tieout_queries
from payments.reconcile.chunk import Tally
from payments.reconcile.csv_reports import CsvMapping
from payments.reconcile.exceptions import Problem, raise_exception
from payments.reconcile.ingest import DuplicateFile, DuplicateStatement, stage_file, stage_statement
from payments.reconcile.model import ReconImport, ReconRun
from payments.reconcile.processing import reconcile_lines
from payments.reconcile.report import build_report
from payments.reconcile.tieouts import check_continuity, flag_unbooked_settlements, resolve_booked_since

CHUNK = 10_000
LOCK = "reconcile"
log = logging.getLogger(__name__)


class Runner:
    """One run's session, tally and transaction policy (commit per chunk, or dry run)."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        kind: str,
        *,
        actor: Actor,
        clock: Clock,
        dry_run: bool = False,
        adapter: str | None = None,
        chunk: int = CHUNK,
    ) -> None:
        self.factory, self.kind, self.actor, self.clock = session_factory, kind, actor, clock
        self.dry_run, self.adapter, self.chunk = dry_run, adapter, chunk
        self.session = session_factory()
        self.tally = Tally()
        self.imports: list[ReconImport] = []
        self.started_at = clock()
        self.run: ReconRun | None = None

    def checkpoint(self) -> None:
        """Make the work so far durable (flush only in a dry run)."""
        if self.dry_run:
            self.session.flush()
            return
        self.session.commit()
        serialize_writers(self.session, LOCK)

    def start(self) -> None:
        serialize_writers(self.session, LOCK)
        if not self.dry_run:
            self.run = self._new_run()
            self.session.add(self.run)
            self.session.flush()

    def process(self, row: ReconImport) -> None:
        """Reconcile an import's remaining lines, a chunk per transaction; then its balances."""
        self.imports.append(row)
        while self._reconcile_chunk(row):
            self.checkpoint()
        for kind in check_continuity(self.session, row, actor=self.actor, clock=self.clock):
            self.tally.exception(kind, None)
        row.state = "done"
        self.checkpoint()

    def _reconcile_chunk(self, row: ReconImport) -> bool:
        """Read back and reconcile the next chunk of the import's lines; False when none is left.
        A chunk takes about a second; through a whole 1,000,000-line import the benchmark's
        process peaked at 254 MB."""
        with collector_paused():
            lines = repository.lines_after(self.session, row.id, row.processed_through, self.chunk)
            if not lines:
                return False
            reconcile_lines(
                self.session, lines, adapter=row.adapter, import_id=row.id,
                actor=self.actor, clock=self.clock, tally=self.tally,
            )  # fmt: skip
        row.processed_through = lines[-1][1].position
        return True

    def check_settlements_shown(self) -> None:
        """With the run's news in: resolve the breaks of settled payouts a line has booked since,
        then raise one for each settled payout its adapter's statements have passed without
        showing it. Here, not in the age job: only news changes what the statements cover or
        which payouts are settled, and the scheduled reconcile job runs a run even when nothing
        new is staged (a late callback is caught by the next one)."""
        adapters = [self.adapter] if self.adapter else tieout_queries.known_adapters(self.session)
        for adapter in adapters:
            resolve_booked_since(self.session, adapter, actor=self.actor, clock=self.clock)
            for problem in flag_unbooked_settlements(
                self.session, adapter, actor=self.actor, clock=self.clock
            ):
                self.tally.exception(problem.kind, problem.amount_vnd)

    def finish(self) -> dict[str, Any]:
        """The report; kept with the run (a dry run's after rolling back its changes)."""
        report = build_report(self.session, self, self.clock())
        if self.dry_run:
            self.session.rollback()
            self.run = self._new_run()
            self.session.add(self.run)
        assert self.run is not None
        self.session.flush()
        report["run"]["id"] = self.run.id
        self.run.state, self.run.finished_at, self.run.report = "finished", self.clock(), report
        after = {"kind": self.kind, "dry_run": self.dry_run, "lines": self.tally.lines}
        record_event(
            self.session, self.actor, "reconcile.run", "recon_run", self.run.id, after=after, clock=self.clock
        )
        self.session.commit()
        return report

    def close(self) -> None:
        self.session.rollback()
        self.session.close()

    def _new_run(self) -> ReconRun:
        return ReconRun(
            kind=self.kind, dry_run=self.dry_run, state="running", adapter=self.adapter,
            started_by=self.actor.username, started_at=self.started_at,
        )  # fmt: skip


def _with_runner(runner: Runner, work: Callable[[Runner], None]) -> dict[str, Any]:
    try:
        runner.start()
        work(runner)
        runner.check_settlements_shown()
        return runner.finish()
    finally:
        runner.close()


def import_file(
    session_factory: sessionmaker[Session],
    *,
    adapter: str,
    data: bytes | Path,
    file_name: str,
    kind: str | None = None,
    day: date | None = None,
    dry_run: bool = False,
    csv_mappings: Mapping[str, CsvMapping] | None = None,
    actor: Actor,
    clock: Clock = utcnow,
) -> dict[str, Any]:
    """Import a confirmation file and reconcile it; returns the run's report. `csv_mappings`
    are the CSV column mappings configured per adapter instance.

    Raises DuplicateFile for a file already imported, DuplicateStatement for a statement
    already imported from other bytes, and InvalidInput (with the line or element path) for a
    malformed file; in each case nothing is written, not even a run."""
    runner = Runner(session_factory, "import", actor=actor, clock=clock, dry_run=dry_run, adapter=adapter)

    def work(r: Runner) -> None:
        with collector_paused():
            row = stage_file(r.session, adapter=adapter, data=data, file_name=file_name, kind=kind, day=day,
                             csv_mappings=csv_mappings, actor=actor, clock=clock)  # fmt: skip
        r.checkpoint()
        r.process(row)

    return _with_runner(runner, work)


def reconcile_statement(
    session_factory: sessionmaker[Session],
    adapter: str,
    statement: Statement,
    *,
    dry_run: bool = False,
    actor: Actor,
    clock: Clock = utcnow,
) -> dict[str, Any]:
    """Reconcile a statement an adapter fetched (`fetch_statement(day)`); returns the report.
    Raises DuplicateFile for a statement already imported."""
    runner = Runner(session_factory, "statement", actor=actor, clock=clock, dry_run=dry_run, adapter=adapter)

    def work(r: Runner) -> None:
        row = stage_statement(r.session, adapter=adapter, statement=statement, actor=actor, clock=clock)
        r.checkpoint()
        r.process(row)

    return _with_runner(runner, work)


def run_reconciliation(
    session_factory: sessionmaker[Session],
    *,
    adapter: str | None = None,
    dry_run: bool = False,
    actor: Actor,
    clock: Clock = utcnow,
) -> dict[str, Any]:
    """Reconcile every staged import (resuming one a crash interrupted); returns the report.
    Safe to run again: with nothing staged it posts nothing and reports the tie-outs."""
    runner = Runner(session_factory, "run", actor=actor, clock=clock, dry_run=dry_run, adapter=adapter)

    def work(r: Runner) -> None:
        for row in repository.pending_imports(r.session, adapter):
            r.process(row)

    return _with_runner(runner, work)


def fetch_statements(
    session_factory: sessionmaker[Session],
    adapters: Mapping[str, PayoutAdapter],
    days: Sequence[date],
    *,
    actor: Actor,
    clock: Clock = utcnow,
) -> dict[str, int]:
    """Stage each day's statement from every adapter that offers one; skip days already in.
    A day already in whose statement now reads differently is `changed`: it is not staged
    (its money would count twice) and is logged for a person to look at."""
    counts = {"fetched": 0, "already_imported": 0, "changed": 0, "unavailable": 0}
    for name, adapter in sorted(adapters.items()):
        if Capability.STATEMENT not in adapter.capabilities:
            continue
        for day in days:
            try:
                statement = adapter.fetch_statement(day)
            except AdapterError:
                counts["unavailable"] += 1
                continue
            with session_factory() as session, session.begin():
                try:
                    with session.begin_nested():  # a refused statement leaves nothing staged
                        stage_statement(session, adapter=name, statement=statement, actor=actor, clock=clock)
                    counts["fetched"] += 1
                except DuplicateFile:
                    counts["already_imported"] += 1
                except DuplicateStatement as refused:
                    counts["changed"] += 1
                    log.warning("statement not staged: %s", refused.detail)
    return counts


def age_payouts(session: Session, *, older_than: timedelta, actor: Actor, clock: Clock = utcnow) -> int:
    """UNCONFIRMED_PAYOUT for each payout in flight with no news for longer than `older_than`.
    Idempotent: a payout already flagged is not flagged again. Returns the number raised."""
    before, after_id, raised = clock() - older_than, 0, 0
    while found := payout_queries.stale_payouts(session, before, after_id, 1_000):
        for payout, adapter in found:
            problem = Problem(
                kind="UNCONFIRMED_PAYOUT", fingerprint=f"UNCONFIRMED_PAYOUT:payout:{payout.id}",
                adapter=adapter, payout_id=payout.id, amount_vnd=payout.amount_vnd,
                detail=f"payout {payout.payout_key} is {payout.state} since {payout.updated_at:%Y-%m-%d}",
                data={"state": payout.state, "since": payout.updated_at.isoformat()},
            )  # fmt: skip
            raised += raise_exception(session, problem, actor=actor, clock=clock)
        after_id = found[-1][0].id
    return raised


def get_run(session: Session, run_id: int) -> ReconRun:
    run = session.get(ReconRun, run_id)
    if run is None:
        raise NotFound(f"reconciliation run {run_id} does not exist", run_id=run_id)
    return run
