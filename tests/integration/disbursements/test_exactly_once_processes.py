"""Exactly once, proved with real processes: dispatchers killed at random points and restarted,
and two dispatchers racing on one batch, against the bank simulator over HTTP.

In every trial the simulator credits each payout key at most once, every payout ends in a
definite state, and the ledger's in-flight account equals the payouts still unsettled.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import date

import pytest
from sqlalchemy import create_engine, select

from payments import migrate
from payments.adapters.bank_api.simulator import BankSimulator
from payments.adapters.registry import AdapterRegistry
from payments.adapters.simkit import Faults
from payments.config import Settings
from payments.context import Actor
from payments.db import make_engine, make_session_factory
from payments.disbursements.approval import approve_batch, submit_batch
from payments.disbursements.building import build_batches
from payments.disbursements.model import Batch, Payout
from payments.disbursements.routing import Routing
from payments.disbursements.states import IN_FLIGHT_STATES
from payments.entitlements.accrual import accrue
from payments.entitlements.period import Period
from payments.entitlements.rates import load_rate_set
from payments.ledger import accounts
from payments.ledger.services import balance
from payments.registry.crypto import PiiCipher
from payments.text import fold_name
from tests.support.people import enrol_person, give_bank_account

pytestmark = pytest.mark.slow
OFFICER = Actor(username="officer.lan", role="officer")
APPROVER = Actor(username="approver.minh", role="approver")
PEOPLE = 8
TRIALS = 20
LEASE_SECONDS = 2  # short, so that takeovers (even of a live but slow dispatcher) happen in the test
FAST = {"read_timeout": 2.0, "connect_timeout": 1.0, "read_retries": 1}


class World:
    """A fresh database with people owed money, a bank simulator, and a way to run dispatchers."""

    def __init__(self, url: str, tmp_path) -> None:
        self.url = url
        self.engine = make_engine(url)
        migrate.upgrade(self.engine)
        self.factory = make_session_factory(self.engine)
        # Reads beside the dispatchers: on SQLite our engine opens BEGIN IMMEDIATE and would
        # queue behind them; a plain engine reads alongside (WAL).
        self.observer_engine = create_engine(url)
        self.observer = make_session_factory(self.observer_engine)
        self.sim = BankSimulator(seed=5, faults=Faults(reject_wrong_account=0.1))
        self.sim.__enter__()
        settings = self.sim.adapter_settings(**FAST)
        self.config_file = tmp_path / "adapters.json"
        self.config_file.write_text(json.dumps({"bank": settings}))
        adapter = AdapterRegistry().build("bank", settings)
        self.routing = Routing(bank="bank", ewallet="bank", adapters={"bank": adapter})
        self.cipher = PiiCipher.from_settings(Settings(env="test"))
        with self.factory() as session:
            for _ in range(PEOPLE):
                person, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 1, 5))
                give_bank_account(session, person, f"0071000{person:06d}", since=date(2024, 1, 5))
                self.sim.add_account("970436", f"0071000{person:06d}", fold_name("Nguyễn Thị Đào"))

    def close(self) -> None:
        self.sim.__exit__(None, None, None)
        self.engine.dispose()
        self.observer_engine.dispose()

    def approved_batch(self, period: Period) -> int:
        with self.factory() as session:
            rates = load_rate_set(session, "68")
        accrue(self.factory, period, rates, actor=OFFICER)
        with self.factory() as session, session.begin():
            result = build_batches(
                session,
                str(period),
                self.routing,
                self.cipher,
                actor=OFFICER,
                hold_days=30,
                on_date=period.last_day,
            )
            (batch,) = result.batches
            submit_batch(session, OFFICER, batch.id)
            approve_batch(session, APPROVER, batch.id, manifest_seen=batch.manifest_hash, comment="ok",
                          threshold_vnd=10**12)  # fmt: skip
            return batch.id

    def dispatcher(self, batch_id: int) -> subprocess.Popen:
        env = {**os.environ, "PAYMENTS_ENV": "test", "PAYMENTS_DATABASE_URL": self.url,
               "PAYMENTS_ADAPTERS_FILE": str(self.config_file), "PAYMENTS_ROUTE_BANK": "bank",
               "PAYMENTS_LOG_LEVEL": "WARNING",
               "PAYMENTS_DISPATCH_LEASE_SECONDS": str(LEASE_SECONDS)}  # fmt: skip
        command = [sys.executable, "-m", "payments", "batches", "dispatch", str(batch_id), "--chunk", "1"]
        return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def payouts(self, batch_id: int | None = None) -> list[Payout]:
        with self.factory() as session:
            query = select(Payout) if batch_id is None else select(Payout).where(Payout.batch_id == batch_id)
            return list(session.scalars(query))

    def batch_state(self, batch_id: int) -> str:
        with self.observer() as session:
            return session.get_one(Batch, batch_id).state

    def wait_until_dispatching(self, batch_id: int, process: subprocess.Popen) -> None:
        deadline = time.monotonic() + 60
        while self.batch_state(batch_id) == "approved" and process.poll() is None:
            if time.monotonic() > deadline:
                raise AssertionError("the dispatcher never started")
            time.sleep(0.005)

    def run_until_done(self, batch_id: int) -> None:
        for _ in range(6):
            process = self.dispatcher(batch_id)
            _out, err = process.communicate(timeout=120)
            if self.batch_state(batch_id) == "dispatched":
                return
            # Exit 2: the killed dispatcher's lease has not expired yet.
            time.sleep(0.2 if process.returncode != 2 else LEASE_SECONDS)
        raise AssertionError(f"batch {batch_id} never finished: {err.decode()[-2000:]}")

    def assert_exactly_once(self) -> None:
        payouts = self.payouts()
        credits = self.sim.credits()
        assert all(count == 1 for count in credits.values()), credits
        assert set(credits) <= {p.payout_key for p in payouts}
        assert {p.state for p in payouts} <= {"settled", "rejected"}
        settled = {p.payout_key for p in payouts if p.state == "settled"}
        assert settled == {k for k in credits if k in settled}
        unsettled = sum(p.amount_vnd for p in payouts if p.state in IN_FLIGHT_STATES)
        with self.factory() as session:
            assert -balance(session, accounts.in_flight("bank")) == unsettled == 0


@pytest.fixture
def world(database_maker, tmp_path):
    world = World(database_maker.new_url(), tmp_path)
    yield world
    world.close()


def test_dispatchers_killed_at_random_points_never_pay_anyone_twice(world):
    rng = random.Random(20251)
    interrupted = 0
    period = Period(2024, 1)
    for _trial in range(TRIALS):
        batch_id = world.approved_batch(period)
        process = world.dispatcher(batch_id)
        world.wait_until_dispatching(batch_id, process)
        time.sleep(rng.uniform(0.0, 0.12))  # a random point inside the dispatch
        process.send_signal(signal.SIGKILL)
        process.wait()
        if world.batch_state(batch_id) == "dispatching":
            interrupted += 1
        world.run_until_done(batch_id)
        world.assert_exactly_once()
        period = period.next()
    assert interrupted >= TRIALS // 4, f"only {interrupted} kills landed mid-dispatch"


def test_two_dispatchers_racing_on_one_batch_pay_each_payout_once(world):
    period = Period(2024, 1)
    for _trial in range(3):
        batch_id = world.approved_batch(period)
        racers = [world.dispatcher(batch_id), world.dispatcher(batch_id)]
        codes = [racer.wait(timeout=120) for racer in racers]
        assert 0 in codes or world.batch_state(batch_id) != "dispatched"
        world.run_until_done(batch_id)
        world.assert_exactly_once()
        period = period.next()
