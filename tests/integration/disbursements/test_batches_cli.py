"""`payments batches submit|approve --as NAME`: the name must be an active user holding the role,
and the operator at the server who typed it is on record with the event."""

from payments.audit.repository import search_events
from payments.cli import cli
from payments.commands.common import cli_actor
from payments.disbursements.approval import submit_batch
from payments.disbursements.building import build_batches
from payments.disbursements.model import Batch
from payments.disbursements.routing import routing_for
from payments.registry.crypto import PiiCipher
from payments.security.services import create_user, set_active
from tests.support.batches import owed_july
from tests.support.people import OFFICER


def _pending(app, session, session_factory) -> Batch:
    owed_july(session, session_factory, 1)
    runtime = app.extensions["payments"]
    (batch,) = build_batches(
        session, "2024-07", routing_for(runtime.settings, runtime.adapters),
        PiiCipher.from_settings(runtime.settings), actor=OFFICER, hold_days=30,
    ).batches  # fmt: skip
    submit_batch(session, OFFICER, batch.id)
    session.commit()
    return batch


def _approve(app, batch: Batch, username: str):
    args = ["batches", "approve", str(batch.id), "--as", username, "--manifest", batch.manifest_hash]
    return app.test_cli_runner().invoke(cli, args)


def test_a_deactivated_approver_cannot_approve_on_the_command_line(app, session, session_factory):
    batch = _pending(app, session, session_factory)
    gone = create_user(session, OFFICER, "duyet.cu", ["approver"])
    set_active(session, OFFICER, gone, False)
    session.commit()

    result = _approve(app, batch, "duyet.cu")

    assert result.exit_code == 2
    assert "refused: duyet.cu is deactivated and cannot act" in result.output
    session.expire_all()
    assert session.get(Batch, batch.id).state == "pending_approval"


def test_an_approval_on_the_command_line_names_the_operator_who_typed_it(app, session, session_factory):
    batch = _pending(app, session, session_factory)
    create_user(session, OFFICER, "duyet.moi", ["approver"])
    session.commit()

    result = _approve(app, batch, "duyet.moi")

    assert result.exit_code == 0, result.output
    (approved,) = search_events(session, action="batch.approve")
    assert (approved.actor, approved.request_id) == ("duyet.moi", cli_actor().username)
