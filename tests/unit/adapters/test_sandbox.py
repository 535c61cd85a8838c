"""The sandbox: scripted outcomes, once-only credits, signed callbacks, a balanced statement."""

from datetime import UTC, datetime, timedelta

import pytest

from payments.adapters.creditors import BankAccount, WalletAccount
from payments.adapters.errors import CallbackRejected
from payments.adapters.messages import PayoutInstruction
from payments.adapters.sandbox.adapter import SandboxAdapter
from payments.adapters.sandbox.script import Outcome
from payments.adapters.vocabulary import Direction, PayoutStatus, ReasonCode

ACCOUNT = BankAccount(bin="970415", account_number="1002003004", holder_name="Lê Thị Hồng")
WALLET = WalletAccount(provider="vnpt", phone="0987654321")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 1, 31, 9, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def pay(key: str, creditor=ACCOUNT, amount: int = 500_000) -> PayoutInstruction:
    return PayoutInstruction(
        payout_key=key, amount_vnd=amount, creditor=creditor, beneficiary_name="Lê Thị Hồng"
    )


def test_outcomes_are_scripted_per_key_then_per_creditor_then_by_default():
    sandbox = SandboxAdapter()
    sandbox.script_creditor(WALLET.phone, Outcome("reject", ReasonCode.AC06))
    sandbox.script_key("K-2", Outcome("accept"))
    results = sandbox.send([pay("K-1"), pay("K-2"), pay("K-3", WALLET)])
    assert [(r.status, r.reason) for r in results] == [
        (PayoutStatus.SETTLED, None),
        (PayoutStatus.ACCEPTED, None),
        (PayoutStatus.REJECTED, ReasonCode.AC06),
    ]
    assert sandbox.credits() == {"K-1": 1, "K-2": 1}


def test_an_outcome_must_be_known_and_a_rejection_must_carry_a_reason():
    with pytest.raises(ValueError, match="outcome"):
        Outcome("reject")
    with pytest.raises(ValueError, match="outcome"):
        Outcome("explode")


def test_an_unknown_outcome_credits_but_loses_the_answer():
    sandbox = SandboxAdapter()
    sandbox.script_key("K-1", Outcome("unknown"))
    [result] = sandbox.send([pay("K-1")])
    assert result.status is PayoutStatus.UNKNOWN
    assert sandbox.status("K-1").status is PayoutStatus.SETTLED
    assert sandbox.send([pay("K-1")])[0].status is PayoutStatus.SETTLED
    assert sandbox.credits() == {"K-1": 1}


def test_an_accepted_payout_settles_later_with_a_callback():
    sandbox = SandboxAdapter(default=Outcome("accept"))
    sandbox.send([pay("K-1")])
    assert sandbox.take_callbacks() == []
    sandbox.settle("K-1")
    [(headers, body)] = sandbox.take_callbacks()
    event = sandbox.parse_callback(headers, body)
    assert (event.payout_key, event.status) == ("K-1", PayoutStatus.SETTLED)


def test_a_return_after_settlement_shows_in_status_callback_and_statement():
    clock = Clock()
    sandbox = SandboxAdapter(clock=clock, opening_balance_vnd=1_000_000)
    sandbox.send([pay("K-1")])
    sandbox.return_payout("K-1", ReasonCode.AC04)
    assert sandbox.status("K-1").status is PayoutStatus.RETURNED
    events = [sandbox.parse_callback(h, b) for h, b in sandbox.take_callbacks()]
    assert [(e.status, e.reason) for e in events] == [
        (PayoutStatus.SETTLED, None),
        (PayoutStatus.RETURNED, ReasonCode.AC04),
    ]
    statement = sandbox.fetch_statement(clock.now.date())
    assert [(e.direction, e.amount_vnd) for e in statement.entries] == [
        (Direction.DEBIT, 500_000),
        (Direction.CREDIT, 500_000),
    ]
    assert statement.is_balanced
    assert statement.closing_balance_vnd == 1_000_000
    assert sandbox.credits() == {"K-1": 1}


def test_yesterdays_entries_move_todays_opening_balance():
    clock = Clock()
    sandbox = SandboxAdapter(clock=clock, opening_balance_vnd=1_000_000)
    sandbox.send([pay("K-1", amount=300_000)])
    clock.now += timedelta(days=1)
    today = sandbox.fetch_statement(clock.now.date())
    assert (today.opening_balance_vnd, today.entries) == (700_000, ())


def test_a_stale_callback_is_refused_even_with_a_good_signature():
    clock = Clock()
    sandbox = SandboxAdapter(clock=clock)
    sandbox.send([pay("K-1")])
    [(headers, body)] = sandbox.take_callbacks()
    clock.now += timedelta(minutes=6)
    with pytest.raises(CallbackRejected, match="window"):
        sandbox.parse_callback(headers, body)


def test_a_closed_holder_is_not_found_and_is_rejected_ac04():
    sandbox = SandboxAdapter()
    sandbox.add_holder(ACCOUNT, "Lê Thị Hồng", closed=True)
    assert sandbox.lookup_name(ACCOUNT).reason is ReasonCode.AC04
    assert sandbox.send([pay("K-1")])[0].reason is ReasonCode.AC04
    assert sandbox.credits() == {}


def test_lookup_reports_registered_names_folded_and_unknown_wallets_as_ac01():
    sandbox = SandboxAdapter()
    sandbox.add_holder(WALLET, "Đỗ Văn Đạt")
    assert sandbox.lookup_name(WALLET).reported_name == "DO VAN DAT"
    assert sandbox.lookup_name(ACCOUNT).reported_name == "LE THI HONG"
    other = WalletAccount(provider="vnpt", phone="0900000000")
    assert sandbox.lookup_name(other).reason is ReasonCode.AC01


def test_duplicate_keys_within_one_chunk_are_a_programming_error():
    with pytest.raises(ValueError, match="unique"):
        SandboxAdapter().send([pay("K-1"), pay("K-1")])
