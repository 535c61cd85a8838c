"""Registry import benchmark: `python -m bench.registry_import [--rows N]` (SQLite).

Generates N beneficiary rows (realistic Vietnamese names, valid citizen IDs), imports them
with the real importer (two passes: check, then chunked bulk writes with encryption), and
compares with a raw `executemany` of exactly the rows the import wrote (read back from the
first database) into the same tables of a second, freshly migrated database, in one
transaction, timed around the inserts only. Target: import rate >= 0.25 x raw rate, peak
memory < 500 MB at 250,000 rows. Peak memory is the process's maximum resident set size,
taken right after the import (before the baseline runs).
"""

import argparse
import csv
import resource
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine

from payments import migrate
from payments.config import Settings
from payments.context import Actor
from payments.db import make_engine, make_session_factory
from payments.demo.population import generated_rows
from payments.registry.crypto import PiiCipher
from payments.registry.import_rows import CSV_HEADER
from payments.registry.importer import import_beneficiaries

TABLES = ("beneficiaries", "beneficiary_versions", "enrolments", "enrolment_versions", "payment_instruments")
CHUNK = 5_000


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, CSV_HEADER)
        writer.writeheader()
        writer.writerows(generated_rows(rows))


def run_import(engine: Engine, path: Path) -> tuple[float, dict[str, int]]:
    cipher = PiiCipher.from_settings(Settings.from_env({}))
    actor = Actor(username="bench", role="system")
    with make_session_factory(engine)() as session:
        started = time.perf_counter()
        report = import_beneficiaries(session, actor, cipher, lambda: path.open(encoding="utf-8", newline=""))
        session.commit()
        elapsed = time.perf_counter() - started
    if not report.written:
        sys.exit(f"import refused: {report.problems[:5]}")
    return elapsed, report.counts()


def run_raw(source: Engine, target: Engine) -> tuple[float, int]:
    """executemany of the imported rows into the same tables; only the inserts are timed."""
    reader, writer = source.raw_connection(), target.raw_connection()
    elapsed, total = 0.0, 0
    cursor = writer.cursor()
    cursor.execute("BEGIN")
    for table in TABLES:
        read = reader.cursor()
        read.execute(f"SELECT * FROM {table} ORDER BY rowid")
        columns = ", ".join(d[0] for d in read.description)
        marks = ", ".join("?" * len(read.description))
        statement = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
        while batch := read.fetchmany(CHUNK):
            started = time.perf_counter()
            cursor.executemany(statement, batch)
            elapsed += time.perf_counter() - started
            total += len(batch)
    started = time.perf_counter()
    cursor.execute("COMMIT")
    elapsed += time.perf_counter() - started
    reader.close()
    writer.close()
    return elapsed, total


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "beneficiaries.csv"
        write_csv(path, args.rows)
        imported, raw = (
            make_engine(f"sqlite:///{folder / 'a.db'}"),
            make_engine(f"sqlite:///{folder / 'b.db'}"),
        )
        migrate.upgrade(imported)
        migrate.upgrade(raw)
        import_seconds, counts = run_import(imported, path)
        peak = peak_rss_mb()
        raw_seconds, raw_rows = run_raw(imported, raw)
    import_rate, raw_rate = args.rows / import_seconds, args.rows / raw_seconds
    print(f"rows: {args.rows:,} ({counts})")
    print(f"import: {import_seconds:.2f} s, {import_rate:,.0f} rows/s")
    print(
        f"raw executemany of the same {raw_rows:,} table rows: {raw_seconds:.2f} s, "
        f"{raw_rate:,.0f} CSV rows/s"
    )
    print(f"ratio import/raw: {import_rate / raw_rate:.2f} (target >= 0.25)")
    print(f"peak memory (max RSS): {peak:.0f} MB (target < 500 MB at 250,000 rows)")


if __name__ == "__main__":
    main()
