"""The e-wallet simulator's callback outbox: events delivered when due, in order, each signed
at delivery time with a fresh nonce (so a redelivered event carries a new nonce)."""

import heapq
import itertools
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class Delivery:
    """One callback as sent: headers and body, exactly what the adapter's parse_callback takes."""

    headers: dict[str, str]
    body: bytes


class CallbackOutbox:
    """Delivers queued events from a worker thread; every delivery is kept in `deliveries`."""

    def __init__(
        self,
        sign: Callable[[dict[str, Any]], Delivery],
        clock: Callable[[], datetime],
        callback_url: str | None = None,
    ) -> None:
        if callback_url and not callback_url.startswith(("http://", "https://")):
            raise ValueError("callback_url must be http(s)")
        self.callback_url = callback_url
        self.deliveries: list[Delivery] = []
        self._sign, self._clock = sign, clock
        self._queue: list[tuple[datetime, int, dict[str, Any]]] = []
        self._order = itertools.count()
        self._changed = threading.Condition()
        self._closing = False
        self._worker = threading.Thread(target=self._deliver_forever, daemon=True)

    def start(self) -> None:
        self._worker.start()

    def close(self) -> None:
        with self._changed:
            self._closing = True
            self._changed.notify_all()
        self._worker.join(timeout=2)

    def enqueue(self, event: dict[str, Any], delay: float = 0.0) -> None:
        with self._changed:
            due = self._clock() + timedelta(seconds=delay)
            heapq.heappush(self._queue, (due, next(self._order), event))
            self._changed.notify_all()

    def wait_for(self, count: int, timeout: float) -> list[Delivery]:
        """At least `count` deliveries, or all there are once `timeout` seconds have passed."""
        with self._changed:
            self._changed.wait_for(lambda: len(self.deliveries) >= count, timeout)
            return list(self.deliveries)

    def _deliver_forever(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._closing or self._ready(), timeout=0.05)
                if self._closing:
                    return
                if not self._ready():
                    continue
                delivery = self._sign(heapq.heappop(self._queue)[2])
                self.deliveries.append(delivery)
                self._changed.notify_all()
            if self.callback_url:
                self._post(self.callback_url, delivery)

    def _ready(self) -> bool:
        return bool(self._queue) and self._queue[0][0] <= self._clock()

    @staticmethod
    def _post(url: str, delivery: Delivery) -> None:
        request = urllib.request.Request(url, delivery.body, delivery.headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=5):  # noqa: S310 - http(s) checked in __init__
                pass
        except OSError:
            pass  # a real provider would retry; the recorded delivery is still there for tests
