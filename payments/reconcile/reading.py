"""A file's lines, read in a helper process when the file is large, so staging runs alongside.

Reading a 1,000,000-entry camt.053 is about a third of its import, and all of it Python on
one core; writing the staged lines and hashing the file are most of the rest of staging. With
the reading in a helper process, the two overlap on a machine with a second core. The helper
only reads the file: it sends the items (`Line`, `Totals`, `StatementRef`) back in batches,
in file order, and the first error it meets (a `MalformedMessage` with its element path and
line, say) arrives whole and is raised here, so staging stops and writes nothing, as it does
when reading in-process. The pipe holds at most one batch: a helper that reads faster than the
stager waits, so memory stays bounded. Small files, and bytes, are read in-process: starting a
helper costs about half a second.
"""

import multiprocessing
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from payments.errors import PaymentsError
from payments.reconcile.csv_reports import CsvMapping
from payments.reconcile.lines import Line, StatementRef, Totals
from payments.reconcile.sources import read_lines

READ_ASIDE_FROM_BYTES = 16 * 2**20  # files at least this large are read in a helper process
BATCH = 2_000  # items per message from the helper
Item = Line | Totals | StatementRef


class ReaderFailed(RuntimeError):
    """The helper process stopped without an answer (killed, or a bug): the import stops."""


@contextmanager
def file_items(
    kind: str,
    data: bytes | Path,
    adapter: str,
    day: date | None = None,
    csv_mappings: Mapping[str, CsvMapping] | None = None,
) -> Iterator[Iterator[Item]]:
    """The items of `data` (as `sources.read_lines`), read aside when it is a large file.

    The helper starts on entering, so the caller can do other work (hash the file) before it
    consumes the items; on leaving, a helper still running (the caller stopped early) is ended.
    """
    if isinstance(data, bytes) or data.stat().st_size < READ_ASIDE_FROM_BYTES:
        yield read_lines(kind, data, adapter, day, csv_mappings)
        return
    context = multiprocessing.get_context("spawn")  # never fork: this process may hold threads
    receiving, sending = context.Pipe(duplex=False)
    helper = context.Process(
        target=_read_into,
        args=(sending, (kind, str(data), adapter, day, dict(csv_mappings or {}))),
        name=f"read {data.name}",
        daemon=True,
    )
    helper.start()
    sending.close()  # the helper holds the sending end; EOF here means it is gone
    try:
        yield _received(receiving, helper)
    finally:
        receiving.close()
        if helper.is_alive():
            helper.terminate()
        helper.join()


def _received(receiving: Connection, helper: Any) -> Iterator[Item]:
    while True:
        try:
            tag, payload = receiving.recv()
        except EOFError:
            helper.join()
            code = helper.exitcode
            raise ReaderFailed(f"the process reading the file stopped unexpectedly (exit {code})") from None
        if tag == "items":
            yield from payload
        elif tag == "error":
            raise payload
        elif tag == "crash":
            raise ReaderFailed(f"reading the file failed:\n{payload}")
        else:
            return


def _read_into(
    sending: Connection, request: tuple[str, str, str, date | None, dict[str, CsvMapping]]
) -> None:
    """The helper's whole work: read, send batches, then "done" or the error met."""
    kind, path, adapter, day, csv_mappings = request
    try:
        batch: list[Item] = []
        for item in read_lines(kind, Path(path), adapter, day, csv_mappings):
            batch.append(item)
            if len(batch) >= BATCH:
                sending.send(("items", batch))
                batch = []
        sending.send(("items", batch))
        sending.send(("done", None))
    except PaymentsError as error:  # a malformed file: the caller's message, whole
        sending.send(("error", error))
    except Exception:  # anything else is reported with its traceback, not lost
        sending.send(("crash", traceback.format_exc()))
    finally:
        sending.close()
