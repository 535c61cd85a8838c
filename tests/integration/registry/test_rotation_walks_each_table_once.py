"""Key rotation walks each table once, in id order: every chunk starts after the last row of the
chunk before, whatever rows it passes over (left for later, or already rotated)."""

import pytest
from sqlalchemy import select, update

from payments.config import PiiKey, Settings
from payments.context import Actor
from payments.disbursements.model import Batch, Payout
from payments.registry.crypto import PiiCipher
from payments.registry.rotation import rotate_keys, rows_to_rotate
from tests.support.batches import approved_july, owed_july

OPS = Actor(username="cli:ops", role="system")
DEVELOPMENT = Settings.from_env({})
NEW = PiiKey("new1", b"\x07" * 32)
RING = PiiCipher((NEW, *DEVELOPMENT.pii_keys), DEVELOPMENT.pii_index_key)
DEFERRED = 2  # payouts at the start of the table that belong to a batch being dispatched


@pytest.fixture
def payout_ids(app, session, session_factory) -> list[int]:
    """Six payouts of an approved batch, the first two moved into a batch being dispatched."""
    owed_july(session, session_factory, 6)
    batch = approved_july(app, session)
    ids = list(session.scalars(select(Payout.id).where(Payout.batch_id == batch.id).order_by(Payout.id)))
    dispatching = _copy_of(batch, state="dispatching")
    session.add(dispatching)
    session.flush()
    session.execute(update(Payout).where(Payout.id.in_(ids[:DEFERRED])).values(batch_id=dispatching.id))
    session.commit()
    return ids


def _copy_of(batch: Batch, **changes) -> Batch:
    names = [c.key for c in Batch.__table__.columns if c.key != "id"]
    return Batch(**{name: getattr(batch, name) for name in names} | changes)


class PayoutChunks:
    """A progress callback that notes which payouts each chunk re-sealed, from the database."""

    def __init__(self, session, on_chunk=None):
        self.session, self.on_chunk, self.chunks, self._seen = session, on_chunk, [], set()

    def __call__(self, done: int) -> None:
        rotated = set(self.session.scalars(select(Payout.id).where(Payout.instrument_key_id == NEW.key_id)))
        if rotated - self._seen:
            self.chunks.append(sorted(rotated - self._seen))
            self._seen = rotated
            if self.on_chunk:
                self.on_chunk(self)


def test_rotation_in_chunks_of_two_passes_the_deferred_rows_at_the_start_and_rotates_the_rest(
    session, session_factory, payout_ids
):
    chunks = PayoutChunks(session)

    rotate_keys(session_factory, OPS, RING, chunk=2, progress=chunks)

    assert chunks.chunks == [payout_ids[2:4], payout_ids[4:6]]
    assert rows_to_rotate(session, RING) == DEFERRED


def test_each_chunk_starts_after_the_last_row_of_the_one_before_so_rows_freed_behind_wait_for_a_rerun(
    session, session_factory, payout_ids
):
    def dispatch_finishes_after_the_first_chunk(chunks: PayoutChunks) -> None:
        if len(chunks.chunks) == 1:
            deferred = select(Payout.batch_id).where(Payout.id == payout_ids[0]).scalar_subquery()
            session.execute(update(Batch).where(Batch.id == deferred).values(state="dispatched"))
            session.commit()

    chunks = PayoutChunks(session, dispatch_finishes_after_the_first_chunk)

    rotate_keys(session_factory, OPS, RING, chunk=2, progress=chunks)

    assert chunks.chunks == [payout_ids[2:4], payout_ids[4:6]]  # the walk never went back
    assert rows_to_rotate(session, RING) == DEFERRED  # the two freed behind it are still counted
    assert rotate_keys(session_factory, OPS, RING, chunk=2) == DEFERRED  # and a rerun finds just them
    assert rows_to_rotate(session, RING) == 0
