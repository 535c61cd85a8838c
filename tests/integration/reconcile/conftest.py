"""People owed money, an approved batch, and a batch dispatched through the sandbox (adapter
"bank"), reusing the disbursement fixtures; and helpers that build confirmation files."""

from datetime import UTC, date, datetime

import pytest

from payments.adapters.sandbox.adapter import SandboxAdapter
from payments.adapters.sandbox.script import Outcome
from payments.context import Actor
from payments.disbursements.approval import approve_batch, submit_batch
from payments.disbursements.repository import payouts_in
from tests.integration.disbursements.conftest import (  # noqa: F401 - fixtures
    APPROVER,
    OFFICER,
    THRESHOLD,
    build,
    cipher,
    dispatcher,
    owed_people,
    routing,
)

FINANCE = Actor(username="finance.thu", role="finance")
SECOND_FINANCE = Actor(username="finance.binh", role="finance")


@pytest.fixture
def sandbox():
    """Payouts are accepted on sending and settle only when news of them is reconciled."""
    return SandboxAdapter("bank", default=Outcome("accept"))


@pytest.fixture
def approved(session, owed_people, build):  # noqa: F811
    def make(count: int = 3):
        owed_people(count)
        (batch,) = build().batches
        submit_batch(session, OFFICER, batch.id)
        approve_batch(
            session,
            APPROVER,
            batch.id,
            manifest_seen=batch.manifest_hash,
            comment="ok",
            threshold_vnd=THRESHOLD,
        )
        session.commit()
        return batch

    return make


@pytest.fixture
def dispatched(session, approved, dispatcher):  # noqa: F811
    """A batch sent through the sandbox; returns (batch, payouts) as the database holds them."""

    def make(count: int = 3):
        batch = approved(count)
        dispatcher().dispatch(batch.id)
        session.expire_all()
        return batch, payouts_in(session, batch.id)

    return make


@pytest.fixture
def today() -> date:
    return datetime.now(UTC).date()
