"""A July 2024 batch paid through an app's own sandbox adapter, with some accounts rejected as
closed: for the API, CLI and console tests of what follows a dispatch."""

from collections.abc import Iterable
from datetime import date

from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from payments.adapters.sandbox.adapter import SandboxAdapter
from payments.adapters.sandbox.script import Outcome
from payments.adapters.vocabulary import ReasonCode
from payments.context import Actor
from payments.disbursements.approval import approve_batch, submit_batch
from payments.disbursements.building import build_batches
from payments.disbursements.dispatch import dispatcher_for
from payments.disbursements.model import Batch
from payments.disbursements.routing import routing_for
from payments.entitlements.accrual import accrue
from payments.entitlements.period import Period
from payments.entitlements.rates import load_rate_set
from payments.registry.crypto import PiiCipher
from tests.support.people import OFFICER, enrol_person, give_bank_account

PERIOD = "2024-07"
APPROVER = Actor(username="approver.minh", role="approver")


def owed_july(session: Session, session_factory: sessionmaker[Session], count: int) -> list[tuple[int, str]]:
    """[(beneficiary id, bank account)] of `count` new people, each owed July 2024 (750.000 ₫)."""
    people = []
    for _ in range(count):
        person, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
        account = f"0071000{person:06d}"
        give_bank_account(session, person, account, since=date(2024, 5, 1))
        people.append((person, account))
    with session_factory() as own:
        rates = load_rate_set(own, "68")
    accrue(session_factory, Period(2024, 7), rates, actor=OFFICER)
    return people


def app_sandbox(app: Flask) -> SandboxAdapter:
    return app.extensions["payments"].adapters["sandbox"]


def approved_july(app: Flask, session: Session) -> Batch:
    """The July batch of the people owed, built by OFFICER and approved by APPROVER (committed)."""
    runtime = app.extensions["payments"]
    routing = routing_for(runtime.settings, runtime.adapters)
    cipher = PiiCipher.from_settings(runtime.settings)
    result = build_batches(
        session, PERIOD, routing, cipher, actor=OFFICER, hold_days=30, on_date=date(2024, 8, 5)
    )
    (batch,) = result.batches
    submit_batch(session, OFFICER, batch.id)
    approve_batch(session, APPROVER, batch.id, manifest_seen=batch.manifest_hash, comment="ok",
                  threshold_vnd=runtime.settings.two_approver_threshold_vnd)  # fmt: skip
    session.commit()
    return batch


def dispatched_with_rejections(app: Flask, session: Session, rejected_accounts: Iterable[str]) -> Batch:
    """The July batch built by OFFICER, approved by APPROVER and dispatched through the app's
    sandbox, which rejects `rejected_accounts` as closed (AC04)."""
    runtime = app.extensions["payments"]
    for account in rejected_accounts:
        app_sandbox(app).script_creditor(account, Outcome("reject", ReasonCode.AC04))
    batch = approved_july(app, session)
    dispatcher_for(runtime.session_factory, runtime.adapters, runtime.settings, batch.id).dispatch(batch.id)
    session.expire_all()
    return batch
