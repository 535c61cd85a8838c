"""Each fault of the bank simulator, seen through the bank_api adapter."""

import json
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from payments.adapters.bank_api import signing
from payments.adapters.bank_api.simulator import BankSimulator
from payments.adapters.base import AdapterServices
from payments.adapters.creditors import BankAccount
from payments.adapters.errors import AdapterConfigError, AdapterProtocolError, AdapterUnavailable
from payments.adapters.simkit import Faults
from payments.adapters.vocabulary import Direction, PayoutStatus, ReasonCode
from tests.integration.adapters.support import bank_adapter, open_account, pay


def TODAY():
    return datetime.now(UTC).date()


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("reject_closed", ReasonCode.AC04),
        ("reject_wrong_account", ReasonCode.AC01),
        ("reject_insufficient_funds", ReasonCode.AM04),
    ],
)
def test_reject_faults_reject_with_their_reason_and_credit_nothing(fault, reason):
    with BankSimulator(faults=Faults(**{fault: 1.0})) as sim:
        [result] = bank_adapter(sim).send([pay("K-1", open_account(sim, 1))])
        assert (result.status, result.reason) == (PayoutStatus.REJECTED, reason)
        assert sim.credits() == {}
        assert bank_adapter(sim).status("K-1").reason is reason


def test_reject_rates_are_decided_per_key_by_the_seed():
    def outcomes(seed: int) -> list[PayoutStatus]:
        with BankSimulator(seed=seed, faults=Faults(reject_closed=0.5)) as sim:
            account = open_account(sim, 1)
            return [r.status for r in bank_adapter(sim).send([pay(f"K-{i}", account) for i in range(40)])]

    first = outcomes(3)
    assert first == outcomes(3)
    assert 5 < first.count(PayoutStatus.REJECTED) < 35
    assert first != outcomes(4)


def test_a_closed_or_missing_account_and_a_short_balance_are_real_rejections():
    with BankSimulator(opening_balance_vnd=700_000) as sim:
        adapter = bank_adapter(sim)
        closed = open_account(sim, 1, closed=True)
        results = adapter.send(
            [pay("K-1", closed), pay("K-2", open_account(sim, 2)), pay("K-3", open_account(sim, 3))]
        )
        assert [r.reason for r in results] == [ReasonCode.AC04, None, ReasonCode.AM04]
        assert adapter.lookup_name(closed).reason is ReasonCode.AC04


def test_a_timeout_after_credit_is_unknown_then_resolved_by_status_without_a_second_credit():
    with BankSimulator(faults=Faults(timeout_after_credit=1.0, hang_seconds=1.5)) as sim:
        adapter = bank_adapter(sim)
        account = open_account(sim, 1)
        assert [r.status for r in adapter.send([pay("K-1", account), pay("K-2", account)])] == [
            PayoutStatus.UNKNOWN,
            PayoutStatus.UNKNOWN,
        ]
        assert adapter.status("K-1").status is PayoutStatus.SETTLED
        assert adapter.send([pay("K-1", account)])[0].status is PayoutStatus.SETTLED
        assert sim.credits() == {"K-1": 1, "K-2": 1}


def test_server_errors_leave_transfers_in_doubt_and_reads_unavailable_with_nothing_credited():
    with BankSimulator(faults=Faults(server_errors=1.0)) as sim:
        adapter = bank_adapter(sim)
        account = open_account(sim, 1)
        [result] = adapter.send([pay("K-1", account)])
        assert (result.status, result.reason_text) == (PayoutStatus.UNKNOWN, "bank error 503")
        with pytest.raises(AdapterUnavailable):
            adapter.status("K-1")
        sim.set_faults(Faults())
        assert adapter.status("K-1").status is PayoutStatus.NOT_FOUND
        assert adapter.send([pay("K-1", account)])[0].status is PayoutStatus.SETTLED
        assert sim.credits() == {"K-1": 1}


def test_a_return_after_settlement_shows_in_status_and_as_a_credit_on_the_statement():
    with BankSimulator(faults=Faults(return_after_settlement=1.0)) as sim:
        adapter = bank_adapter(sim)
        account = open_account(sim, 1)
        assert adapter.send([pay("K-1", account)])[0].status is PayoutStatus.SETTLED
        status = adapter.status("K-1")
        assert (status.status, status.reason) == (PayoutStatus.RETURNED, ReasonCode.AC04)
        assert adapter.send([pay("K-1", account)])[0].status is PayoutStatus.UNKNOWN
        entries = adapter.fetch_statement(TODAY()).entries
        assert [(e.direction, e.end_to_end_id, e.reason) for e in entries] == [
            (Direction.DEBIT, "K-1", None),
            (Direction.CREDIT, "K-1", ReasonCode.AC04),
        ]
        assert sim.credits() == {"K-1": 1}


def test_a_statement_amount_that_differs_still_balances():
    with BankSimulator(faults=Faults(statement_amount_differs=1.0, statement_delta_vnd=1_000)) as sim:
        adapter = bank_adapter(sim)
        adapter.send([pay("K-1", open_account(sim, 1), 500_000)])
        statement = adapter.fetch_statement(TODAY())
        assert [e.amount_vnd for e in statement.entries] == [501_000]
        assert statement.is_balanced
        assert adapter.status("K-1").amount_vnd == 500_000


def test_bad_response_signatures_are_refused_for_every_call():
    with BankSimulator(faults=Faults(bad_signatures=1.0)) as sim:
        adapter = bank_adapter(sim)
        account = open_account(sim, 1)
        for call in (
            lambda: adapter.send([pay("K-1", account)]),
            lambda: adapter.status("K-1"),
            lambda: adapter.fetch_statement(TODAY()),
            lambda: adapter.lookup_name(account),
        ):
            with pytest.raises(AdapterProtocolError, match="signature"):
                call()


def test_a_bank_that_is_down_is_unavailable_and_nothing_was_sent():
    sim = BankSimulator()
    with sim:
        adapter = bank_adapter(sim)
        account = open_account(sim, 1)
    with pytest.raises(AdapterUnavailable):
        adapter.send([pay("K-1", account)])
    assert sim.credits() == {}


def test_a_request_signed_with_a_key_the_bank_does_not_know_is_a_configuration_error():
    with BankSimulator() as sim:
        unregistered_key, _ = signing.new_key_pair()
        stranger = bank_adapter(sim, private_key=unregistered_key)
        with pytest.raises(AdapterConfigError, match="refused our signature"):
            stranger.send([pay("K-1", open_account(sim, 1))])
        assert sim.credits() == {}


def test_a_request_from_a_clock_outside_the_banks_window_is_refused():
    skewed = AdapterServices(clock=lambda: datetime.now(UTC) - timedelta(minutes=10))
    with BankSimulator() as sim:
        with pytest.raises(AdapterConfigError, match="refused"):
            bank_adapter(sim, services=skewed).status("K-1")
        assert bank_adapter(sim).status("K-1").status is PayoutStatus.NOT_FOUND


def test_a_key_reused_for_a_different_payout_is_unknown_and_not_credited_again():
    with BankSimulator() as sim:
        adapter = bank_adapter(sim)
        account = open_account(sim, 1)
        adapter.send([pay("K-1", account, 500_000)])
        [result] = adapter.send([pay("K-1", account, 900_000)])
        assert result.status is PayoutStatus.UNKNOWN
        assert adapter.status("K-1").amount_vnd == 500_000
        assert sim.credits() == {"K-1": 1}


def test_two_bank_instances_keep_their_own_keys_and_accounts():
    with BankSimulator() as vcb, BankSimulator(debit_account="1200000001") as bidv:
        to_vcb, to_bidv = bank_adapter(vcb, "vcb"), bank_adapter(bidv, "bidv")
        to_vcb.send([pay("K-1", open_account(vcb, 1))])
        to_bidv.send([pay("K-2", open_account(bidv, 2))])
        assert (vcb.credits(), bidv.credits()) == ({"K-1": 1}, {"K-2": 1})
        assert to_bidv.fetch_statement(TODAY()).account_id == "1200000001"


def test_the_inspection_endpoint_reports_credits_per_key_and_accepts_accounts():
    with BankSimulator() as sim:
        added = urllib.request.Request(
            f"{sim.url}/_sim/accounts",
            json.dumps(
                {"bin": "970436", "account_number": "0071009900001", "holder_name": "NGUYEN THI DAO"}
            ).encode(),
            method="POST",
        )
        with urllib.request.urlopen(added) as answer:
            assert answer.status == 201
        account = BankAccount(bin="970436", account_number="0071009900001")
        bank_adapter(sim).send([pay("K-1", account)])
        with urllib.request.urlopen(f"{sim.url}/_sim/credits") as answer:
            assert json.loads(answer.read())["credits"] == {"K-1": 1}
