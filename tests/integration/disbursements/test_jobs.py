"""The scheduler's batch jobs: build this month's drafts, dispatch approved ones, checkpoint."""

from datetime import UTC, datetime

from sqlalchemy import select

from payments.clock import fixed_clock
from payments.disbursements.approval import approve_batch, submit_batch
from payments.disbursements.model import Batch
from payments.jobs import JOBS
from payments.ledger.repository import latest_checkpoint
from payments.scheduling.runs import JobContext
from tests.integration.disbursements.conftest import APPROVER, OFFICER, THRESHOLD


def test_jobs_build_dispatch_and_checkpoint_a_month(session, session_factory, settings, owed_people):
    owed_people(2)
    context = JobContext(session_factory, settings, fixed_clock(datetime(2024, 7, 28, 2, 0, tzinfo=UTC)))
    assert JOBS["build_batches"](context) == {"batches": 1, "held": 0}
    batch = session.scalars(select(Batch)).one()
    assert batch.adapter == "sandbox"
    submit_batch(session, OFFICER, batch.id)
    approve_batch(
        session, APPROVER, batch.id, manifest_seen=batch.manifest_hash, comment="ok", threshold_vnd=THRESHOLD
    )
    session.commit()
    assert JOBS["dispatch"](context) == {"batches": 1, "sent": 2, "busy": 0}
    session.expire_all()
    assert session.get(Batch, batch.id).state == "dispatched"
    assert JOBS["dispatch"](context) == {"batches": 0, "sent": 0, "busy": 0}  # safe to run twice
    first = JOBS["checkpoint"](context)
    assert first["size"] == latest_checkpoint(session).size
    assert JOBS["checkpoint"](context) == first
