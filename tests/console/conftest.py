"""Console fixtures: people owed July 2024, a batch built for them, users to sign in as."""

from datetime import date

import pytest
from sqlalchemy import select

from payments.adapters.sandbox.script import Outcome
from payments.context import Actor
from payments.disbursements.approval import approve_batch, submit_batch
from payments.disbursements.building import build_batches
from payments.disbursements.dispatch import dispatcher_for
from payments.disbursements.model import Payout
from payments.disbursements.routing import routing_for
from payments.entitlements.accrual import accrue
from payments.entitlements.period import Period
from payments.entitlements.rates import load_rate_set
from payments.reconcile import exceptions
from payments.reconcile.exceptions import Problem, raise_exception
from payments.registry.crypto import PiiCipher
from tests.console.support import make_user, sign_in
from tests.support.people import OFFICER, enrol_person, give_bank_account

PERIOD = "2024-07"
APPROVER = Actor(username="approver.minh", role="approver")


@pytest.fixture
def user(session):
    """user('approver') -> the username of a new user with that role and the test password."""

    def make(*roles: str, name: str | None = None) -> str:
        return make_user(session, *roles, name=name)

    return make


@pytest.fixture
def signed_in(client, user):
    """signed_in('auditor') -> a test client signed in as a new user with those roles."""

    def make(*roles: str):
        response = sign_in(client, user(*roles))
        assert response.status_code == 302, response.text
        return client

    return make


@pytest.fixture
def owed(session, session_factory):
    """Two people with bank accounts and one without any instrument, all owed July 2024."""
    people = []
    for name, holder in (
        ("Nguyễn Thị Đào", "NGUYEN THI DAO"),
        ("Trần Văn Minh", "TRAN VAN MINH"),
        ("Lê Thị Hoa", None),
    ):
        person, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1), name=name)
        if holder:
            give_bank_account(session, person, f"0071000{person:06d}", holder=holder, since=date(2024, 5, 1))
        people.append(person)
    with session_factory() as s:
        rates = load_rate_set(s, "68")
    accrue(session_factory, Period(2024, 7), rates, actor=OFFICER)
    return people


@pytest.fixture
def draft_batch(app, session, owed):
    """The July 2024 batch built by officer.lan: two payouts, one person held (no instrument)."""
    runtime = app.extensions["payments"]
    routing = routing_for(runtime.settings, runtime.adapters)
    cipher = PiiCipher.from_settings(runtime.settings)
    result = build_batches(
        session, PERIOD, routing, cipher, actor=OFFICER, hold_days=30, on_date=date(2024, 8, 5)
    )
    session.commit()
    (batch,) = result.batches
    return batch


@pytest.fixture
def paid_batch_of(session, dispatch):
    """paid_batch_of(batch): submitted, approved by approver.minh, dispatched through the sandbox."""

    def pay(batch):
        submit_batch(session, OFFICER, batch.id)
        approve_batch(session, APPROVER, batch.id, manifest_seen=batch.manifest_hash,
                      comment="đồng ý", threshold_vnd=500_000_000)  # fmt: skip
        session.commit()
        dispatch(batch.id)
        return batch

    return pay


@pytest.fixture
def paid_batch(draft_batch, paid_batch_of):
    """The July batch submitted, approved by approver.minh and dispatched through the sandbox."""
    return paid_batch_of(draft_batch)


@pytest.fixture
def accepted_batch(app, owed, draft_batch, paid_batch_of):
    """The July batch dispatched, the sandbox accepting the first person's payout (in flight,
    not settled: as a bank does until its statement books it) and settling the other."""
    sandbox = app.extensions["payments"].adapters[draft_batch.adapter]
    sandbox.script_creditor(f"0071000{owed[0]:06d}", Outcome("accept"))
    return paid_batch_of(draft_batch)


@pytest.fixture
def open_exception(session, accepted_batch):
    """An UNCONFIRMED_PAYOUT exception on the first payout of the July batch, still in flight."""
    payout = session.scalars(
        select(Payout).where(Payout.batch_id == accepted_batch.id).order_by(Payout.id)
    ).first()
    assert payout.state == "accepted"
    problem = Problem(
        kind="UNCONFIRMED_PAYOUT", fingerprint=f"test:unconfirmed:{payout.id}",
        adapter=accepted_batch.adapter, detail=f"{payout.payout_key}: no statement confirmed it",
        payout_id=payout.id, amount_vnd=payout.amount_vnd,
    )  # fmt: skip
    raise_exception(session, problem, actor=OFFICER)
    session.commit()
    return exceptions.list_exceptions(session, state="open")[0]


@pytest.fixture
def dispatch(app):
    def go(batch_id: int):
        runtime = app.extensions["payments"]
        return dispatcher_for(runtime.session_factory, runtime.adapters, runtime.settings, batch_id).dispatch(
            batch_id
        )

    return go
