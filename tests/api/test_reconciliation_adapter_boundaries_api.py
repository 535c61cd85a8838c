"""Over HTTP: a callback validly signed by one adapter moves no payout another adapter sent."""

# ruff: noqa: F811 - the reconciliation fixtures are imported, then named as test arguments

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from payments.adapters.replay import InMemoryNonceStore
from payments.adapters.sandbox.adapter import SandboxAdapter
from payments.adapters.sandbox.callbacks import CallbackSigner, callback_payload
from payments.adapters.sandbox.script import Outcome
from payments.adapters.vocabulary import PayoutStatus, ReasonCode
from payments.disbursements.repository import payouts_in
from payments.ledger import accounts
from payments.ledger.services import balance
from payments.reconcile.exceptions import list_exceptions
from tests.integration.reconcile.conftest import (  # noqa: F401 - fixtures
    approved,
    build,
    cipher,
    dispatched,
    dispatcher,
    owed_people,
    routing,
    sandbox,
    today,
)

WALLET_SECRET = b"the wallet provider's own secret"


@pytest.fixture
def two_adapters(app, sandbox):
    """`bank` (the sandbox the payouts are sent through) and `wallet`, with its own secret."""
    wallet = SandboxAdapter("wallet", default=Outcome("accept"), callback_secret=WALLET_SECRET)
    runtime = app.extensions["payments"]
    app.extensions["payments"] = dataclasses.replace(
        runtime, adapters={**runtime.adapters, "bank": sandbox, "wallet": wallet}
    )
    return app.test_client()


def test_a_wallet_callback_rejecting_a_bank_payout_is_an_exception_and_moves_nothing(
    session, two_adapters, dispatched
):
    batch, (payout,) = dispatched(1)
    signer = CallbackSigner(
        "wallet", WALLET_SECRET, InMemoryNonceStore(), lambda: datetime.now(UTC), timedelta(minutes=5)
    )
    body = callback_payload(
        "WREF-1", payout.payout_key, PayoutStatus.REJECTED, ReasonCode.AC04, payout.amount_vnd
    )
    headers, raw = signer.sign(body)
    answer = two_adapters.post("/callbacks/wallet", data=raw, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["exceptions"] == {"UNMATCHED_CONFIRMATION": 1}
    session.expire_all()
    assert payouts_in(session, batch.id)[0].state == "accepted"
    assert balance(session, accounts.payable(payout.beneficiary_id)) == 0  # nothing owed again
    (found,) = list_exceptions(session)
    assert found.adapter == "wallet"
    assert f"it names payout {payout.payout_key}, a payout of another adapter (bank)" in found.detail
