"""A file's lines, read in a helper process when the file is large, so staging runs alongside.

Reading a 1,000,000-entry camt.053 is about a third of its import, and all of it Python on
one core; writing the staged lines and hashing the file are most of the rest of staging. With
the reading aside (`payments.aside`), the two overlap on a machine with a second core. The
helper only reads the file: it sends the items (`Line`, `Totals`, `StatementRef`) back in
batches, in file order, and the first error it meets (a `MalformedMessage` with its element
path and line, say) arrives whole and is raised here, so staging stops and writes nothing, as
it does when reading in-process. Small files, and bytes, are read in-process: starting a
helper costs about half a second.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from itertools import chain
from pathlib import Path

from payments.aside import Aside, aside
from payments.reconcile.csv_reports import CsvMapping
from payments.reconcile.lines import Line, StatementRef, Totals
from payments.reconcile.sources import read_lines

READ_ASIDE_FROM_BYTES = 16 * 2**20  # files at least this large are read in a helper process
BATCH = 2_000  # items per message from the helper (about 0.6 MB)
Item = Line | Totals | StatementRef


@contextmanager
def file_items(
    kind: str,
    data: bytes | Path,
    adapter: str,
    day: date | None = None,
    csv_mappings: Mapping[str, CsvMapping] | None = None,
) -> Iterator[Aside]:
    """The items of `data` (as `sources.read_lines`), read aside when it is a large file.

    The helper starts on entering, so the caller can do other work (hash the file) before it
    consumes the items; on leaving, a helper still running (the caller stopped early) is ended.
    """
    if isinstance(data, bytes) or data.stat().st_size < READ_ASIDE_FROM_BYTES:
        yield Aside(read_lines(kind, data, adapter, day, csv_mappings))
        return
    request = {"kind": kind, "path": str(data), "adapter": adapter, "day": day}
    mappings = dict(csv_mappings or {})
    with aside(item_batches, "reading the file", **request, csv_mappings=mappings, size=BATCH) as batches:
        yield Aside(chain.from_iterable(batches), batches.helper)


def item_batches(
    *, kind: str, path: str, adapter: str, day: date | None, csv_mappings: Mapping[str, CsvMapping], size: int
) -> Iterator[list[Item]]:
    """The helper's work: the file's items, `size` at a time."""
    batch: list[Item] = []
    for item in read_lines(kind, Path(path), adapter, day, csv_mappings):
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    yield batch
