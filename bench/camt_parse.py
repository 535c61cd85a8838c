"""Streaming camt.053 parse: entries per second and peak memory, against a bare lxml baseline.

    .venv/bin/python -m bench.camt_parse [--entries N]

Generates a camt.053 with N entries (default 100,000) in a temporary folder, then parses it in
a fresh process (so the peak resident memory is the parser's own) twice: with
`payments.adapters.iso20022.camt.iter_camt`, and with a bare `lxml.etree.iterparse` that only
clears elements (the floor any lxml-based reader pays). Prints both rates and their ratio.
"""

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

from payments.adapters.iso20022.camt import Balance, CamtEntry, CamtStatement, CamtTransaction
from payments.adapters.iso20022.camt_writer import write_camt

DAY = date(2024, 8, 21)
AMOUNT = 500_000


def _entries(count: int) -> Iterator[CamtEntry]:
    for n in range(1, count + 1):
        key = f"P2024-08-{n:012d}"
        tx = CamtTransaction(
            key,
            f"I{n:012d}",
            "B2024-08-0001",
            "B2024-08-0001",
            f"SVC{n:010d}",
            None,
            AMOUNT,
            "DBIT",
            creditor_name="NGUYEN VAN AN",
            creditor_account=f"{n:012d}",
        )
        yield CamtEntry(
            "STMT-1", n, None, AMOUNT, "DBIT", "BOOK", DAY, DAY, f"SVC{n:010d}", transactions=(tx,)
        )


def generate(path: Path, count: int) -> None:
    opening = count * AMOUNT
    statement = CamtStatement(
        "camt.053",
        "BENCH-053",
        datetime(2024, 8, 21, 17, tzinfo=UTC),
        "STMT-1",
        "0011001234567",
        (Balance("OPBD", opening, "CRDT", DAY), Balance("CLBD", 0, "CRDT", DAY)),
        1,
    )
    with path.open("wb") as stream:
        write_camt(stream, statement, _entries(count))


def _parse(path: str, queue: multiprocessing.Queue) -> None:
    from payments.adapters.iso20022.camt import CamtEntry, iter_camt

    started = time.perf_counter()
    entries = total = 0
    for item in iter_camt(path):
        if isinstance(item, CamtEntry):
            entries += 1
            total += item.signed_vnd
    queue.put((entries, time.perf_counter() - started, total))


def _baseline(path: str, queue: multiprocessing.Queue) -> None:
    from lxml import etree

    started = time.perf_counter()
    entries = 0
    tag = "{urn:iso:std:iso:20022:tech:xsd:camt.053.001.08}Ntry"
    for _event, elem in etree.iterparse(
        path, events=("end",), tag=tag, resolve_entities=False, no_network=True
    ):
        entries += 1
        elem.clear(keep_tail=True)
        while elem.getprevious() is not None:
            del elem.getparent()[0]
    queue.put((entries, time.perf_counter() - started, 0))


def _in_fresh_process(target: object, path: Path) -> tuple[int, float, int, float]:
    """(entries, seconds, signed total, peak RSS in MB) measured in a spawned interpreter."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(str(path), queue))
    process.start()
    process.join()
    if process.exitcode != 0:
        raise SystemExit(f"the parsing process failed (exit code {process.exitcode})")
    entries, seconds, total = queue.get(timeout=5)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest child so far
    return entries, seconds, total, peak_kb / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "camt053.xml"
        started = time.perf_counter()
        generate(path, args.entries)
        size_mb = path.stat().st_size / 2**20
        print(
            f"generated {args.entries:,} entries, {size_mb:,.1f} MB in {time.perf_counter() - started:.1f} s"
        )
        base_n, base_s, _, _ = _in_fresh_process(_baseline, path)
        n, seconds, total, peak_mb = _in_fresh_process(_parse, path)
    if n != args.entries or base_n != args.entries or total != -args.entries * AMOUNT:
        print(f"MISMATCH: parsed {n}, baseline {base_n}, total {total}", file=sys.stderr)
        return 1
    print(f"baseline lxml iterparse: {base_n / base_s:,.0f} entries/s ({base_s:.2f} s)")
    rate = f"{n / seconds:,.0f} entries/s ({seconds:.2f} s, {size_mb / seconds:,.1f} MB/s)"
    print(f"iter_camt:               {rate}")
    print(f"peak RSS of the parsing process (max over both runs): {peak_mb:,.0f} MB")
    print(f"ratio iter_camt / baseline: {(n / seconds) / (base_n / base_s):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
