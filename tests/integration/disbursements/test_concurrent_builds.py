"""Builds take turns: two running at once (the scheduler's monthly build and an officer's build
or retry from the console), in real concurrent transactions, never put one person in two
batches. On PostgreSQL they wait for each other's lock; SQLite serialises whole transactions."""

import threading
from collections.abc import Callable, Iterator
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from payments import migrate
from payments.adapters.sandbox.adapter import SandboxAdapter
from payments.adapters.sandbox.script import Outcome
from payments.adapters.vocabulary import ReasonCode
from payments.config import Settings
from payments.context import Actor
from payments.db import make_engine, make_session_factory
from payments.disbursements.approval import approve_batch, submit_batch
from payments.disbursements.building import build_batches
from payments.disbursements.dispatch import DispatchConfig, Dispatcher
from payments.disbursements.model import Batch, Payout
from payments.disbursements.repository import OPEN_BATCH_STATES
from payments.disbursements.retry import build_retry_batch
from payments.disbursements.routing import Routing
from payments.entitlements.accrual import accrue
from payments.entitlements.period import Period
from payments.entitlements.rates import load_rate_set
from payments.registry.crypto import PiiCipher
from tests.integration.disbursements.conftest import APPROVER, OFFICER, THRESHOLD
from tests.support.people import enrol_person, give_bank_account

SCHEDULER = Actor(username="scheduler", role="system")
HOLD_DAYS = 30
ON = date(2024, 8, 5)


class World:
    """A database of its own, so that two sessions really run side by side."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        migrate.upgrade(self.engine)
        self.factory: sessionmaker[Session] = make_session_factory(self.engine)
        self.cipher = PiiCipher.from_settings(Settings(env="test"))
        self.sandbox = SandboxAdapter("bank")
        self.routing = Routing(bank="bank", ewallet="bank", adapters={"bank": self.sandbox})

    def owed_july(self) -> tuple[int, str]:
        with self.factory() as session:
            person, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
            account = f"0071000{person:06d}"
            give_bank_account(session, person, account, since=date(2024, 5, 1))
            rates = load_rate_set(session, "68")
        accrue(self.factory, Period(2024, 7), rates, actor=OFFICER)
        return person, account

    def build(self, session: Session, period: str, actor: Actor = OFFICER) -> list[Batch]:
        return build_batches(
            session, period, self.routing, self.cipher, actor=actor, hold_days=HOLD_DAYS, on_date=ON
        ).batches

    def open_payouts_of(self, person: int) -> list[tuple[str, int]]:
        with self.factory() as session:
            query = (
                select(Payout.payout_key, Payout.amount_vnd)
                .join(Batch, Batch.id == Payout.batch_id)
                .where(Payout.beneficiary_id == person, Batch.state.in_(OPEN_BATCH_STATES))
            )
            return [tuple(row) for row in session.execute(query)]


@pytest.fixture
def world(fresh_database_url) -> Iterator[World]:
    world = World(fresh_database_url)
    yield world
    world.engine.dispose()


def while_uncommitted(world: World, first: Callable[[Session], object], second: Callable[[Session], object]):
    """Run `first` in a transaction left open while `second` starts in another thread; then
    commit `first` and let `second` finish. Returns what `second` raised, if anything."""
    raised: list[Exception] = []

    def run_second() -> None:
        try:
            with world.factory() as session, session.begin():
                second(session)
        except Exception as exc:  # reported to the test, which decides
            raised.append(exc)

    with world.factory() as session:
        session.begin()
        first(session)
        thread = threading.Thread(target=run_second)
        thread.start()
        thread.join(timeout=2)
        assert thread.is_alive(), "the second build did not wait for the first"
        session.commit()
    thread.join(timeout=60)
    assert not thread.is_alive()
    return raised


def test_two_builds_at_once_put_a_person_in_one_batch_only(world):
    person, _ = world.owed_july()

    raised = while_uncommitted(
        world,
        lambda session: world.build(session, "2024-07"),
        lambda session: world.build(session, "2024-08", SCHEDULER),
    )

    assert raised == []
    assert world.open_payouts_of(person) == [(f"2407-{person:08d}-01-BTXH", 750_000)]


def test_a_retry_and_a_build_at_once_put_a_person_in_one_batch_only(world):
    person, account = world.owed_july()
    with world.factory() as session, session.begin():
        (batch,) = world.build(session, "2024-07")
        submit_batch(session, OFFICER, batch.id)
        approve_batch(
            session, APPROVER, batch.id, manifest_seen=batch.manifest_hash, comment="ok",
            threshold_vnd=THRESHOLD,
        )  # fmt: skip
        batch_id = batch.id
    world.sandbox.script_creditor(account, Outcome("reject", ReasonCode.AC04))
    config = DispatchConfig(holder="d", threshold_vnd=THRESHOLD, sleep=lambda _s: None)
    dispatcher = Dispatcher(world.factory, world.sandbox, world.cipher, Actor("dispatcher", "system"), config)
    assert dispatcher.dispatch(batch_id).state == "dispatched"  # rejected: owed again

    def retry(session: Session) -> None:
        build_retry_batch(
            session, batch_id, world.routing, world.cipher, actor=OFFICER, hold_days=HOLD_DAYS, on_date=ON
        )

    raised = while_uncommitted(world, retry, lambda session: world.build(session, "2024-08", SCHEDULER))

    assert raised == []
    assert world.open_payouts_of(person) == [(f"2407-{person:08d}-02-BTXH", 750_000)]
