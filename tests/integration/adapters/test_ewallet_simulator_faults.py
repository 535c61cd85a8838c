"""Each fault of the e-wallet simulator, seen through the ewallet adapter."""

import json
import threading
import time
import urllib.request
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from payments.adapters.errors import AdapterProtocolError, AdapterUnavailable
from payments.adapters.ewallet.client import EwalletAdapter
from payments.adapters.ewallet.simulator import EwalletSimulator
from payments.adapters.replay import InMemoryNonceStore
from payments.adapters.simkit import Faults
from payments.adapters.transport import NothingSent, Transport
from payments.adapters.vocabulary import Direction, PayoutStatus, ReasonCode
from tests.integration.adapters.support import open_wallet, pay, wallet_adapter


def TODAY():
    return datetime.now(UTC).date()


def events(adapter, sim, count):
    return [adapter.parse_callback(d.headers, d.body) for d in sim.wait_for_deliveries(count)]


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("reject_closed", ReasonCode.AC04),
        ("reject_wrong_account", ReasonCode.AC01),
        ("reject_insufficient_funds", ReasonCode.AM04),
    ],
)
def test_reject_faults_fail_at_once_with_their_reason_and_no_callback(fault, reason):
    with EwalletSimulator(faults=Faults(**{fault: 1.0})) as sim:
        [result] = wallet_adapter(sim).send([pay("K-1", open_wallet(sim, 1))])
        assert (result.status, result.reason) == (PayoutStatus.REJECTED, reason)
        assert sim.credits() == {}
        assert sim.wait_for_deliveries(1, timeout=0.2) == []


def test_locked_and_unknown_wallets_are_rejected_and_looked_up_as_such():
    with EwalletSimulator() as sim:
        adapter = wallet_adapter(sim)
        locked = open_wallet(sim, 1, status="LOCKED")
        results = adapter.send([pay("K-1", locked), pay("K-2", open_wallet(sim, 2))])
        assert [r.reason for r in results] == [ReasonCode.AC06, None]
        assert adapter.lookup_name(locked).reason is ReasonCode.AC06


def test_a_payout_is_accepted_then_settled_by_callback():
    with EwalletSimulator() as sim:
        adapter = wallet_adapter(sim)
        [result] = adapter.send([pay("K-1", open_wallet(sim, 1), 250_000)])
        assert result.status is PayoutStatus.ACCEPTED
        [event] = events(adapter, sim, 1)
        assert (event.payout_key, event.status, event.amount_vnd) == ("K-1", PayoutStatus.SETTLED, 250_000)
        assert event.provider_reference == result.provider_reference


def test_a_timeout_after_credit_is_unknown_and_the_resend_credits_nothing_more():
    with EwalletSimulator(faults=Faults(timeout_after_credit=1.0, hang_seconds=1.5)) as sim:
        adapter = wallet_adapter(sim)
        wallet = open_wallet(sim, 1)
        assert adapter.send([pay("K-1", wallet)])[0].status is PayoutStatus.UNKNOWN
        assert adapter.status("K-1").status is PayoutStatus.SETTLED
        assert adapter.send([pay("K-1", wallet)])[0].status is PayoutStatus.SETTLED
        assert sim.credits() == {"K-1": 1}


def test_server_errors_leave_payouts_in_doubt_and_reads_unavailable():
    with EwalletSimulator(faults=Faults(server_errors=1.0)) as sim:
        adapter = wallet_adapter(sim)
        wallet = open_wallet(sim, 1)
        assert [r.status for r in adapter.send([pay("K-1", wallet), pay("K-2", wallet)])] == [
            PayoutStatus.UNKNOWN,
            PayoutStatus.UNKNOWN,
        ]
        with pytest.raises(AdapterUnavailable):
            adapter.fetch_statement(TODAY())
        assert sim.credits() == {}


def test_duplicate_callbacks_carry_the_same_event_id_with_fresh_nonces():
    with EwalletSimulator(faults=Faults(duplicate_callbacks=1.0)) as sim:
        adapter = wallet_adapter(sim)
        adapter.send([pay("K-1", open_wallet(sim, 1))])
        first, second = events(adapter, sim, 2)
        assert first.event_id == second.event_id
        nonces = {d.headers["X-Nonce"] for d in sim.deliveries}
        assert len(nonces) == 2
        assert sim.credits() == {"K-1": 1}


def test_late_callbacks_arrive_after_the_delay_and_still_verify():
    with EwalletSimulator(faults=Faults(late_callbacks=1.0, late_callback_seconds=0.6)) as sim:
        adapter = wallet_adapter(sim)
        adapter.send([pay("K-1", open_wallet(sim, 1))])
        assert adapter.status("K-1").status is PayoutStatus.SETTLED
        assert sim.wait_for_deliveries(1, timeout=0.2) == []
        [event] = events(adapter, sim, 1)
        assert event.status is PayoutStatus.SETTLED


def test_a_return_after_settlement_comes_as_a_refunded_callback_and_a_report_credit():
    with EwalletSimulator(faults=Faults(return_after_settlement=1.0)) as sim:
        adapter = wallet_adapter(sim)
        adapter.send([pay("K-1", open_wallet(sim, 1))])
        settled, returned = events(adapter, sim, 2)
        assert (settled.status, returned.status, returned.reason) == (
            PayoutStatus.SETTLED,
            PayoutStatus.RETURNED,
            ReasonCode.AC04,
        )
        assert adapter.status("K-1").status is PayoutStatus.RETURNED
        report = adapter.fetch_statement(TODAY())
        assert [(e.direction, e.reason) for e in report.entries] == [
            (Direction.DEBIT, None),
            (Direction.CREDIT, ReasonCode.AC04),
        ]
        assert report.is_balanced


def test_a_report_amount_that_differs_still_balances():
    with EwalletSimulator(faults=Faults(statement_amount_differs=1.0, statement_delta_vnd=2_000)) as sim:
        adapter = wallet_adapter(sim)
        adapter.send([pay("K-1", open_wallet(sim, 1), 300_000)])
        report = adapter.fetch_statement(TODAY())
        assert [(e.end_to_end_id, e.amount_vnd) for e in report.entries] == [("K-1", 302_000)]
        assert report.is_balanced


def test_bad_response_signatures_are_refused():
    with EwalletSimulator(faults=Faults(bad_signatures=1.0)) as sim:
        adapter = wallet_adapter(sim)
        wallet = open_wallet(sim, 1)
        for call in (
            lambda: adapter.send([pay("K-1", wallet)]),
            lambda: adapter.status("K-1"),
            lambda: adapter.fetch_statement(TODAY()),
            lambda: adapter.lookup_name(wallet),
        ):
            with pytest.raises(AdapterProtocolError, match="signature"):
                call()


def test_a_wallet_that_is_down_is_unavailable_and_nothing_was_sent():
    sim = EwalletSimulator()
    with sim:
        adapter = wallet_adapter(sim)
        wallet = open_wallet(sim, 1)
    with pytest.raises(AdapterUnavailable):
        adapter.send([pay("K-1", wallet), pay("K-2", wallet)])
    assert sim.credits() == {}


class GoesDownAfter(Transport):
    """A real transport that finds the wallet unreachable after `calls` exchanges."""

    def __init__(self, base_url: str, calls: int) -> None:
        super().__init__(base_url, read_timeout=1.0)
        self.calls = calls

    def exchange(self, method, path, headers, body=b""):
        if self.calls == 0:
            raise NothingSent("connection refused")
        self.calls -= 1
        return super().exchange(method, path, headers, body)


def test_a_wallet_that_goes_down_mid_chunk_leaves_the_unsent_rest_unknown():
    with EwalletSimulator() as sim:
        settings = sim.adapter_settings()
        adapter = EwalletAdapter(
            "momo",
            transport=GoesDownAfter(sim.url, calls=1),
            partner_code=settings["partner_code"],
            secret=settings["secret"].encode(),
            callback_secret=settings["secret"].encode(),
            nonce_store=InMemoryNonceStore(),
        )
        wallet = open_wallet(sim, 1)
        results = adapter.send([pay("K-1", wallet), pay("K-2", wallet), pay("K-3", wallet)])
        assert [r.status for r in results] == [
            PayoutStatus.ACCEPTED,
            PayoutStatus.UNKNOWN,
            PayoutStatus.UNKNOWN,
        ]
        assert results[1].reason_text == "not sent: wallet unreachable"
        assert sim.credits() == {"K-1": 1}


def test_callbacks_are_posted_to_the_configured_url():
    received: list[tuple[dict[str, str], bytes]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers.items()), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        with EwalletSimulator(callback_url=f"http://127.0.0.1:{server.server_address[1]}/cb") as sim:
            adapter = wallet_adapter(sim)
            adapter.send([pay("K-1", open_wallet(sim, 1))])
            deadline = time.monotonic() + 3
            while not received and time.monotonic() < deadline:
                time.sleep(0.02)
            headers, body = received[0]
            assert adapter.parse_callback(headers, body).payout_key == "K-1"
    finally:
        server.shutdown()
        server.server_close()


def test_the_inspection_endpoint_reports_credits_per_key():
    with EwalletSimulator() as sim:
        wallet_adapter(sim).send([pay("K-1", open_wallet(sim, 1))])
        with urllib.request.urlopen(f"{sim.url}/_sim/credits") as answer:
            assert json.loads(answer.read())["credits"] == {"K-1": 1}
