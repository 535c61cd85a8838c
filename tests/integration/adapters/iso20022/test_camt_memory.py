"""A large camt.053 is read in bounded memory: the parser frees each entry once read.

Measured in a fresh interpreter (its own peak resident size). 40,000 entries make a 40 MB file
whose full lxml tree alone would take several hundred MB; streaming stays near the
interpreter's own size.
"""

import multiprocessing
import resource

import pytest

from bench.camt_parse import generate

ENTRIES = 40_000


def _parse(path: str, queue) -> None:
    from payments.adapters.iso20022.camt import CamtEntry, iter_camt

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    count = sum(1 for item in iter_camt(path) if isinstance(item, CamtEntry))
    queue.put((count, before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


@pytest.mark.slow
def test_a_large_statement_is_parsed_without_holding_it_in_memory(tmp_path):
    path = tmp_path / "camt053.xml"
    generate(path, ENTRIES)
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_parse, args=(str(path), queue))
    process.start()
    process.join(timeout=120)
    count, before_kb, peak_kb = queue.get(timeout=5)
    assert count == ENTRIES
    growth_mb = (peak_kb - before_kb) / 1024
    file_mb = path.stat().st_size / 2**20
    assert file_mb > 35
    assert growth_mb < 25, f"parsing grew the process by {growth_mb:.0f} MB for a {file_mb:.0f} MB file"
