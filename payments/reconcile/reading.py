"""A file's lines, read in a helper process when the file is large, so staging runs alongside.

Reading a 1,000,000-entry camt.053 is about a third of its import, and all of it Python on
one core; writing the staged lines and hashing the file are most of the rest of staging. With
the reading in a helper process, the two overlap on a machine with a second core. The helper
(`python -m payments.reconcile.reading`) only reads the file: it sends the items (`Line`,
`Totals`, `StatementRef`) back in batches, in file order, over its standard output, and the
first error it meets (a `MalformedMessage` with its element path and line, say) arrives whole
and is raised here, so staging stops and writes nothing, as it does when reading in-process.

Each message is length-prefixed and read against a deadline: a helper that dies mid-message, or
hangs, is a `ReaderFailed`, never a wait without end or a half-read batch. A pipe holds little,
so a helper that reads faster than the stager waits, and memory stays bounded. Small files,
and bytes, are read in-process: starting a helper costs about half a second. A plain
subprocess rather than `multiprocessing`, whose spawned children import the caller's main
module again and whose forked ones inherit its threads and connections; it runs this very
interpreter (`sys.executable`, so a server embedding Python without one reads in-process by
setting READ_ASIDE_FROM_BYTES higher) on this very copy of the package.
"""

import os
import pickle
import select
import signal
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
BATCH = 2_000  # items per message from the helper (about 0.6 MB)
STALL_SECONDS = 120.0  # a helper silent this long is taken as hung (a batch takes ~0.1 s)
FINISH_SECONDS = 10.0  # a helper that sent its last message is given this long to exit by itself
_HEADER = 8  # bytes of a message's length
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])  # the folder holding `payments`
Item = Line | Totals | StatementRef


class ReaderFailed(RuntimeError):
    """The helper process stopped without an answer (killed, hung, or a bug): the import stops."""


class _Ended(Exception):
    """The helper's output ended (it exited)."""


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
    helper = _start_helper()
    assert helper.stdin is not None
    assert helper.stdout is not None
    try:
        with helper.stdin, suppress(BrokenPipeError):  # a helper already gone is reported on reading
            pickle.dump(request, helper.stdin)
        yield Items(_received(helper.stdout.fileno(), helper), helper)
    finally:
        helper.stdout.close()
        if helper.poll() is None:
            helper.kill()
        helper.wait()


def _start_helper() -> subprocess.Popen[bytes]:
    """`python -P -m payments.reconcile.reading`, importing the package this process runs (not
    one that happens to lie in the working directory)."""
    search = [_PACKAGE_ROOT, os.environ.get("PYTHONPATH", "")]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(part for part in search if part)}
    command = [sys.executable, "-P", "-m", __name__]
    return subprocess.Popen(  # noqa: S603 - our own module, run by this very interpreter
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0, env=environment
    )


def _received(fd: int, helper: subprocess.Popen[bytes]) -> Iterator[Item]:
    while True:
        try:
            tag, payload = pickle.loads(_message(fd))  # noqa: S301 - from our own helper, over its pipe
        except _Ended:
            code = _finished(helper)
            raise ReaderFailed(f"the process reading the file stopped unexpectedly (exit {code})") from None
        if tag == "items":
            yield from payload
            continue
        _finished(helper)  # its last message: it exits now
        if tag == "error":
            raise payload
        if tag == "crash":
            raise ReaderFailed(f"reading the file failed:\n{payload}")
        return


def _message(fd: int) -> bytes:
    size = int.from_bytes(_exactly(fd, _HEADER, at_start=True), "big")
    return _exactly(fd, size, at_start=False)


def _exactly(fd: int, size: int, *, at_start: bool) -> bytes:
    """`size` bytes from the helper; _Ended if its output ends before the first of them."""
    parts: list[bytes] = []
    left = size
    while left:
        ready, _, _ = select.select([fd], [], [], STALL_SECONDS)
        if not ready:
            raise ReaderFailed(f"the process reading the file sent nothing for {STALL_SECONDS:.0f} s")
        part = os.read(fd, min(left, 1 << 20))
        if not part:
            if at_start and left == size:
                raise _Ended
            raise ReaderFailed("the process reading the file stopped in the middle of a message")
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _finished(helper: subprocess.Popen[bytes]) -> int | None:
    with suppress(subprocess.TimeoutExpired):  # if it does not exit, leaving file_items ends it
        return helper.wait(timeout=FINISH_SECONDS)
    return None


# --- the helper's side ------------------------------------------------------------------------


def _read_into(channel: IO[bytes], request: tuple[Any, ...]) -> None:
    """The helper's whole work: read, send batches, then "done" or the error met."""
    kind, path, adapter, day, csv_mappings, size = request
    try:
        batch: list[Item] = []
        for item in read_lines(kind, Path(path), adapter, day, csv_mappings):
            batch.append(item)
            if len(batch) >= size:
                _send(channel, ("items", batch))
                batch = []
        _send(channel, ("items", batch))
        _send(channel, ("done", None))
    except PaymentsError as error:  # a malformed file: the caller's message, whole
        _send_error(channel, error)
    except BrokenPipeError:
        raise  # the parent stopped listening
    except Exception:  # anything else is reported with its traceback, not lost
        _send(channel, ("crash", traceback.format_exc()))


def _send(channel: IO[bytes], message: tuple[str, Any]) -> None:
    _write(channel, pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))


def _send_error(channel: IO[bytes], error: PaymentsError) -> None:
    try:
        blob = pickle.dumps(("error", error), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # an error that cannot travel still arrives, as its words
        blob = pickle.dumps(("crash", f"{type(error).__name__}: {error}"))
    _write(channel, blob)


def _write(channel: IO[bytes], blob: bytes) -> None:
    channel.write(len(blob).to_bytes(_HEADER, "big"))
    channel.write(blob)
    channel.flush()


def _helper_main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when this process ends
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print must not corrupt the channel
    try:
        with channel:
            _read_into(channel, pickle.load(sys.stdin.buffer))  # noqa: S301 - from the parent, over its pipe
    except BrokenPipeError:  # the parent stopped listening: nothing is left to do, quietly
        os._exit(1)


if __name__ == "__main__":
    _helper_main()
