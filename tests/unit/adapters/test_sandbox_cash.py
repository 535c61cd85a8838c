"""The sandbox pays cash too: awaiting pickup, collected (debited then) or uncollected (NOAS)."""

from datetime import UTC, datetime, timedelta

import pytest

from payments.adapters.creditors import BankAccount, CashPickup
from payments.adapters.errors import AdapterUnsupported
from payments.adapters.messages import PayoutInstruction
from payments.adapters.sandbox.adapter import SandboxAdapter
from payments.adapters.sandbox.script import Outcome
from payments.adapters.vocabulary import Direction, PayoutStatus, ReasonCode

PICKUP = CashPickup(commune_code="25123", citizen_id="001190012345", holder_name="Lê Thị Hồng")
OTHER = CashPickup(commune_code="25123", citizen_id="001190054321", holder_name="Trần Văn Bình")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 1, 31, 9, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def pay(key: str, creditor=PICKUP, amount: int = 500_000) -> PayoutInstruction:
    return PayoutInstruction(
        payout_key=key, amount_vnd=amount, creditor=creditor, beneficiary_name="Lê Thị Hồng"
    )


def events(sandbox: SandboxAdapter) -> list[tuple[str, PayoutStatus, ReasonCode | None]]:
    parsed = [sandbox.parse_callback(h, b) for h, b in sandbox.take_callbacks()]
    return [(e.payout_key, e.status, e.reason) for e in parsed]


def test_the_sandbox_declares_it_pays_cash():
    assert "cash" in SandboxAdapter().capabilities


def test_cash_collected_at_once_by_default_is_debited_and_settled():
    clock = Clock()
    sandbox = SandboxAdapter(clock=clock, opening_balance_vnd=1_000_000)
    [result] = sandbox.send([pay("C-1")])
    assert result.status is PayoutStatus.SETTLED
    assert sandbox.credits() == {"C-1": 1}
    assert events(sandbox) == [("C-1", PayoutStatus.SETTLED, None)]
    statement = sandbox.fetch_statement(clock.now.date())
    assert [(e.end_to_end_id, e.direction, e.amount_vnd) for e in statement.entries] == [
        ("C-1", Direction.DEBIT, 500_000)
    ]


def test_accepted_cash_waits_with_nothing_debited_until_collected_on_a_later_day():
    clock = Clock()
    sandbox = SandboxAdapter(clock=clock, default=Outcome("accept"), opening_balance_vnd=1_000_000)
    assert sandbox.send([pay("C-1")])[0].status is PayoutStatus.ACCEPTED
    assert (sandbox.credits(), sandbox.take_callbacks()) == ({}, [])
    assert sandbox.fetch_statement(clock.now.date()).entries == ()
    clock.now += timedelta(days=3)
    sandbox.settle("C-1")
    assert sandbox.status("C-1").status is PayoutStatus.SETTLED
    assert sandbox.credits() == {"C-1": 1}
    assert events(sandbox) == [("C-1", PayoutStatus.SETTLED, None)]
    collected_day = sandbox.fetch_statement(clock.now.date())
    assert [(e.direction, e.booking_date) for e in collected_day.entries] == [
        (Direction.DEBIT, clock.now.date())
    ]
    assert collected_day.is_balanced
    assert collected_day.closing_balance_vnd == 500_000


def test_uncollected_cash_is_returned_noas_and_never_leaves_the_account():
    clock = Clock()
    sandbox = SandboxAdapter(clock=clock, default=Outcome("accept"), opening_balance_vnd=1_000_000)
    sandbox.send([pay("C-1")])
    sandbox.return_payout("C-1", ReasonCode.NOAS)
    status = sandbox.status("C-1")
    assert (status.status, status.reason) == (PayoutStatus.RETURNED, ReasonCode.NOAS)
    assert events(sandbox) == [("C-1", PayoutStatus.RETURNED, ReasonCode.NOAS)]
    statement = sandbox.fetch_statement(clock.now.date())
    assert (statement.entries, statement.closing_balance_vnd) == ((), 1_000_000)
    assert sandbox.credits() == {}
    sandbox.settle("C-1")  # too late: the window closed
    assert sandbox.credits() == {}


def test_collected_cash_cannot_come_back():
    sandbox = SandboxAdapter()
    sandbox.send([pay("C-1")])
    with pytest.raises(ValueError, match="only waiting cash"):
        sandbox.return_payout("C-1", ReasonCode.NOAS)
    assert sandbox.status("C-1").status is PayoutStatus.SETTLED


def test_cash_outcomes_are_scripted_by_citizen_id_and_a_key_script_wins():
    sandbox = SandboxAdapter()
    sandbox.script_creditor(OTHER.citizen_id, Outcome("reject", ReasonCode.AG01))
    sandbox.script_creditor(PICKUP.citizen_id, Outcome("accept"))
    sandbox.script_key("C-3", Outcome("settle"))
    results = sandbox.send([pay("C-1"), pay("C-2", OTHER), pay("C-3")])
    assert [(r.status, r.reason) for r in results] == [
        (PayoutStatus.ACCEPTED, None),
        (PayoutStatus.REJECTED, ReasonCode.AG01),
        (PayoutStatus.SETTLED, None),
    ]
    assert sandbox.credits() == {"C-3": 1}


def test_a_resend_of_waiting_cash_pays_nothing_more():
    sandbox = SandboxAdapter(default=Outcome("accept"))
    sandbox.send([pay("C-1")])
    sandbox.settle("C-1")
    assert sandbox.send([pay("C-1")])[0].status is PayoutStatus.SETTLED
    sandbox.settle("C-1")
    assert sandbox.credits() == {"C-1": 1}


def test_a_bank_payout_still_debits_at_acceptance_and_credits_back_on_return():
    clock = Clock()
    account = BankAccount(bin="970415", account_number="1002003004", holder_name="Lê Thị Hồng")
    sandbox = SandboxAdapter(clock=clock, default=Outcome("accept"), opening_balance_vnd=1_000_000)
    sandbox.send([pay("B-1", account)])
    assert sandbox.credits() == {"B-1": 1}
    sandbox.return_payout("B-1", ReasonCode.AC04)
    statement = sandbox.fetch_statement(clock.now.date())
    assert [e.direction for e in statement.entries] == [Direction.DEBIT, Direction.CREDIT]


def test_a_cash_pickup_has_no_holder_to_look_up():
    with pytest.raises(AdapterUnsupported):
        SandboxAdapter().lookup_name(PICKUP)
