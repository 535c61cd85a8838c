"""A file's lines, read in a helper process when the file is large, so staging runs alongside.

Reading a 1,000,000-entry camt.053 is about a third of its import, and all of it Python on
one core; writing the staged lines and hashing the file are most of the rest of staging. With
the reading in a helper process, the two overlap on a machine with a second core. The helper
(`python -m payments.reconcile.reading`) only reads the file: it sends the items (`Line`,
`Totals`, `StatementRef`) back in batches, in file order, over its standard output, and the
first error it meets (a `MalformedMessage` with its element path and line, say) arrives whole
and is raised here, so staging stops and writes nothing, as it does when reading in-process.
A pipe holds little: a helper that reads faster than the stager waits, so memory stays
bounded. Small files, and bytes, are read in-process: starting a helper costs about half a
second. A plain subprocess rather than `multiprocessing`, whose spawned children import the
caller's main module again, and whose forked ones inherit the caller's threads and connections.
"""

import os
import pickle
import subprocess
import sys
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import date
from pathlib import Path
from typing import IO, Any

from payments.errors import PaymentsError
from payments.reconcile.csv_reports import CsvMapping
from payments.reconcile.lines import Line, StatementRef, Totals
from payments.reconcile.sources import read_lines

READ_ASIDE_FROM_BYTES = 16 * 2**20  # files at least this large are read in a helper process
BATCH = 2_000  # items per message from the helper
FINISH_SECONDS = 10  # a helper that sent its last message is given this long to exit by itself
Item = Line | Totals | StatementRef


class ReaderFailed(RuntimeError):
    """The helper process stopped without an answer (killed, or a bug): the import stops."""


class Items:
    """The items a file holds, in file order; `helper` is the process reading them, if any."""

    def __init__(self, items: Iterator[Item], helper: subprocess.Popen[bytes] | None = None) -> None:
        self._items = items
        self.helper = helper

    def __iter__(self) -> Iterator[Item]:
        return self._items

    def __next__(self) -> Item:
        return next(self._items)


@contextmanager
def file_items(
    kind: str,
    data: bytes | Path,
    adapter: str,
    day: date | None = None,
    csv_mappings: Mapping[str, CsvMapping] | None = None,
) -> Iterator[Items]:
    """The items of `data` (as `sources.read_lines`), read aside when it is a large file.

    The helper starts on entering, so the caller can do other work (hash the file) before it
    consumes the items; on leaving, a helper still running (the caller stopped early) is ended.
    """
    if isinstance(data, bytes) or data.stat().st_size < READ_ASIDE_FROM_BYTES:
        yield Items(read_lines(kind, data, adapter, day, csv_mappings))
        return
    request = (kind, str(data), adapter, day, dict(csv_mappings or {}), BATCH)
    helper = subprocess.Popen(  # noqa: S603 - our own module, run by this very interpreter
        [sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert helper.stdin is not None
    assert helper.stdout is not None
    try:
        with helper.stdin:
            pickle.dump(request, helper.stdin)
        yield Items(_received(helper.stdout, helper), helper)
    finally:
        helper.stdout.close()
        if helper.poll() is None:
            helper.kill()
        helper.wait()


def _received(stream: IO[bytes], helper: subprocess.Popen[bytes]) -> Iterator[Item]:
    while True:
        try:
            tag, payload = pickle.load(stream)  # noqa: S301 - from our own helper, over its pipe
        except EOFError:
            code = helper.wait()
            raise ReaderFailed(f"the process reading the file stopped unexpectedly (exit {code})") from None
        if tag == "items":
            yield from payload
            continue
        _let_finish(helper)  # its last message: it exits now
        if tag == "error":
            raise payload
        if tag == "crash":
            raise ReaderFailed(f"reading the file failed:\n{payload}")
        return


def _let_finish(helper: subprocess.Popen[bytes]) -> None:
    with suppress(subprocess.TimeoutExpired):  # if it does not exit, leaving file_items ends it
        helper.wait(timeout=FINISH_SECONDS)


def _read_into(channel: IO[bytes], request: tuple[Any, ...]) -> None:
    """The helper's whole work: read, send batches, then "done" or the error met."""
    kind, path, adapter, day, csv_mappings, size = request
    try:
        batch: list[Item] = []
        for item in read_lines(kind, Path(path), adapter, day, csv_mappings):
            batch.append(item)
            if len(batch) >= size:
                pickle.dump(("items", batch), channel)
                batch = []
        pickle.dump(("items", batch), channel)
        pickle.dump(("done", None), channel)
    except PaymentsError as error:  # a malformed file: the caller's message, whole
        pickle.dump(("error", error), channel)
    except Exception:  # anything else is reported with its traceback, not lost
        pickle.dump(("crash", traceback.format_exc()), channel)
    channel.flush()


def _helper_main() -> None:
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print must not corrupt the channel
    with channel:
        _read_into(channel, pickle.load(sys.stdin.buffer))  # noqa: S301 - from the parent, over its pipe


if __name__ == "__main__":
    _helper_main()
