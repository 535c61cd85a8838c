"""Accrual benchmark: `python -m bench.accrual [--people N] [--postgres]` (SQLite by default).

Imports N generated beneficiaries (one enrolment each), accrues one month with the real run,
and compares with the ledger's own batched posting of the same number of entries (the same
accounts, amounts and memo sizes) into a second fresh database in the same run. Target: the
accrual runs at >= 0.6 x the ledger's batched posting rate (the calculation and the reads
cost less than the writing), peak memory < 500 MB (the accrual's own: the peak is reset
before it on Linux, so neither the import nor the bench's copies count). The issue's sizes are
250,000 on SQLite and 1,000,000 on PostgreSQL (`--postgres` starts a throwaway durable server,
as bench.ledger does); the default is small so that it finishes in about a minute here.
From 20,000 people the run works out what is owed in a helper process on the second core
(payments.entitlements.owing); its CPU is printed too. The peak memory is this process's only.
"""

import argparse
import contextlib
import resource
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from sqlalchemy import func, select

from bench.registry_import import run_import, write_csv
from payments import migrate
from payments.context import Actor
from payments.db import make_engine, make_session_factory
from payments.entitlements.accrual import accrue
from payments.entitlements.period import Period
from payments.entitlements.rates import load_rate_set
from payments.ledger.draft import EntryDraft
from payments.ledger.model import Entry
from payments.ledger.services import post_entries

ACTOR = Actor(username="bench", role="system")
PERIOD = Period(2025, 8)


def fresh(folder: Path, name: str, server=None):
    """A migrated database: a SQLite file in `folder`, or a new database on the PostgreSQL `server`."""
    engine = make_engine(
        server.create_database(name.removesuffix(".db")) if server else f"sqlite:///{folder / name}"
    )
    migrate.upgrade(engine)
    return engine


def run_accrual(engine) -> tuple[float, int, float, list[EntryDraft]]:
    """Seconds, entries posted, the accrual's own peak memory (MB), and copies of its entries."""
    factory = make_session_factory(engine)
    with factory() as session:
        rates = load_rate_set(session, "68")
    reset_peak_memory()  # the import before and the copies below are not the accrual's
    started, helper_cpu = time.perf_counter(), children_cpu()
    summary = accrue(factory, PERIOD, rates, actor=ACTOR, chunk=1_000)
    elapsed = time.perf_counter() - started
    print(f"CPU of the helper process working out what is owed: {children_cpu() - helper_cpu:.1f}s")
    peak_mb = peak_memory_mb()
    with factory() as session:
        posted = list(session.scalars(select(Entry).where(Entry.kind == "accrual").order_by(Entry.seq)))
        drafts = [copy_entry(entry) for entry in posted]
    assert summary.posted == len(drafts), (summary.posted, len(drafts))
    return elapsed, summary.posted, peak_mb, drafts


def children_cpu() -> float:
    """CPU seconds of finished child processes (a large run's helper, payments.entitlements.owing)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def reset_peak_memory() -> None:
    """Start the process's peak resident set size again from its current size (Linux only)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_memory_mb() -> float:
    """The process's peak resident set size since the last reset (since it started, elsewhere)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def copy_entry(entry: Entry) -> EntryDraft:
    return EntryDraft(
        idempotency_key=f"baseline:{entry.idempotency_key}",
        kind=entry.kind,
        effective_date=entry.effective_date,
        postings=tuple((p.account.code, p.amount_vnd) for p in entry.postings),
        enrolment_ref=entry.enrolment_ref,
        period=entry.period,
        memo=entry.memo,
    )


def run_baseline(engine, drafts: list[EntryDraft]) -> float:
    factory = make_session_factory(engine)
    with factory() as session:
        started = time.perf_counter()
        post_entries(session, drafts, actor=ACTOR)
        session.commit()
        return time.perf_counter() - started


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--postgres", action="store_true", help="on a throwaway PostgreSQL server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        folder, server = Path(tmp), None
        if args.postgres:
            from tests.support.postgres import start_postgres

            server = start_postgres(durable=True)
            stack.callback(server.stop)
        people = folder / "people.csv"
        write_csv(people, args.people)
        engine = fresh(folder, "accrual.db", server)
        run_import(engine, people)
        elapsed, entries, peak_mb, drafts = run_accrual(engine)
        baseline = run_baseline(fresh(folder, "baseline.db", server), drafts)
        with make_session_factory(engine)() as session:
            assert session.scalar(select(func.count()).select_from(Entry)) == entries
        engine.dispose()
    ours, theirs = entries / elapsed, entries / baseline
    where = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"{where}, {args.people:,} people: accrual posted {entries:,} entries, {elapsed:.1f}s ({ours:,.0f}/s)"
    )
    print(f"ledger batched posting of the same entries: {baseline:.1f}s ({theirs:,.0f}/s)")
    print(f"ratio {ours / theirs:.2f}x (target >= 0.6x); peak memory {peak_mb:,.0f} MB (target < 500 MB)")


if __name__ == "__main__":
    main()
