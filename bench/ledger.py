"""Ledger benchmark: each figure is a ratio against a raw baseline measured in the same run.

    .venv/bin/python -m bench.ledger                      # N = 20,000 entries, well under a minute
    .venv/bin/python -m bench.ledger --entries 500000     # the issue's size (several minutes)
    .venv/bin/python -m bench.ledger --skip-postgres      # SQLite only

Every entry is a monthly accrual with two postings (`expense:BTXH` debit, `payable:<b>` credit)
and a small explanation memo, over N/2 beneficiaries, so half the payable accounts are created
by the run itself (a first month). The baselines insert the very same entry and posting rows
(built before the clock starts) into plain tables with no keys, indexes, triggers or hashing.

1. SQLite, batched: `post_entries` in one transaction vs one `executemany` per table.
2. SQLite, one entry per durable commit (WAL, synchronous=FULL) vs the same rows, one commit each.
3. PostgreSQL (a durable server: fsync on), batched `post_entries` vs `COPY` of the same rows.
4. Verify (SQLite) vs a bare read of the same rows plus SHA-256 of their bytes.
"""

import argparse
import hashlib
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg

from payments import migrate
from payments.context import Actor
from payments.db import make_engine, make_session_factory
from payments.ledger import services
from payments.ledger.draft import EntryDraft
from payments.ledger.verify import verify_ledger

ACTOR = Actor(username="bench", role="system")
DAY = date(2025, 7, 1)
RECORDED = datetime(2025, 7, 1, 2, 0, tzinfo=UTC)
TARGETS = {"sqlite_batched": 0.35, "durable_commit": 0.75, "postgres_batched": 0.25, "verify": 0.5}
RAW_ENTRY_COLUMNS = (
    "seq BIGINT, prev_hash TEXT, hash TEXT, kind TEXT, effective_date TEXT, recorded_at TEXT, actor TEXT,"
    " idempotency_key TEXT, content_hash TEXT, reverses_seq BIGINT, payout_ref TEXT, enrolment_ref TEXT,"
    " period TEXT, memo TEXT"
)
RAW_POSTING_COLUMNS = "entry_seq BIGINT, line INTEGER, account_id BIGINT, amount_vnd BIGINT"


def drafts(count: int, start: int = 0) -> list[EntryDraft]:
    beneficiaries = max(count // 2, 1)
    made = []
    for n in range(start, start + count):
        amount = 500_000 + 250_000 * (n % 3)
        made.append(
            EntryDraft(
                f"accrual:2025-07:E{n:09d}:base",
                "accrual",
                DAY,
                (("expense:BTXH", amount), (f"payable:{n % beneficiaries}", -amount)),
                enrolment_ref=f"E{n:09d}",
                period="2025-07",
                memo={"component": "base", "coefficient": "1.5", "standard_vnd": 500_000},
            )
        )
    return made


def raw_rows(batch: list[EntryDraft], first_seq: int = 1) -> tuple[list[tuple], list[tuple]]:
    """The rows a ledger write stores, as plain values (hashes are placeholders of the same size)."""
    entries, postings = [], []
    beneficiaries = max(len(batch) // 2, 1)
    for seq, draft in enumerate(batch, first_seq):
        digest = f"{seq:064x}"
        entries.append(
            (seq, digest, digest, draft.kind, DAY.isoformat(), "2025-07-01 02:00:00.000000", "bench",
             draft.idempotency_key, digest, None, None, draft.enrolment_ref, draft.period, draft.memo_json)
        )  # fmt: skip
        postings.append((seq, 1, 1, draft.postings[0][1]))
        postings.append((seq, 2, 2 + seq % beneficiaries, draft.postings[1][1]))
    return entries, postings


def timed(action: Callable[[], Any]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def fresh_sqlite(folder: Path, name: str) -> str:
    path = folder / name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def raw_sqlite(path: Path) -> sqlite3.Connection:
    """A connection with the application's durability settings (WAL, synchronous=FULL)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute(f"CREATE TABLE raw_entries ({RAW_ENTRY_COLUMNS})")
    connection.execute(f"CREATE TABLE raw_postings ({RAW_POSTING_COLUMNS})")
    return connection


def sqlite_batched(folder: Path, batch: list[EntryDraft]) -> tuple[float, float, str]:
    url = fresh_sqlite(folder, "ledger.db")
    engine = make_engine(url)
    migrate.upgrade(engine)

    def post() -> None:
        with make_session_factory(engine)() as session:
            services.post_entries(session, batch, actor=ACTOR, clock=lambda: RECORDED)
            session.commit()

    ours = timed(post)
    engine.dispose()
    entries, postings = raw_rows(batch)
    connection = raw_sqlite(folder / "raw.db")

    def raw() -> None:
        connection.execute("BEGIN")
        connection.executemany(f"INSERT INTO raw_entries VALUES ({', '.join('?' * 14)})", entries)
        connection.executemany("INSERT INTO raw_postings VALUES (?, ?, ?, ?)", postings)
        connection.execute("COMMIT")

    baseline = timed(raw)
    connection.close()
    return ours, baseline, url


def durable_commits(folder: Path, count: int) -> tuple[float, float]:
    batch = drafts(count)
    engine = make_engine(fresh_sqlite(folder, "commits.db"))
    migrate.upgrade(engine)
    sessions = make_session_factory(engine)

    def post() -> None:
        for draft in batch:
            with sessions() as session:
                services.post_entry(session, draft, actor=ACTOR)
                session.commit()

    ours = timed(post)
    engine.dispose()
    entries, postings = raw_rows(batch)
    path = folder / "raw_commits.db"
    connection = raw_sqlite(path)

    def raw() -> None:
        for n, entry in enumerate(entries):
            connection.execute("BEGIN")
            connection.execute(f"INSERT INTO raw_entries VALUES ({', '.join('?' * 14)})", entry)
            lines = postings[2 * n : 2 * n + 2]
            connection.executemany("INSERT INTO raw_postings VALUES (?, ?, ?, ?)", lines)
            connection.execute("COMMIT")

    baseline = timed(raw)
    connection.close()
    return ours, baseline


def postgres_batched(batch: list[EntryDraft]) -> tuple[float, float]:
    from tests.support.postgres import start_postgres

    server = start_postgres(durable=True)
    try:
        engine = make_engine(server.create_database("bench_ledger"))
        migrate.upgrade(engine)

        def post() -> None:
            with make_session_factory(engine)() as session:
                services.post_entries(session, batch, actor=ACTOR, clock=lambda: RECORDED)
                session.commit()

        ours = timed(post)
        engine.dispose()
        baseline = _postgres_copy(server.create_database("bench_raw").replace("+psycopg", ""), batch)
    finally:
        server.stop()
    return ours, baseline


def _postgres_copy(url: str, batch: list[EntryDraft]) -> float:
    entries, postings = raw_rows(batch)
    with psycopg.connect(url) as connection:
        connection.execute(f"CREATE TABLE raw_entries ({RAW_ENTRY_COLUMNS})")
        connection.execute(f"CREATE TABLE raw_postings ({RAW_POSTING_COLUMNS})")
        connection.commit()

        def copy() -> None:
            with connection.cursor() as cursor:
                for table, rows in (("raw_entries", entries), ("raw_postings", postings)):
                    with cursor.copy(f"COPY {table} FROM STDIN") as writer:
                        for row in rows:
                            writer.write_row(row)
            connection.commit()

        return timed(copy)


def verify_vs_read(url: str) -> tuple[float, float]:
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        ours = timed(lambda: _must_verify(session))
    engine.dispose()
    connection = sqlite3.connect(url.removeprefix("sqlite:///"))

    def bare() -> None:
        for table, order in (("ledger_entries", "seq"), ("ledger_postings", "entry_seq, line")):
            for row in connection.execute(f"SELECT * FROM {table} ORDER BY {order}"):
                hashlib.sha256(repr(row).encode()).digest()

    baseline = timed(bare)
    connection.close()
    return ours, baseline


def _must_verify(session: Any) -> None:
    result = verify_ledger(session, [])
    if not result.ok:
        raise SystemExit(f"verify failed: {result}")


def report(name: str, ours: float, baseline: float, count: int) -> None:
    ratio = baseline / ours
    verdict = "meets" if ratio >= TARGETS[name] else "BELOW"
    print(
        f"{name:18s} ours {count / ours:>10,.0f}/s   raw {count / baseline:>10,.0f}/s   "
        f"ratio {ratio:5.2f}x   target >= {TARGETS[name]:.2f}x  {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=20_000, help="entries to post in the batched runs")
    parser.add_argument("--commits", type=int, help="durable commits (default: min(N/10, 2000))")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    count, commits = args.entries, args.commits or max(min(args.entries // 10, 2_000), 50)
    batch = drafts(count)
    print(f"ledger benchmark: {count:,} two-posting entries, {commits:,} durable commits, pid {os.getpid()}")
    with tempfile.TemporaryDirectory(prefix="ledger-bench-", dir=os.environ.get("BENCH_DIR")) as folder:
        ours, baseline, url = sqlite_batched(Path(folder), batch)
        report("sqlite_batched", ours, baseline, count)
        report("durable_commit", *durable_commits(Path(folder), commits), commits)
        if not args.skip_postgres:
            report("postgres_batched", *postgres_batched(batch), count)
        report("verify", *verify_vs_read(url), count)


if __name__ == "__main__":
    main()
