"""A NonceStore shared by every API worker: callback nonces in the database.

Adapters themselves never import the database; the host application builds this store and
lends it to adapter instances through `AdapterServices.nonce_store`. Each claim runs in its own
short transaction, so a nonce stays used even if the callback's own processing rolls back
(the provider's redelivery carries a fresh nonce and the same event id).
"""

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import String, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from payments.db import Base, UTCDateTime


class AdapterNonce(Base):
    """A callback nonce seen by one adapter instance, kept until it can no longer be replayed."""

    __tablename__ = "adapter_nonces"

    adapter: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(128), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class DatabaseNonceStore:
    """NonceStore for the adapter instance `adapter`, backed by `adapter_nonces`."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        adapter: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sessions = session_factory
        self._adapter = adapter
        self._clock = clock

    def claim(self, nonce: str, expires_at: datetime) -> bool:
        """True the first time `nonce` is seen by this instance; False for a replay.

        Nonces longer than 128 characters are refused (False) rather than truncated.
        """
        if not nonce or len(nonce) > 128:
            return False
        now = self._clock()
        session = self._sessions()
        try:
            session.execute(
                delete(AdapterNonce).where(
                    AdapterNonce.adapter == self._adapter, AdapterNonce.expires_at < now
                )
            )
            session.add(AdapterNonce(adapter=self._adapter, nonce=nonce, seen_at=now, expires_at=expires_at))
            session.commit()
        except IntegrityError:
            session.rollback()
            return False
        finally:
            session.close()
        return True


def nonce_stores(session_factory: sessionmaker[Session]) -> Callable[[str], DatabaseNonceStore]:
    """For `AdapterServices(nonce_store=...)`: one database-backed store per adapter instance."""
    return lambda adapter: DatabaseNonceStore(session_factory, adapter)
