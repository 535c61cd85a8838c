"""Key rotation covers every payout's sealed instrument snapshot, counts them in what is left,
and leaves each approved batch's manifest check passing under the new key alone."""

import dataclasses

import pytest
from sqlalchemy import select, update

from payments.config import PiiKey, Settings
from payments.context import Actor
from payments.disbursements.dispatch import dispatcher_for
from payments.disbursements.manifest_check import check_manifest
from payments.disbursements.model import Batch, Payout
from payments.disbursements.snapshots import SEALED_AS, open_snapshot
from payments.registry.crypto import PiiCipher
from payments.registry.rotation import PAYOUT_SNAPSHOT_FIELD, rotate_keys, rows_to_rotate
from tests.support.batches import approved_july, owed_july

OPS = Actor(username="cli:ops", role="system")
DEVELOPMENT = Settings.from_env({})  # the keys the test application seals with
NEW = PiiKey("new1", b"\x07" * 32)
RING = PiiCipher((NEW, *DEVELOPMENT.pii_keys), DEVELOPMENT.pii_index_key)  # new key first, old after
NEW_ONLY = PiiCipher((NEW,), DEVELOPMENT.pii_index_key)  # the old key removed, as the operator is told


@pytest.fixture
def approved(app, session, session_factory) -> Batch:
    owed_july(session, session_factory, 3)
    return approved_july(app, session)


def _payouts(session, batch: Batch) -> list[Payout]:
    session.expire_all()
    return list(session.scalars(select(Payout).where(Payout.batch_id == batch.id).order_by(Payout.id)))


def test_rotation_binds_snapshots_as_the_disbursements_seal_them():
    assert PAYOUT_SNAPSHOT_FIELD == SEALED_AS


def test_payout_snapshots_count_as_left_until_rotated_under_the_new_key(session, session_factory, approved):
    before = _payouts(session, approved)
    opened = [open_snapshot(RING, payout) for payout in before]
    assert rows_to_rotate(session, RING) >= len(before)

    rotate_keys(session_factory, OPS, RING, chunk=2)

    assert rows_to_rotate(session, RING) == 0
    after = _payouts(session, approved)
    assert {payout.instrument_key_id for payout in after} == {"new1"}
    assert [open_snapshot(NEW_ONLY, payout) for payout in after] == opened


def test_an_approved_batch_passes_its_manifest_check_and_pays_under_the_new_key_alone(
    app, session, session_factory, approved
):
    rotate_keys(session_factory, OPS, RING)
    runtime = app.extensions["payments"]
    new_only = dataclasses.replace(runtime.settings, pii_keys=(NEW,), pii_index_key=DEVELOPMENT.pii_index_key)
    session.expire_all()

    checked = check_manifest(session, session.get(Batch, approved.id), NEW_ONLY, 10**12)
    assert len(checked) == 3
    session.rollback()
    result = dispatcher_for(runtime.session_factory, runtime.adapters, new_only, approved.id).dispatch(
        approved.id
    )
    assert result.state == "dispatched"
    assert {payout.state for payout in _payouts(session, approved)} == {"settled"}


def test_payouts_of_a_batch_being_dispatched_wait_for_a_later_run(session, session_factory, approved):
    session.execute(update(Batch).where(Batch.id == approved.id).values(state="dispatching"))
    session.commit()

    rotate_keys(session_factory, OPS, RING)

    assert rows_to_rotate(session, RING) == 3
    assert {payout.instrument_key_id for payout in _payouts(session, approved)} == {"dev1"}
