"""Replay protection for callbacks: a nonce store remembers each delivery's nonce until it
expires, so a captured callback cannot be played again.

Adapters receive their store from the host (`AdapterServices.nonce_store`); the in-memory one
here serves the sandbox, simulators and tests, and `payments.adapters.nonce_store` keeps nonces
in the database for API workers that must share them.
"""

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol


class NonceStore(Protocol):
    """Remembers callback nonces for one adapter instance until they expire."""

    def claim(self, nonce: str, expires_at: datetime) -> bool:
        """True the first time `nonce` is seen (and remember it), False for a replay."""
        ...


class InMemoryNonceStore:
    """A thread-safe NonceStore for the sandbox, simulators and tests (lost on restart)."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self._seen: dict[str, datetime] = {}
        self._lock = threading.Lock()
        self._clock = clock or (lambda: datetime.now(UTC))

    def claim(self, nonce: str, expires_at: datetime) -> bool:
        now = self._clock()
        with self._lock:
            self._seen = {n: exp for n, exp in self._seen.items() if exp > now}
            if nonce in self._seen:
                return False
            self._seen[nonce] = expires_at
            return True
