"""Each fault of the post office simulator, seen through the vnpost adapter."""

import logging
from datetime import UTC, datetime

import pytest

from payments.adapters.errors import AdapterProtocolError, AdapterUnavailable
from payments.adapters.simkit import Faults
from payments.adapters.vnpost.simulator import VnpostSimulator
from payments.adapters.vocabulary import PayoutStatus, ReasonCode
from tests.integration.adapters.support import cash_adapter, pay, pickup


def today():
    return datetime.now(UTC).date()


def events(adapter, sim, count):
    return [adapter.parse_callback(d.headers, d.body) for d in sim.wait_for_deliveries(count)]


@pytest.mark.parametrize(
    ("fault", "reason"),
    [("reject_wrong_account", ReasonCode.AC01), ("reject_insufficient_funds", ReasonCode.AM04)],
)
def test_refusal_faults_answer_at_once_with_their_reason_and_pay_nothing(fault, reason):
    with VnpostSimulator(faults=Faults(**{fault: 1.0})) as sim:
        [result] = cash_adapter(sim).send([pay("K-1", pickup(1))])
        assert (result.status, result.reason) == (PayoutStatus.REJECTED, reason)
        assert sim.credits() == {}
        assert sim.wait_for_deliveries(1, timeout=0.2) == []


def test_cash_promised_to_waiting_orders_counts_against_the_balance():
    with VnpostSimulator(opening_balance_vnd=800_000, default_outcome="uncollected") as sim:
        results = cash_adapter(sim).send([pay("K-1", pickup(1), 500_000), pay("K-2", pickup(2), 500_000)])
        assert [(r.status, r.reason) for r in results] == [
            (PayoutStatus.ACCEPTED, None),
            (PayoutStatus.REJECTED, ReasonCode.AM04),
        ]


def test_a_timeout_after_the_cash_was_handed_over_is_unknown_and_a_resend_pays_nothing_more():
    with VnpostSimulator(faults=Faults(timeout_after_credit=1.0, hang_seconds=1.5)) as sim:
        adapter = cash_adapter(sim)
        assert adapter.send([pay("K-1", pickup(1))])[0].status is PayoutStatus.UNKNOWN
        assert adapter.status("K-1").status is PayoutStatus.SETTLED
        assert adapter.send([pay("K-1", pickup(1))])[0].status is PayoutStatus.SETTLED
        assert sim.credits() == {"K-1": 1}


def test_server_errors_leave_orders_in_doubt_and_reads_unavailable():
    with VnpostSimulator(faults=Faults(server_errors=1.0)) as sim:
        adapter = cash_adapter(sim)
        results = adapter.send([pay("K-1", pickup(1)), pay("K-2", pickup(2))])
        assert [r.status for r in results] == [PayoutStatus.UNKNOWN, PayoutStatus.UNKNOWN]
        with pytest.raises(AdapterUnavailable):
            adapter.status("K-1")
        with pytest.raises(AdapterUnavailable):
            adapter.fetch_statement(today())
        assert sim.credits() == {}


def test_duplicate_callbacks_carry_the_same_event_id_with_fresh_nonces():
    with VnpostSimulator(faults=Faults(duplicate_callbacks=1.0), default_outcome="uncollected") as sim:
        adapter = cash_adapter(sim)
        adapter.send([pay("K-1", pickup(1))])
        sim.close_pickup_window()
        first, second = events(adapter, sim, 2)
        assert first.event_id == second.event_id
        assert (first.status, first.reason) == (PayoutStatus.RETURNED, ReasonCode.NOAS)
        assert len({d.headers["X-Nonce"] for d in sim.deliveries}) == 2


def test_late_callbacks_arrive_after_the_delay_and_still_verify():
    with VnpostSimulator(faults=Faults(late_callbacks=1.0, late_callback_seconds=0.6)) as sim:
        adapter = cash_adapter(sim)
        adapter.send([pay("K-1", pickup(1))])
        assert adapter.status("K-1").status is PayoutStatus.SETTLED
        assert sim.wait_for_deliveries(1, timeout=0.2) == []
        [event] = events(adapter, sim, 1)
        assert event.status is PayoutStatus.SETTLED


def test_a_statement_amount_that_differs_still_balances():
    with VnpostSimulator(faults=Faults(statement_amount_differs=1.0, statement_delta_vnd=2_000)) as sim:
        adapter = cash_adapter(sim)
        adapter.send([pay("K-1", pickup(1), 300_000)])
        statement = adapter.fetch_statement(today())
        assert [(e.end_to_end_id, e.amount_vnd) for e in statement.entries] == [("K-1", 302_000)]
        assert statement.is_balanced


def test_bad_response_signatures_are_refused():
    with VnpostSimulator(faults=Faults(bad_signatures=1.0)) as sim:
        adapter = cash_adapter(sim)
        for call in (
            lambda: adapter.send([pay("K-1", pickup(1))]),
            lambda: adapter.status("K-1"),
            lambda: adapter.fetch_statement(today()),
        ):
            with pytest.raises(AdapterProtocolError, match="signature"):
                call()


@pytest.mark.parametrize("fault", ["reject_closed", "return_after_settlement"])
def test_faults_that_cannot_happen_to_cash_are_refused(fault):
    with pytest.raises(ValueError, match=fault):
        VnpostSimulator(faults=Faults(**{fault: 0.1}))
    with VnpostSimulator() as sim, pytest.raises(ValueError, match=fault):
        sim.set_faults(Faults(**{fault: 0.1}))


def test_a_post_office_that_is_down_is_unavailable_and_nothing_was_sent():
    sim = VnpostSimulator()
    with sim:
        adapter = cash_adapter(sim)
    with pytest.raises(AdapterUnavailable):
        adapter.send([pay("K-1", pickup(1)), pay("K-2", pickup(2))])
    assert sim.credits() == {}


def test_logs_show_citizen_ids_masked_only(caplog):
    caplog.set_level(logging.DEBUG)
    with VnpostSimulator(
        faults=Faults(timeout_after_credit=1.0, hang_seconds=1.0), unserved_communes={"99999"}
    ) as sim:
        adapter = cash_adapter(sim)
        refused, slow = pickup(7, commune_code="99999"), pickup(8)
        adapter.send([pay("K-1", refused), pay("K-2", slow)])
    lines = [record.getMessage() for record in caplog.records]
    assert any("cash/99999/*********007" in line for line in lines)
    assert any("in doubt" in line for line in lines)
    for line in lines:
        assert refused.citizen_id not in line
        assert slow.citizen_id not in line
