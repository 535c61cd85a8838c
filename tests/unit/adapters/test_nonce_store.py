"""The in-memory nonce store: each nonce is claimed once until it expires."""

import threading
from datetime import UTC, datetime, timedelta

from payments.adapters.replay import InMemoryNonceStore, NonceStore


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_a_nonce_is_claimed_once():
    clock = Clock()
    store: NonceStore = InMemoryNonceStore(clock)
    expires = clock.now + timedelta(minutes=10)
    assert store.claim("n-1", expires)
    assert not store.claim("n-1", expires)
    assert store.claim("n-2", expires)


def test_an_expired_nonce_is_forgotten():
    clock = Clock()
    store = InMemoryNonceStore(clock)
    store.claim("n-1", clock.now + timedelta(minutes=10))
    clock.now += timedelta(minutes=11)
    assert store.claim("n-1", clock.now + timedelta(minutes=10))


def test_concurrent_claims_of_one_nonce_let_exactly_one_through():
    store = InMemoryNonceStore()
    expires = datetime.now(UTC) + timedelta(minutes=5)
    wins = []
    threads = [threading.Thread(target=lambda: wins.append(store.claim("same", expires))) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wins.count(True) == 1
