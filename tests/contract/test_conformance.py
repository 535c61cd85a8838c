"""Every registered adapter kind, against its simulator, keeps the adapter protocol's promises."""

import dataclasses
import threading

import pytest

from payments.adapters.base import PayoutAdapter
from payments.adapters.errors import AdapterProtocolError, AdapterUnsupported, CallbackRejected
from payments.adapters.registry import discover
from payments.adapters.vocabulary import Capability, Direction, PayoutStatus, ReasonCode
from tests.contract.harnesses import (
    CREDITOR_KINDS,
    HARNESSES,
    Scenario,
    creditor_kinds,
    kinds_with,
    payout,
    stranger,
)

ALL = kinds_with()
IN_FLIGHT_OR_DONE = {PayoutStatus.ACCEPTED, PayoutStatus.SETTLED}


def each(*capabilities: str, scenario: Scenario | None = None):
    return pytest.mark.parametrize("harness", kinds_with(*capabilities, scenario=scenario), indirect=True)


def each_creditor_kind(*, declared: bool):
    """(adapter kind, creditor kind) pairs: the kinds of creditor it declares it pays, or not."""
    pairs = [
        pytest.param(kind, creditor_kind, id=f"{kind}-{creditor_kind}")
        for kind in kinds_with("send")
        for creditor_kind in CREDITOR_KINDS
        if (creditor_kind in creditor_kinds(kind)) == declared
    ]
    return pytest.mark.parametrize(("harness", "creditor_kind"), pairs, indirect=["harness"])


def lookup_kind(request: pytest.FixtureRequest) -> str:
    """A kind of creditor with a holder to look up (cash is checked at the counter)."""
    declared = creditor_kinds(request.node.callspec.params["harness"])
    return next(c for c in declared if c != Capability.CASH)


def test_every_installed_adapter_kind_has_a_conformance_harness():
    assert set(discover()) <= set(HARNESSES)


@each()
def test_adapter_is_a_payout_adapter_with_the_capabilities_its_harness_expects(harness, request):
    kind = request.node.callspec.params["harness"]
    assert isinstance(harness.adapter, PayoutAdapter)
    assert set(harness.adapter.capabilities) == HARNESSES[kind].CAPABILITIES


@each("send", "status")
def test_sent_payouts_are_reported_by_status_with_the_same_reference(harness):
    chunk = [payout("RT-1", harness.payee(0)), payout("RT-2", harness.payee(1), 750_000)]
    results = harness.adapter.send(chunk)
    assert [r.payout_key for r in results] == ["RT-1", "RT-2"]
    assert {r.status for r in results} <= IN_FLIGHT_OR_DONE
    for result in results:
        status = harness.adapter.status(result.payout_key)
        assert status.status in IN_FLIGHT_OR_DONE
        assert status.provider_reference == result.provider_reference


@each()
def test_every_adapter_pays_at_least_one_kind_of_creditor(harness, request):
    assert creditor_kinds(request.node.callspec.params["harness"])


@each_creditor_kind(declared=True)
def test_each_kind_of_creditor_it_declares_is_paid_once_and_booked(harness, creditor_kind):
    [result] = harness.adapter.send([payout("KIND-1", harness.payee(3, creditor_kind), 430_000)])
    assert result.status in IN_FLIGHT_OR_DONE
    harness.settle_all()
    assert harness.credits() == {"KIND-1": 1}
    if "status" in harness.adapter.capabilities:
        assert harness.adapter.status("KIND-1").status is PayoutStatus.SETTLED
    if "statement" in harness.adapter.capabilities:
        statement = harness.adapter.fetch_statement(harness.statement_day())
        assert [(e.end_to_end_id, e.amount_vnd, e.direction) for e in statement.entries] == [
            ("KIND-1", 430_000, Direction.DEBIT)
        ]


@each_creditor_kind(declared=False)
def test_a_kind_of_creditor_it_does_not_declare_is_refused_before_anything_is_sent(harness, creditor_kind):
    chunk = [payout("PAYABLE-1", harness.payee(0)), payout("ALIEN-1", stranger(creditor_kind))]
    with pytest.raises(AdapterUnsupported):
        harness.adapter.send(chunk)
    harness.settle_all()
    assert harness.credits() == {}
    if "status" in harness.adapter.capabilities:
        assert harness.adapter.status("PAYABLE-1").status is PayoutStatus.NOT_FOUND


@each("send", "status")
def test_status_of_a_key_never_sent_is_not_found(harness):
    assert harness.adapter.status("NEVER-SENT-1").status is PayoutStatus.NOT_FOUND


@each("send")
def test_an_empty_chunk_sends_nothing(harness):
    assert harness.adapter.send([]) == []
    assert harness.credits() == {}


@each("send", scenario=Scenario.WRONG_ACCOUNT)
def test_a_wrong_account_is_rejected_with_ac01_and_not_credited(harness):
    [result] = harness.adapter.send([payout("WRONG-1", harness.wrong_payee())])
    assert result.status is PayoutStatus.REJECTED
    assert result.reason is ReasonCode.AC01
    assert harness.credits().get("WRONG-1", 0) == 0


@each("send")
def test_an_identical_resend_credits_once(harness):
    chunk = [payout("ONCE-1", harness.payee(0)), payout("ONCE-2", harness.payee(1))]
    first = harness.adapter.send(chunk)
    again = harness.adapter.send(chunk)
    assert [r.provider_reference for r in again] == [r.provider_reference for r in first]
    assert harness.credits() == {"ONCE-1": 1, "ONCE-2": 1}


@each("send")
def test_concurrent_resends_of_one_payout_credit_once(harness):
    chunk = [payout("RACE-1", harness.payee(2))]
    threads = [threading.Thread(target=harness.adapter.send, args=(chunk,)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert harness.credits() == {"RACE-1": 1}


@each("send", "status", scenario=Scenario.TIMEOUT)
def test_a_timeout_after_the_credit_gives_unknown_and_status_resolves_it(harness):
    harness.arm_timeout("SLOW-1")
    [result] = harness.adapter.send([payout("SLOW-1", harness.payee(0))])
    assert result.status is PayoutStatus.UNKNOWN
    assert harness.credits() == {"SLOW-1": 1}
    assert harness.adapter.status("SLOW-1").status in IN_FLIGHT_OR_DONE
    harness.adapter.send([payout("SLOW-1", harness.payee(0))])
    assert harness.credits() == {"SLOW-1": 1}


@each("send", "callbacks")
def test_a_callback_round_trips_to_a_settled_event(harness):
    harness.adapter.send([payout("CB-1", harness.payee(1), 320_000)])
    harness.settle_all()
    [(headers, body), *_] = harness.callbacks("CB-1", 1)
    event = harness.adapter.parse_callback(headers, body)
    assert (event.payout_key, event.status, event.amount_vnd) == ("CB-1", PayoutStatus.SETTLED, 320_000)
    assert event.occurred_at.tzinfo is not None


@each("send", "callbacks")
def test_a_forged_callback_is_refused(harness):
    harness.adapter.send([payout("FORGE-1", harness.payee(1), 320_000)])
    harness.settle_all()
    [(headers, body), *_] = harness.callbacks("FORGE-1", 1)
    with pytest.raises(CallbackRejected):
        harness.adapter.parse_callback(headers, body.replace(b"320000", b"990000"))
    bad_signature = {**headers, "X-Signature": "0" * 64}
    with pytest.raises(CallbackRejected):
        harness.adapter.parse_callback(bad_signature, body)
    assert harness.adapter.parse_callback(headers, body).payout_key == "FORGE-1"


@each("send", "callbacks")
def test_a_replayed_callback_is_refused(harness):
    harness.adapter.send([payout("REPLAY-1", harness.payee(1))])
    harness.settle_all()
    [(headers, body), *_] = harness.callbacks("REPLAY-1", 1)
    harness.adapter.parse_callback(headers, body)
    with pytest.raises(CallbackRejected):
        harness.adapter.parse_callback(headers, body)


@each("send", "statement")
def test_the_statement_books_each_sent_payout_once_and_balances(harness):
    harness.adapter.send([payout("ST-1", harness.payee(0), 410_000), payout("ST-2", harness.payee(1))])
    harness.settle_all()
    statement = harness.adapter.fetch_statement(harness.statement_day())
    debits = [e for e in statement.entries if e.direction is Direction.DEBIT]
    assert sorted((e.end_to_end_id, e.amount_vnd) for e in debits) == [("ST-1", 410_000), ("ST-2", 500_000)]
    assert statement.is_balanced
    assert statement.closing_balance_vnd == statement.opening_balance_vnd - 910_000


@each("name_lookup")
def test_name_lookup_reports_the_holder_name_that_matches_ours(harness, request):
    payee = harness.payee(0, lookup_kind(request))
    found = harness.adapter.lookup_name(payee.creditor)
    assert found.found
    assert found.matches(payee.name)
    assert not found.matches("Nguyễn Thị Đàm")


@each("name_lookup", scenario=Scenario.WRONG_ACCOUNT)
def test_name_lookup_of_an_unknown_account_finds_nobody(harness):
    result = harness.adapter.lookup_name(harness.wrong_payee().creditor)
    assert not result.found
    assert result.reason is ReasonCode.AC01
    assert not result.matches("Không Ai")


@each("send", "signed_responses", scenario=Scenario.TAMPER_RESPONSES)
def test_a_response_with_a_bad_signature_is_refused(harness):
    payee = harness.payee(0)
    harness.tamper_responses()
    with pytest.raises(AdapterProtocolError):
        harness.adapter.send([payout("SIG-1", payee)])
    with pytest.raises(AdapterProtocolError):
        harness.adapter.status("SIG-1")


@each("send")
def test_results_are_frozen_values(harness):
    [result] = harness.adapter.send([payout("FROZEN-1", harness.payee(0))])
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.status = PayoutStatus.REJECTED
