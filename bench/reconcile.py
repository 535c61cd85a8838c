"""Reconciliation at scale: parse, match, and the whole import-match-post on SQLite.

    .venv/bin/python -m bench.reconcile [--entries N] [--skip-import] [--phases]

Generates a camt.053 with N entries (default 100,000) for N payouts, 1 % of them seeded
exceptions (a third unknown keys, a third wrong amounts, a third second bookings of a paid
payout), then reports:

- parse: lines/s of the streaming reader, and its peak resident memory, in a fresh process;
- match: lines/s of the matching passes (`payments.reconcile.matching`), and its ratio to a
  bare dict join of the same keys and amounts in the same run (target >= 0.2);
- import: wall time of `import_file` (stage, match, post settlements, raise exceptions) on a
  fresh SQLite database holding the N payouts (accepted, in flight), with its CPU time and
  figures; with --phases, where that time went.

For the issue's 1,000,000 entries: `.venv/bin/python -m bench.reconcile --entries 1000000`
(about 0.7 GB of XML in a temporary folder; set TMPDIR to put it elsewhere).
"""

import argparse
import gc
import importlib
import inspect
import multiprocessing
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from payments import migrate
from payments.adapters.iso20022.camt import Balance, CamtEntry, CamtStatement, CamtTransaction
from payments.adapters.iso20022.camt_writer import write_camt
from payments.context import Actor
from payments.db import make_engine, make_session_factory
from payments.disbursements.model import Batch, Payout
from payments.reconcile.iso_readers import camt_lines
from payments.reconcile.lines import Line
from payments.reconcile.matching import Candidate, CandidateIndex, Match, match_lines

DAY = date(2024, 8, 21)
AMOUNT = 750_000
CHUNK = 50_000
ACTOR = Actor(username="bench", role="system")


def key(n: int) -> str:
    return f"2408-{n:08d}-01-BTXH"


def seeded(n: int) -> str | None:
    """Which exception entry n seeds (1 in 100), or None."""
    if n % 100:
        return None
    return ("unknown", "amount", "duplicate")[(n // 100) % 3]


def _entry(n: int, payouts: int) -> CamtEntry:
    kind = seeded(n)
    paying = key(n)
    amount = AMOUNT
    if kind == "unknown":
        paying = f"9901-{n:08d}-01-XXXX"
    elif kind == "amount":
        amount = AMOUNT - 1_000
    elif kind == "duplicate":
        paying = key(max(1, (n - 1) % payouts))
    tx_id = f"ZZ{n:010d}" if kind == "unknown" else f"TX{n:010d}"  # unknown: no reference of ours
    tx = CamtTransaction(paying, None, None, None, None, tx_id, amount, "DBIT", creditor_name="NGUYEN VAN AN")
    return CamtEntry("S", n, None, amount, "DBIT", "BOOK", DAY, DAY, f"FT{n:012d}", transactions=(tx,))


def generate(path: Path, count: int) -> int:
    """Write the statement; returns its booked movement (signed đồng)."""
    moved = -sum(_entry(n, count).amount_vnd for n in range(1, count + 1))
    statement = CamtStatement(
        kind="camt.053",
        message_id="BENCH-1",
        created_at=datetime(2024, 8, 21, 16, tzinfo=UTC),
        statement_id="BENCH-STMT-1",
        account="0071000123456",
        balances=(Balance("OPBD", 10**13, "CRDT", DAY), Balance("CLBD", 10**13 + moved, "CRDT", DAY)),
    )
    with path.open("wb") as stream:
        write_camt(stream, statement, (_entry(n, count) for n in range(1, count + 1)))
    return moved


# --- parse --------------------------------------------------------------------------------


def _parse_in_child(path: str, out: "multiprocessing.Queue[tuple[int, float, int]]") -> None:
    start = time.perf_counter()
    lines = sum(1 for item in camt_lines(path) if isinstance(item, Line))
    elapsed = time.perf_counter() - start
    out.put((lines, elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def parse(path: Path) -> tuple[int, float, float]:
    """(lines, seconds, peak MB) of a streaming parse in a fresh process."""
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    child = context.Process(target=_parse_in_child, args=(str(path), out))
    child.start()
    lines, elapsed, peak_kb = out.get()
    child.join()
    return lines, elapsed, peak_kb / 1024


# --- match --------------------------------------------------------------------------------


def _chunks(path: Path) -> Iterator[list[Line]]:
    chunk: list[Line] = []
    for item in camt_lines(path):
        if isinstance(item, Line):
            chunk.append(item)
            if len(chunk) == CHUNK:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def _candidates(lines: list[Line]) -> list[Candidate]:
    """The payouts a chunk's lines name (as the database would return them), by number."""
    found = []
    for line in lines:
        n = line.position
        found.append(Candidate(n, key(n), AMOUNT, "accepted", f"TX{n:010d}", "NGUYEN VAN AN", DAY))
    return found


def match(path: Path) -> tuple[int, float, float, int]:
    """(lines, seconds matching, seconds of the dict join, matched) over the same chunks.

    Both are timed with the cyclic garbage collector paused, as `timeit` does: otherwise a
    collection that happens to fall inside one of them (scanning every live line) is measured
    instead of the code."""
    lines_seen = matched = 0
    matching = joining = 0.0
    for lines in _chunks(path):
        candidates = _candidates(lines)
        gc.disable()
        start = time.perf_counter()
        # as the database layer builds it: what the lines name by key, and (for the 1 % it
        # cannot match by key) what their references and prefixes found: nothing here.
        results = match_lines(lines, CandidateIndex(candidates, references={}, prefixed={}))
        matching += time.perf_counter() - start
        start = time.perf_counter()
        amounts = {c.payout_key: c.amount_vnd for c in candidates}
        joined = sum(1 for ln in lines if amounts.get(ln.end_to_end_id) == ln.amount_vnd)
        joining += time.perf_counter() - start
        gc.enable()
        lines_seen += len(lines)
        matched += sum(1 for r in results if isinstance(r, Match))
        assert joined == sum(1 for r in results if isinstance(r, Match)), (joined, len(lines))
    return lines_seen, matching, joining, matched


# --- import on SQLite ---------------------------------------------------------------------


def seed_payouts(session_factory, count: int) -> None:
    now = datetime.now(UTC)
    with session_factory() as session, session.begin():
        batch = Batch(
            period="2024-08", programme="BTXH", adapter="bank", state="dispatched",
            total_vnd=AMOUNT * count, payout_count=count, manifest_hash="0" * 64, created_by="bench",
            created_at=now, state_changed_at=now,
        )  # fmt: skip
        session.add(batch)
        session.flush()
        rows = (_payout_row(batch.id, n, now) for n in range(1, count + 1))
        while chunk := [row for _, row in zip(range(10_000), rows, strict=False)]:
            session.execute(insert(Payout), chunk)


def _payout_row(batch_id: int, n: int, now: datetime) -> dict:
    return {
        "batch_id": batch_id, "payout_key": key(n), "beneficiary_id": n, "amount_vnd": AMOUNT, "attempt": 1,
        "state": "accepted", "channel": "bank", "instrument_id": n, "instrument_sealed": b"-",
        "instrument_key_id": "bench", "instrument_masked": {}, "beneficiary_name": "NGUYEN VAN AN",
        "commune_code": "24001", "category_code": "BTXH_ELDERLY_POOR_60_80",
        "provider_reference": f"TX{n:010d}",
        "send_attempts": 1, "updated_at": now,
    }  # fmt: skip


def import_on_sqlite(path: Path, folder: Path, count: int) -> tuple[float, float, float, dict]:
    """(wall seconds, CPU seconds here, CPU seconds of the reading process, report) of
    `import_file`. This process's CPU time includes SQLite's (it runs in it); a file this large
    is read in a helper process meanwhile. On a shared machine CPU moves less than wall time."""
    from payments.reconcile.runs import import_file

    engine = make_engine(f"sqlite:///{folder / 'bench.db'}")
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    seed_payouts(factory, count)
    start, cpu, helpers = time.perf_counter(), time.process_time(), _children_cpu()
    report = import_file(factory, adapter="bank", data=path, file_name=path.name, actor=ACTOR)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    engine.dispose()
    return elapsed, cpu, _children_cpu() - helpers, report


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # of children waited for
    return usage.ru_utime + usage.ru_stime


# --- where the import's time goes (--phases) -----------------------------------------------

# (phase, module, attribute): the functions timed, each exclusive of the phases inside it.
# A file this large is read in a helper process (payments.aside) while this one
# stages what it has read: the time this process waits for it is its own phase.
PHASES = (
    ("reading here (a small file)", "payments.reconcile.iso_readers", "iter_camt"),
    ("reading here (a small file)", "payments.reconcile.iso_readers", "_entry_lines"),
    ("waiting for the reader", "payments.aside", "_received"),
    ("stage lines", "payments.reconcile.bulk", "insert_lines"),
    ("read lines back", "payments.reconcile.repository", "lines_after"),
    ("payout reads", "payments.reconcile.processing", "_index"),
    ("payout reads", "payments.reconcile.payout_queries", "booked_movements"),
    ("draft settlement entries", "payments.reconcile.processing", "outcome_move"),
    ("payout updates", "payments.reconcile.bulk", "move_payouts"),
    ("matches", "payments.reconcile.bulk", "insert_matches"),
    ("exceptions and their audit", "payments.reconcile.chunk", "raise_exceptions"),
    ("ledger posting", "payments.reconcile.chunk", "post_entries"),
    ("commits", "payments.reconcile.runs", "Runner.checkpoint"),
    ("tie-outs and report", "payments.reconcile.runs", "check_continuity"),
    ("tie-outs and report", "payments.reconcile.runs", "build_report"),
)


class PhaseClock:
    """Wall time per phase, by wrapping the functions of `PHASES` (a wrapped call costs about
    a microsecond, so a timed import is a little slower than the plain one)."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = dict.fromkeys([name for name, _, _ in PHASES], 0.0)
        self._inner: list[float] = []  # time of timed phases inside the one running

    def install(self) -> None:
        for name, module_name, attribute in PHASES:
            owner: Any = importlib.import_module(module_name)
            *path, last = attribute.split(".")
            for part in path:
                owner = getattr(owner, part)
            original = getattr(owner, last)
            timed = self._generator(name, original) if inspect.isgeneratorfunction(original) else None
            setattr(owner, last, timed or self._function(name, original))

    def _function(self, name: str, original: Callable) -> Callable:
        def timed(*args: Any, **kwargs: Any) -> Any:
            with self._timing(name):
                return original(*args, **kwargs)

        return timed

    def _generator(self, name: str, original: Callable) -> Callable:
        def timed(*args: Any, **kwargs: Any) -> Iterator[Any]:
            items = original(*args, **kwargs)
            while True:
                with self._timing(name):
                    item = next(items, _DONE)
                if item is _DONE:
                    return
                yield item

        return timed

    @contextmanager
    def _timing(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        self._inner.append(0.0)
        try:
            yield
        finally:
            spent, inner = time.perf_counter() - start, self._inner.pop()
            self.spent[name] += spent - inner
            if self._inner:
                self._inner[-1] += spent

    def report(self, elapsed: float) -> str:
        rows = [*self.spent.items(), ("the rest", elapsed - sum(self.spent.values()))]
        lines = [f"  {name:<28} {spent:7.1f} s {100 * spent / elapsed:5.1f} %" for name, spent in rows]
        return "\n".join(lines)


_DONE = object()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--skip-import", action="store_true", help="parse and match only")
    parser.add_argument("--phases", action="store_true", help="time the import's phases (a little slower)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-reconcile-") as tmp:
        folder = Path(tmp)
        path = folder / "camt053.xml"
        start = time.perf_counter()
        generate(path, args.entries)
        size_mb = path.stat().st_size / 1e6
        print(
            f"generated {args.entries:,} entries ({size_mb:,.0f} MB) in {time.perf_counter() - start:.1f} s"
        )
        lines, seconds, peak = parse(path)
        rate = lines / seconds
        print(f"parse:  {lines:,} lines in {seconds:.1f} s = {rate:,.0f} lines/s, peak {peak:,.0f} MB RSS")
        lines, matching, joining, matched = match(path)
        ratio = joining / matching
        print(
            f"match:  {lines / matching:,.0f} lines/s ({matched:,} matched); "
            f"dict join {lines / joining:,.0f} lines/s; ratio {ratio:.2f} (target >= 0.2)"
        )
        if args.skip_import:
            return 0
        phases = PhaseClock() if args.phases else None
        if phases is not None:
            phases.install()
        elapsed, cpu, reader_cpu, report = import_on_sqlite(path, folder, args.entries)
        exceptions = {k: v["count"] for k, v in report["exceptions"].items()}
        settled = report["outcomes"].get("settled", {}).get("count", 0)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"import: {report['lines']:,} lines staged, matched and posted on SQLite in {elapsed:.1f} s "
            f"(CPU {cpu:.1f} s, and {reader_cpu:.1f} s in the process reading the file alongside; "
            f"{report['lines'] / elapsed:,.0f} lines/s): {settled:,} settled, "
            f"{report['posted_entries']:,} entries, exceptions {exceptions}; "
            f"peak {peak:,.0f} MB RSS (the bench's whole process)"
        )
        if phases is not None:
            print(phases.report(elapsed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
