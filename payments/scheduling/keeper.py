"""Keeping the scheduler's lease from a thread of its own, and saying when it is won or lost.

Only the holder may look at the shared job store: APScheduler moves a due job's next run time
on as it hands the job out, so a scheduler looking without the lease would take the firing and
the holder would find nothing due. The keeper tells its scheduler when to work and when to
stop, with a margin: it renews the lease for `ttl` every `ttl / 3`, and a renewal refused or
failed stops the work at once, while the lease is still ours in the database for two thirds of
its time at least, so no other scheduler can have started.
"""

import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from payments.clock import Clock, utcnow
from payments.scheduling.lease import acquire_lease, release_lease

log = logging.getLogger(__name__)


class LeaseKeeper:
    """Renews `holder`'s lease in a thread; calls `on_won` when it comes to hold the lease and
    `on_lost` when it stops holding it. Not restartable: one keeper per scheduler."""

    def __init__(
        self, session_factory: sessionmaker[Session], holder: str, ttl: timedelta, *, clock: Clock = utcnow
    ) -> None:
        self.holder = holder
        self.ttl = ttl
        self.holding = False
        self._sessions = session_factory
        self._clock = clock
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._on_won: Callable[[], None] = _nothing
        self._on_lost: Callable[[], None] = _nothing

    def start(self, *, on_won: Callable[[], None], on_lost: Callable[[], None]) -> None:
        self._on_won, self._on_lost = on_won, on_lost
        self._thread = threading.Thread(target=self._keep, name="lease-keeper", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop renewing (and calling back); the lease runs out unless `release` ends it first."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()

    def release(self) -> None:
        """End the lease now if we hold it, so that another scheduler takes over at once."""
        with self._sessions() as session, session.begin():
            release_lease(session, self.holder, clock=self._clock)
        self.holding = False

    def beat(self) -> bool:
        """Take or renew the lease once; True if held. Calls back when that changes."""
        held = self._renew()
        if held and not self.holding:
            self.holding = True
            log.info("scheduler %s holds the lease: processing jobs", self.holder)
            self._on_won()
        elif not held and self.holding:
            self.holding = False
            self._on_lost()
            log.warning("scheduler %s lost the lease: job processing paused", self.holder)
        return held

    def _keep(self) -> None:
        interval = self.ttl.total_seconds() / 3
        while True:
            self.beat()
            if self._stopped.wait(interval):
                return

    def _renew(self) -> bool:
        try:
            with self._sessions() as session, session.begin():
                return acquire_lease(session, self.holder, self.ttl, clock=self._clock)
        except Exception:  # the keeper must outlive a failed renewal, and act as if it had lost
            log.exception("scheduler %s could not renew its lease", self.holder)
            return False


def _nothing() -> None:
    return None
