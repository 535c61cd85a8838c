"""News about a payout counts only when it comes from the adapter that sent the payout: a
status report, a statement or a signed callback of another adapter that names it moves nothing
(a rejection would restore what is owed, and the person would be paid again); it becomes an
exception for finance staff that says whose payout it names."""

from datetime import UTC, datetime, timedelta

import pytest

from payments.adapters.replay import InMemoryNonceStore
from payments.adapters.sandbox.adapter import SandboxAdapter
from payments.adapters.sandbox.callbacks import CallbackSigner, callback_payload
from payments.adapters.sandbox.script import Outcome
from payments.adapters.vocabulary import PayoutStatus, ReasonCode
from payments.errors import InvalidInput, NotFound
from payments.ledger import accounts
from payments.ledger.services import balance
from payments.reconcile.callbacks import receive_callback
from payments.reconcile.exceptions import list_exceptions
from payments.reconcile.resolutions import resolve_exception
from payments.reconcile.runs import import_file
from tests.integration.reconcile.conftest import FINANCE
from tests.integration.reconcile.files import Booking, Status, camt, pain002


def _import(session_factory, data: bytes, adapter: str, name: str = "file"):
    return import_file(session_factory, adapter=adapter, data=data, file_name=name, actor=FINANCE)


def _owed(session, payout) -> int:
    return -balance(session, accounts.payable(payout.beneficiary_id))


def test_a_rejection_imported_for_another_adapter_leaves_the_payout_in_flight(
    session, session_factory, dispatched
):
    _, (payout, other) = dispatched(2)
    _import(session_factory, pain002([Status(payout.payout_key, "RJCT", "AC04")]), adapter="momo")
    session.expire_all()
    assert [payout.state, other.state] == ["accepted", "accepted"]
    assert _owed(session, payout) == 0  # nothing restored: nobody will pay it again
    (found,) = list_exceptions(session)
    assert (found.kind, found.adapter, found.payout_id) == ("UNMATCHED_CONFIRMATION", "momo", None)
    assert f"names payout {payout.payout_key}, a payout of another adapter (bank)" in found.detail
    assert found.data["other_adapter"] == {"payout_key": payout.payout_key, "adapter": "bank"}


def test_a_statement_imported_for_another_adapter_settles_nothing(
    session, session_factory, dispatched, today
):
    _, (payout,) = dispatched(1)
    report = _import(session_factory, camt([Booking(payout.payout_key, payout.amount_vnd)], today), "wallet")
    session.expire_all()
    assert payout.state == "accepted"
    assert balance(session, accounts.settlement("bank")) == 0
    assert balance(session, accounts.in_flight("bank")) == -payout.amount_vnd
    assert report["exceptions"]["UNMATCHED_CONFIRMATION"]["count"] == 1
    (found,) = list_exceptions(session, kind="UNMATCHED_CONFIRMATION")
    assert "a payout of another adapter (bank)" in found.detail


def test_an_unmatched_line_suggests_no_payout_of_another_adapter_and_none_can_be_confirmed(
    session, session_factory, dispatched, today
):
    _, (payout,) = dispatched(1)
    stranger = Booking("NOT-OURS-0001", payout.amount_vnd)  # same amount, no key of ours
    _import(session_factory, camt([stranger], today), "wallet")
    (found,) = list_exceptions(session, kind="UNMATCHED_CONFIRMATION")
    assert found.data["suggestions"] == []
    with pytest.raises(InvalidInput, match="offered"):
        resolve_exception(
            session, FINANCE, found.id, action="confirm_suggestion", reason="x", payout_id=payout.id
        )
    session.expire_all()
    assert payout.state == "accepted"


def test_a_suggestion_stored_before_cannot_settle_a_payout_of_another_adapter(
    session, session_factory, dispatched, today
):
    """An exception raised under one adapter whose stored suggestions name another adapter's
    payout (as suggestions were made before): confirming it is refused, nothing moves."""
    _, (payout,) = dispatched(1)
    _import(session_factory, camt([Booking("NOT-OURS-0002", payout.amount_vnd)], today), "wallet")
    (found,) = list_exceptions(session, kind="UNMATCHED_CONFIRMATION")
    found.data = {**found.data, "suggestions": [{"payout_id": payout.id, "payout_key": payout.payout_key}]}
    session.flush()
    with pytest.raises(NotFound, match="of adapter wallet"):
        resolve_exception(
            session, FINANCE, found.id, action="confirm_suggestion", reason="x", payout_id=payout.id
        )
    session.expire_all()
    assert payout.state == "accepted"
    assert balance(session, accounts.settlement("bank")) == 0


def test_a_callback_signed_by_another_adapter_moves_nothing(session, dispatched):
    _, (payout,) = dispatched(1)
    secret = b"the wallet's own secret"
    wallet = SandboxAdapter("wallet", default=Outcome("accept"), callback_secret=secret)
    signer = CallbackSigner(
        "wallet", secret, InMemoryNonceStore(), lambda: datetime.now(UTC), timedelta(minutes=5)
    )
    body = callback_payload(
        "WREF-1", payout.payout_key, PayoutStatus.REJECTED, ReasonCode.AC04, payout.amount_vnd
    )
    headers, raw = signer.sign(body)  # validly signed, by the wallet provider
    answer = receive_callback(session, "wallet", wallet, headers, raw)
    session.expire_all()
    assert answer["outcomes"] == {"exception": 1}
    assert answer["exceptions"] == {"UNMATCHED_CONFIRMATION": 1}
    assert payout.state == "accepted"
    assert _owed(session, payout) == 0
    (found,) = list_exceptions(session)
    assert (found.adapter, found.kind) == ("wallet", "UNMATCHED_CONFIRMATION")
    assert "a payout of another adapter (bank)" in found.detail
