"""The post office's pickup window closing by itself, for a simulator left running (`make run`).

A real post office returns cash nobody collected once its pickup window closes; tests and the
demo close the window by hand (`close_pickup_window()`), but under `payments up` nobody would,
and uncollected cash would stay in flight for ever.
"""

import threading
from datetime import timedelta
from types import TracebackType

from payments.adapters.vnpost.simulator import VnpostSimulator


class PickupWindowCloser:
    """`with PickupWindowCloser(post, timedelta(minutes=30)):` every `every_seconds`, the orders
    waiting longer than `window` expire (NOAS, callbacks sent), until the block ends."""

    def __init__(self, post: VnpostSimulator, window: timedelta, *, every_seconds: float = 60.0) -> None:
        self.post, self.window, self.every_seconds = post, window, every_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="post-office-window", daemon=True)

    def __enter__(self) -> "PickupWindowCloser":
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.every_seconds):
            self.post.close_pickup_window(older_than=self.window)
