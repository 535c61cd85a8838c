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
   Its ceiling: the same rows COPYed into the migrated ledger tables (triggers and keys at work).
4. Verify (SQLite) vs a bare read of the same rows plus SHA-256 of their bytes. From 200,000
   entries verify checks the two halves of the chain at once (a helper process on the second core).

For 1 and 2 it also prints the schema's own ceiling: the same precomputed rows (and the
accounts and balance rows a post writes, and for 2 the lookups a post makes) written by plain
sqlite3 into the migrated ledger tables (keys, indexes, seal triggers), with no hashing and no
Python of ours. No implementation of the ledger's guarantees can beat that ratio.
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
from payments.chain import GENESIS_HASH
from payments.context import Actor
from payments.db import make_engine, make_session_factory
from payments.ledger import services
from payments.ledger.draft import EntryDraft
from payments.ledger.hashing import content_hash, entry_hash
from payments.ledger.verify import verify_ledger
from payments.ledger.writer import ENTRY_COLUMNS, POSTING_COLUMNS

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


def app_sqlite(folder: Path, name: str) -> sqlite3.Connection:
    """A plain sqlite3 connection to a freshly migrated ledger, with the application's pragmas."""
    url = fresh_sqlite(folder, name)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    connection = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=FULL", "cache_size=-131072"):
        connection.execute(f"PRAGMA {pragma}")
    return connection


_ENTRY_INSERT = f"INSERT INTO ledger_entries ({', '.join(ENTRY_COLUMNS)}) VALUES ({', '.join('?' * 14)})"
_HEAD = "SELECT seq, hash FROM ledger_entries ORDER BY seq DESC LIMIT 1"
_KEY_LOOKUP = "SELECT seq FROM ledger_entries WHERE idempotency_key = ?"
_ACCOUNT_LOOKUP = "SELECT id FROM ledger_accounts WHERE id = ?"
_POSTING_INSERT = "INSERT INTO ledger_postings VALUES (?, ?, ?, ?)"
_ACCOUNT_INSERT = "INSERT INTO ledger_accounts (id, code, type, owner_ref, created_at) VALUES (?, ?, ?, ?, ?)"
_BALANCE_UPSERT = (
    "INSERT INTO ledger_balances VALUES (?, ?, ?) ON CONFLICT (account_id) DO UPDATE"
    " SET balance_vnd = balance_vnd + excluded.balance_vnd, last_seq = excluded.last_seq"
)


def _account_row(account_id: int) -> tuple[int, str, str, str, str]:
    if account_id == 1:
        return (1, "expense:BTXH", "expense", "BTXH", "2025-07-01 02:00:00.000000")
    return (account_id, f"payable:{account_id}", "payable", str(account_id), "2025-07-01 02:00:00.000000")


def schema_ceiling_batched(folder: Path, batch: list[EntryDraft]) -> float:
    """Seconds for plain sqlite3 to write a batched post's rows into the ledger's own tables."""
    entries, postings = raw_rows(batch)
    accounts = sorted({line[2] for line in postings})
    balances = {}
    for seq, _, account_id, amount in postings:
        balances[account_id] = (account_id, balances.get(account_id, (0, 0))[1] + amount, seq)
    connection = app_sqlite(folder, "ceiling.db")

    def write() -> None:
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(_ACCOUNT_INSERT, [_account_row(account) for account in accounts])
        for start in range(0, len(entries), 5_000):
            connection.executemany(_POSTING_INSERT, postings[2 * start : 2 * start + 10_000])
            connection.executemany(_ENTRY_INSERT, entries[start : start + 5_000])
        connection.executemany(_BALANCE_UPSERT, [balances[account] for account in accounts])
        connection.execute("COMMIT")

    elapsed = timed(write)
    connection.close()
    return elapsed


def hashing_only(batch: list[EntryDraft]) -> float:
    """Seconds to compute the two hashes every entry needs (content and chain link), nothing else."""

    def hash_all() -> None:
        prev = GENESIS_HASH
        for seq, draft in enumerate(batch, 1):
            digest = content_hash(
                kind=draft.kind, effective_date=draft.effective_date, reverses_seq=draft.reverses_seq,
                payout_ref=draft.payout_ref, enrolment_ref=draft.enrolment_ref, period=draft.period,
                memo_json=draft.memo_json, postings=draft.postings,
            )  # fmt: skip
            prev = entry_hash(
                seq, prev, content_digest=digest, recorded_at=RECORDED, actor="bench",
                idempotency_key=draft.idempotency_key,
            )  # fmt: skip

    return timed(hash_all)


def schema_ceiling_commits(folder: Path, count: int) -> float:
    """Seconds for plain sqlite3 to make a one-entry post's lookups and writes, one commit each."""
    entries, postings = raw_rows(drafts(count))
    connection = app_sqlite(folder, "ceiling_commits.db")
    known: set[int] = set()

    def write() -> None:
        for n, entry in enumerate(entries):
            lines = postings[2 * n : 2 * n + 2]
            connection.execute("BEGIN IMMEDIATE")
            connection.execute(_HEAD).fetchall()
            connection.execute(_KEY_LOOKUP, (entry[7],)).fetchall()
            for _, _, account_id, _ in lines:
                connection.execute(_ACCOUNT_LOOKUP, (account_id,)).fetchall()
                if account_id not in known:
                    connection.execute(_ACCOUNT_INSERT, _account_row(account_id))
                    known.add(account_id)
            connection.executemany(_POSTING_INSERT, lines)
            connection.execute(_ENTRY_INSERT, entry)
            connection.executemany(_BALANCE_UPSERT, [(line[2], line[3], line[0]) for line in lines])
            connection.execute("COMMIT")

    elapsed = timed(write)
    connection.close()
    return elapsed


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


def postgres_batched(batch: list[EntryDraft]) -> tuple[float, float, float]:
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
        ceiling = _postgres_schema_copy(server.create_database("bench_ceiling"), batch)
    finally:
        server.stop()
    return ours, baseline, ceiling


def _postgres_schema_copy(url: str, batch: list[EntryDraft]) -> float:
    """Seconds to COPY a batched post's rows into the migrated ledger tables, chunk by chunk."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    entries, postings = raw_rows(batch)
    entries = [(*row[:4], DAY, RECORDED, *row[6:]) for row in entries]  # typed, as the writer sends
    accounts = sorted({line[2] for line in postings})
    with psycopg.connect(url.replace("+psycopg", "")) as connection:

        def copy(cursor: Any, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as writer:
                for row in rows:
                    writer.write_row(row)

        def write() -> None:
            with connection.cursor() as cursor:
                rows = [(*_account_row(account)[:4], RECORDED) for account in accounts]
                copy(cursor, "ledger_accounts", ("id", "code", "type", "owner_ref", "created_at"), rows)
                for start in range(0, len(entries), 5_000):
                    copy(cursor, "ledger_postings", POSTING_COLUMNS, postings[2 * start : 2 * start + 10_000])
                    copy(cursor, "ledger_entries", ENTRY_COLUMNS, entries[start : start + 5_000])
            connection.commit()

        return timed(write)


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


def report_ceiling(name: str, ceiling: float, baseline: float, count: int, how: str) -> None:
    """A ratio no implementation of `name` can beat: the schema's own writes, done `how`."""
    print(
        f"{'  ceiling':18s} SQL  {count / ceiling:>10,.0f}/s   raw {count / baseline:>10,.0f}/s   "
        f"ratio {baseline / ceiling:5.2f}x   (our schema's rows {how}: {name} cannot beat it)"
    )


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
        ceiling = schema_ceiling_batched(Path(folder), batch)
        report_ceiling("sqlite_batched", ceiling, baseline, count, "by plain sqlite3")
        hashed = ceiling + hashing_only(batch)
        report_ceiling("sqlite_batched", hashed, baseline, count, "by sqlite3 + hashes")
        ours, baseline = durable_commits(Path(folder), commits)
        report("durable_commit", ours, baseline, commits)
        ceiling = schema_ceiling_commits(Path(folder), commits)
        report_ceiling("durable_commit", ceiling, baseline, commits, "by plain sqlite3")
        if not args.skip_postgres:
            ours, baseline, ceiling = postgres_batched(batch)
            report("postgres_batched", ours, baseline, count)
            report_ceiling("postgres_batched", ceiling, baseline, count, "by COPY")
        report("verify", *verify_vs_read(url), count)


if __name__ == "__main__":
    main()
