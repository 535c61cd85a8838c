"""Work done aside: a generator run in a helper process while this process goes on.

Some long jobs are two halves on one core each: reading a large statement file while staging
its lines, working out what a page of people is owed while the ledger posts the page before.
`aside(producer, doing, **kwargs)` runs `producer(**kwargs)` (a module-level generator function) in a helper
process and hands back what it yields, in order, as the caller asks for it, so the two halves
overlap on a machine with a second core.

Each value travels as a length-prefixed pickle over the helper's standard output and is read
against a deadline: a helper that dies mid-message, or hangs, is a `HelperFailed`, never a wait
without end or half a value. The first `PaymentsError` the producer raises arrives whole and is
raised here (a malformed file's line number, say); any other exception arrives as its
traceback. A pipe holds little, so a producer that runs ahead waits for the caller, and memory
stays bounded. A helper costs about half a second to start, so callers keep small jobs
in-process.

A plain subprocess rather than `multiprocessing`, whose spawned children import the caller's
main module again and whose forked ones inherit its threads and connections. It runs this very
interpreter (`sys.executable`: a server embedding Python without one must keep its jobs
in-process) on this very copy of the package (`-P`, and the package's folder first on
PYTHONPATH), in a session of its own (a Ctrl-C reaches the caller, which ends it), and exits
quietly when the caller stops listening.
"""

import importlib
import os
import pickle
import select
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

from payments.errors import PaymentsError
from payments.memory import collector_paused

STALL_SECONDS = 120.0  # a helper silent this long is taken as hung
FINISH_SECONDS = 10.0  # a helper that sent its last message is given this long to exit by itself
_HEADER = 8  # bytes of a message's length
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[1])  # the folder holding `payments`


class HelperFailed(RuntimeError):
    """The helper process stopped without an answer (killed, hung, or a bug): the job stops."""


class _Ended(Exception):
    """The helper's output ended (it exited)."""


class Aside:
    """What the producer yields, in order; `helper` is the process producing it (None when the
    caller produced the values itself, in-process)."""

    def __init__(self, values: Iterator[Any], helper: subprocess.Popen[bytes] | None = None) -> None:
        self._values = values
        self.helper = helper

    def __iter__(self) -> Iterator[Any]:
        return self._values

    def __next__(self) -> Any:
        return next(self._values)


@contextmanager
def aside(producer: Callable[..., Iterable[Any]], doing: str, **kwargs: Any) -> Iterator[Aside]:
    """Run `producer(**kwargs)` in a helper process; iterate over what it yields.

    `producer` must be a module-level function and `kwargs` picklable. `doing` names the work in
    error messages ("reading the file"). The helper starts on entering, so the caller can do
    other work before it asks for the first value; on leaving, a helper still running (the
    caller stopped early) is ended.
    """
    if "." in producer.__qualname__ or producer.__module__ == "__main__":
        raise ValueError(f"{producer.__qualname__} is not a module-level function a helper can import")
    helper = start_helper()
    assert helper.stdin is not None
    assert helper.stdout is not None
    try:
        with helper.stdin, suppress(BrokenPipeError):  # a helper already gone is reported on reading
            pickle.dump((producer.__module__, producer.__qualname__, kwargs), helper.stdin)
        yield Aside(_received(helper.stdout.fileno(), helper, doing), helper)
    finally:
        helper.stdout.close()
        if helper.poll() is None:
            helper.kill()
        helper.wait()


def start_helper() -> subprocess.Popen[bytes]:
    """`python -P -m payments.aside`, importing the package this process runs (not one that
    happens to lie in the working directory)."""
    search = [_PACKAGE_ROOT, os.environ.get("PYTHONPATH", "")]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(part for part in search if part)}
    command = [sys.executable, "-P", "-m", __name__]
    # In a session of its own: a Ctrl-C at the terminal reaches the caller, which ends it.
    return subprocess.Popen(  # noqa: S603 - our own module, run by this very interpreter
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        bufsize=0,
        env=environment,
        start_new_session=True,
    )


def _received(fd: int, helper: subprocess.Popen[bytes], doing: str) -> Iterator[Any]:
    while True:
        try:
            message = _message(fd, doing)
        except _Ended:
            code = _finished(helper)
            raise HelperFailed(f"the process {doing} stopped unexpectedly (exit {code})") from None
        with collector_paused():  # a message builds thousands of objects at once, none of them cycles
            tag, payload = pickle.loads(message)  # noqa: S301 - from our own helper, over its pipe
        if tag == "value":
            yield payload
            continue
        _finished(helper)  # its last message: it exits now
        if tag == "error":
            raise payload
        if tag == "crash":
            raise HelperFailed(f"the process {doing} failed:\n{payload}")
        return


def _message(fd: int, doing: str) -> bytes:
    size = int.from_bytes(_exactly(fd, _HEADER, doing, at_start=True), "big")
    return _exactly(fd, size, doing, at_start=False)


def _exactly(fd: int, size: int, doing: str, *, at_start: bool) -> bytes:
    """`size` bytes from the helper; _Ended if its output ends before the first of them."""
    parts: list[bytes] = []
    left = size
    waiting = select.poll()  # not select.select: it refuses descriptors above 1023 (a busy server)
    waiting.register(fd, select.POLLIN)
    while left:
        if not waiting.poll(STALL_SECONDS * 1000):
            raise HelperFailed(f"the process {doing} sent nothing for {STALL_SECONDS:.0f} s")
        part = os.read(fd, min(left, 1 << 20))
        if not part:
            if at_start and left == size:
                raise _Ended
            raise HelperFailed(f"the process {doing} stopped in the middle of a message")
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _finished(helper: subprocess.Popen[bytes]) -> int | None:
    with suppress(subprocess.TimeoutExpired):  # if it does not exit, leaving `aside` ends it
        return helper.wait(timeout=FINISH_SECONDS)
    return None


# --- the helper's side ------------------------------------------------------------------------


def _produce_into(channel: IO[bytes], request: tuple[str, str, dict[str, Any]]) -> None:
    """The helper's whole work: send each value produced, then "done" or the error met."""
    module, name, kwargs = request
    try:
        producer = getattr(importlib.import_module(module), name)
        for value in producer(**kwargs):
            _send(channel, ("value", value))
        _send(channel, ("done", None))
    except PaymentsError as error:  # bad input: the caller's message, whole
        _send_error(channel, error)
    except BrokenPipeError:
        raise  # the caller stopped listening
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
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print must not corrupt the channel
    try:
        with channel:
            _produce_into(channel, pickle.load(sys.stdin.buffer))  # noqa: S301 - from the caller, over its pipe
    except BrokenPipeError:  # the caller stopped listening: nothing is left to do, quietly
        os._exit(1)


if __name__ == "__main__":
    _helper_main()
