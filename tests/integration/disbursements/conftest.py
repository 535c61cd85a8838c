from datetime import date

import pytest

from payments.adapters.messages import SendResult
from payments.adapters.sandbox.adapter import SandboxAdapter
from payments.adapters.vocabulary import PayoutStatus, ReasonCode
from payments.config import Settings
from payments.context import Actor
from payments.disbursements.approval import approve_batch, submit_batch
from payments.disbursements.building import build_batches
from payments.disbursements.dispatch import DispatchConfig, Dispatcher
from payments.disbursements.model import Batch
from payments.disbursements.routing import Routing
from payments.entitlements.accrual import accrue
from payments.entitlements.period import Period
from payments.entitlements.rates import load_rate_set
from payments.reconcile.callbacks import receive_callback
from payments.registry.crypto import PiiCipher
from tests.support.people import enrol_person, give_bank_account

OFFICER = Actor(username="officer.lan", role="officer")
APPROVER = Actor(username="approver.minh", role="approver")
SECOND_APPROVER = Actor(username="approver.hoa", role="approver")
THRESHOLD = 5_000_000


def approve(session, batch: Batch) -> None:
    """`batch` submitted by OFFICER and approved by APPROVER, committed."""
    submit_batch(session, OFFICER, batch.id)
    approve_batch(
        session, APPROVER, batch.id, manifest_seen=batch.manifest_hash, comment="ok", threshold_vnd=THRESHOLD
    )
    session.commit()


class CallbacksFirst:
    """The sandbox, whose callbacks are received (committed, as by another worker) as soon as it
    has handled a send and before the dispatcher hears its answers; `says` overrides the send's
    answer for some keys with (status, reason code or None)."""

    def __init__(
        self, sandbox, session_factory, says: dict[str, tuple[PayoutStatus, ReasonCode | None]] | None = None
    ):
        self.sandbox, self.session_factory, self.says = sandbox, session_factory, says or {}
        self.name, self.capabilities = sandbox.name, sandbox.capabilities

    def send(self, chunk):
        answers = self.sandbox.send(chunk)
        for headers, body in self.sandbox.take_callbacks():
            with self.session_factory() as session, session.begin():
                receive_callback(session, self.name, self.sandbox, headers, body)
        return [self._said(answer) for answer in answers]

    def status(self, key):
        return self.sandbox.status(key)

    def _said(self, answer: SendResult) -> SendResult:
        if answer.payout_key not in self.says:
            return answer
        status, reason = self.says[answer.payout_key]
        text = "account closed" if reason else ""
        return SendResult(payout_key=answer.payout_key, status=status, reason=reason, reason_text=text)


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
