from datetime import date

import pytest

from payments.adapters.sandbox.adapter import SandboxAdapter
from payments.config import Settings
from payments.context import Actor
from payments.disbursements.building import build_batches
from payments.disbursements.dispatch import DispatchConfig, Dispatcher
from payments.disbursements.routing import Routing
from payments.entitlements.accrual import accrue
from payments.entitlements.period import Period
from payments.entitlements.rates import load_rate_set
from payments.registry.crypto import PiiCipher
from tests.support.people import enrol_person, give_bank_account

OFFICER = Actor(username="officer.lan", role="officer")
APPROVER = Actor(username="approver.minh", role="approver")
SECOND_APPROVER = Actor(username="approver.hoa", role="approver")
THRESHOLD = 5_000_000


@pytest.fixture
def cipher():
    return PiiCipher.from_settings(Settings(env="test"))


@pytest.fixture
def sandbox():
    return SandboxAdapter("bank")


@pytest.fixture
def routing(sandbox):
    return Routing(bank="bank", ewallet="bank", adapters={"bank": sandbox})


@pytest.fixture
def owed_people(session, session_factory):
    """People owed July 2024 (accrued), each with a bank account: [(beneficiary id, account)]."""

    def make(count: int, category: str = "BTXH_ELDERLY_POOR_60_80", **parameters) -> list[tuple[int, str]]:
        people = []
        for _n in range(count):
            beneficiary, _ = enrol_person(session, category, date(2024, 7, 1), **parameters)
            account = f"0071000{beneficiary:06d}"
            give_bank_account(session, beneficiary, account, since=date(2024, 5, 1))
            people.append((beneficiary, account))
        rates = load_rate_set(session, "68")
        accrue(session_factory, Period(2024, 7), rates, actor=OFFICER)
        return people

    return make


@pytest.fixture
def build(session, routing, cipher):
    def go(period: str = "2024-07", on: date = date(2024, 8, 5)):
        result = build_batches(session, period, routing, cipher, actor=OFFICER, hold_days=30, on_date=on)
        session.commit()
        return result

    return go


@pytest.fixture
def dispatcher(session_factory, sandbox, cipher):
    def make(holder: str = "test-dispatcher", adapter=None) -> Dispatcher:
        config = DispatchConfig(holder=holder, threshold_vnd=THRESHOLD, chunk_size=2, sleep=lambda _s: None)
        return Dispatcher(session_factory, adapter or sandbox, cipher, Actor("dispatcher", "system"), config)

    return make
