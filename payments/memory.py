"""Bulk steps and Python's cyclic garbage collector."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one bulk step (a chunk of a post, a file).

    A step allocates hundreds of thousands of short-lived objects that form no cycles (rows,
    drafts, hashes), and meanwhile the collector sweeps the whole heap again and again: with a
    large heap (half a million drafts waiting to be posted, say) that is up to half of the
    step's time. Reference counting still frees each object as it goes; whatever cycles a step
    leaves are found by the collector's next pass after it. The pause is process-wide (other
    threads' cycles wait too), so keep steps bounded: a chunk, one file.
    """
    if not gc.isenabled():  # paused by the caller already: theirs to resume
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
