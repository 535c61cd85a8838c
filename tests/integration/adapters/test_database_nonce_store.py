"""The database nonce store: shared by every worker, one claim per nonce per adapter instance."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from payments.adapters.base import AdapterServices
from payments.adapters.creditors import BankAccount
from payments.adapters.errors import CallbackRejected
from payments.adapters.messages import PayoutInstruction
from payments.adapters.nonce_store import AdapterNonce, DatabaseNonceStore, nonce_stores
from payments.adapters.sandbox.adapter import create

NOW = datetime(2025, 1, 31, 9, tzinfo=UTC)


def test_a_nonce_is_claimed_once_per_adapter_instance(session_factory):
    momo, vnpt = DatabaseNonceStore(session_factory, "momo"), DatabaseNonceStore(session_factory, "vnpt")
    expires = datetime.now(UTC) + timedelta(minutes=10)
    assert momo.claim("n-1", expires)
    assert not momo.claim("n-1", expires)
    assert DatabaseNonceStore(session_factory, "momo").claim("n-2", expires)
    assert vnpt.claim("n-1", expires)


def test_expired_nonces_are_purged_on_the_next_claim(session_factory, session):
    clock = [NOW]
    store = DatabaseNonceStore(session_factory, "momo", clock=lambda: clock[0])
    store.claim("old", NOW + timedelta(minutes=10))
    clock[0] = NOW + timedelta(minutes=11)
    store.claim("new", clock[0] + timedelta(minutes=10))
    assert session.scalars(select(AdapterNonce.nonce)).all() == ["new"]


def test_an_oversized_or_empty_nonce_is_refused():
    store = DatabaseNonceStore(None, "momo")  # refused before any database work
    assert not store.claim("", NOW)
    assert not store.claim("n" * 129, NOW)


def test_a_replayed_sandbox_callback_is_refused_through_the_database_store(session_factory):
    services = AdapterServices(nonce_store=nonce_stores(session_factory))
    sandbox = create("sandbox", {}, services)
    creditor = BankAccount(bin="970436", account_number="0011002233", holder_name="A")
    sandbox.send([PayoutInstruction(payout_key="K-1", amount_vnd=1, creditor=creditor, beneficiary_name="A")])
    [(headers, body)] = sandbox.take_callbacks()
    sandbox.parse_callback(headers, body)
    again = create("sandbox", {}, services)  # another worker, same instance name, same database
    with pytest.raises(CallbackRejected, match="replayed"):
        again.parse_callback(headers, body)
