"""The post office simulator through the vnpost adapter: cash collected or left uncollected,
statements that debit on the collection day, never paying a key twice, signed callbacks."""

import json
import threading
import time
import urllib.request
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from payments.adapters.base import AdapterServices
from payments.adapters.errors import CallbackRejected
from payments.adapters.replay import InMemoryNonceStore
from payments.adapters.vnpost.pickups import PickupPlan
from payments.adapters.vnpost.simulator import VnpostSimulator
from payments.adapters.vnpost.window import PickupWindowCloser
from payments.adapters.vocabulary import Direction, PayoutStatus, ReasonCode
from tests.integration.adapters.support import cash_adapter, pay, pickup


class Clock:
    """A clock shared by the simulator and the adapter, moved by hand across days."""

    def __init__(self) -> None:
        self.now = datetime(2025, 3, 10, 3, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def today() -> date:
    return datetime.now(UTC).date()


def events(adapter, sim, count):
    return [adapter.parse_callback(d.headers, d.body) for d in sim.wait_for_deliveries(count)]


def admin(sim, method: str, path: str, payload=None):
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(
        f"{sim.url}{path}", data, {"Content-Type": "application/json"}, method=method
    )
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def test_cash_collected_at_once_is_accepted_then_settled_by_a_paid_callback():
    with VnpostSimulator() as sim:
        adapter = cash_adapter(sim)
        [result] = adapter.send([pay("K-1", pickup(1), 250_000)])
        assert result.status is PayoutStatus.ACCEPTED
        [event] = events(adapter, sim, 1)
        assert (event.payout_key, event.status, event.amount_vnd) == ("K-1", PayoutStatus.SETTLED, 250_000)
        assert event.provider_reference == result.provider_reference
        assert adapter.status("K-1").status is PayoutStatus.SETTLED
        assert sim.credits() == {"K-1": 1}


def test_uncollected_cash_waits_until_the_window_closes_then_is_returned_noas_without_a_debit():
    with VnpostSimulator(opening_balance_vnd=5_000_000) as sim:
        adapter = cash_adapter(sim)
        sim.script_citizen(pickup(2).citizen_id, "uncollected")
        adapter.send([pay("K-1", pickup(1)), pay("K-2", pickup(2), 300_000)])
        assert adapter.status("K-2").status is PayoutStatus.ACCEPTED
        assert sim.close_pickup_window() == ["K-2"]
        status = adapter.status("K-2")
        assert (status.status, status.reason) == (PayoutStatus.RETURNED, ReasonCode.NOAS)
        expired = [e for e in events(adapter, sim, 2) if e.payout_key == "K-2"]
        assert [(e.status, e.reason, e.amount_vnd) for e in expired] == [
            (PayoutStatus.RETURNED, ReasonCode.NOAS, 300_000)
        ]
        assert sim.collect("K-2") is False  # too late: the cash went back
        statement = adapter.fetch_statement(today())
        assert [e.end_to_end_id for e in statement.entries] == ["K-1"]
        assert statement.closing_balance_vnd == 5_000_000 - 500_000
        assert sim.credits() == {"K-1": 1}


def test_cash_collected_days_later_is_debited_on_the_collection_day_and_balances_carry_over():
    clock = Clock()
    services = AdapterServices(clock=clock, nonce_store=lambda _name: InMemoryNonceStore(clock))
    with VnpostSimulator(clock=clock, default_outcome="uncollected", opening_balance_vnd=2_000_000) as sim:
        adapter = cash_adapter(sim, services=services)
        adapter.send([pay("K-1", pickup(1), 400_000), pay("K-2", pickup(2), 700_000)])
        first_day = clock.now.date()
        assert sim.collect("K-1")
        clock.now += timedelta(days=2)
        assert sim.collect("K-2")
        day_one = adapter.fetch_statement(first_day)
        day_three = adapter.fetch_statement(clock.now.date())
        assert [(e.end_to_end_id, e.amount_vnd, e.direction) for e in day_one.entries] == [
            ("K-1", 400_000, Direction.DEBIT)
        ]
        assert [(e.end_to_end_id, e.booking_date) for e in day_three.entries] == [("K-2", clock.now.date())]
        assert (day_one.opening_balance_vnd, day_one.closing_balance_vnd) == (2_000_000, 1_600_000)
        assert (day_three.opening_balance_vnd, day_three.closing_balance_vnd) == (1_600_000, 900_000)
        assert day_one.is_balanced
        assert day_three.is_balanced
        quiet_day = adapter.fetch_statement(first_day + timedelta(days=1))
        assert (quiet_day.entries, quiet_day.opening_balance_vnd) == ((), 1_600_000)


def test_a_key_script_wins_over_a_citizen_script_and_a_refusal_carries_its_reason():
    with VnpostSimulator() as sim:
        adapter = cash_adapter(sim)
        blocked = pickup(3)
        sim.script_citizen(blocked.citizen_id, "reject")
        sim.script_key("K-2", "collect")
        first, second = adapter.send([pay("K-1", blocked), pay("K-2", blocked)])
        assert (first.status, first.reason) == (PayoutStatus.REJECTED, ReasonCode.AG01)
        assert first.reason_text
        assert second.status is PayoutStatus.ACCEPTED
        assert sim.credits() == {"K-2": 1}


def test_an_unserved_commune_is_refused_ac01_with_a_reason_text():
    with VnpostSimulator(unserved_communes={"99999"}) as sim:
        [result] = cash_adapter(sim).send([pay("K-1", pickup(1, commune_code="99999"))])
        assert (result.status, result.reason) == (PayoutStatus.REJECTED, ReasonCode.AC01)
        assert "commune" in result.reason_text
        assert sim.credits() == {}


def test_the_uncollected_share_is_seeded_per_payout_key_whatever_the_order():
    keys = [f"P-2025-03-{n:06d}" for n in range(400)]
    plan = PickupPlan(seed=11, uncollected_rate=0.05)
    again = PickupPlan(seed=11, uncollected_rate=0.05)
    other_seed = PickupPlan(seed=12, uncollected_rate=0.05)
    left = {k for k in keys if plan.for_order(k, "001190000001").outcome == "uncollected"}
    assert left == {k for k in reversed(keys) if again.for_order(k, "001190000001").outcome == "uncollected"}
    assert left != {k for k in keys if other_seed.for_order(k, "001190000001").outcome == "uncollected"}
    assert 5 <= len(left) <= 40  # about 5 % of 400


def test_an_uncollected_rate_of_one_leaves_every_order_waiting():
    with VnpostSimulator(uncollected_rate=1.0) as sim:
        cash_adapter(sim).send([pay("K-1", pickup(1)), pay("K-2", pickup(2))])
        assert sim.awaiting_pickup() == ["K-1", "K-2"]
        assert sim.credits() == {}


def test_resending_a_key_never_pays_twice_whether_waiting_collected_or_expired():
    with VnpostSimulator(default_outcome="uncollected") as sim:
        adapter = cash_adapter(sim)
        chunk = [pay("K-1", pickup(1)), pay("K-2", pickup(2))]
        first = adapter.send(chunk)
        threads = [threading.Thread(target=adapter.send, args=(chunk,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        sim.collect("K-1")
        sim.close_pickup_window()
        again = adapter.send(chunk)
        assert [r.provider_reference for r in again] == [r.provider_reference for r in first[:1]] + [None]
        assert [r.status for r in again] == [PayoutStatus.SETTLED, PayoutStatus.UNKNOWN]
        assert again[1].reason_text == "already returned"
        assert sim.collect("K-1") is False
        assert sim.credits() == {"K-1": 1}


def test_a_key_reused_for_another_order_is_in_doubt_and_the_first_order_stands():
    with VnpostSimulator() as sim:
        adapter = cash_adapter(sim)
        adapter.send([pay("K-1", pickup(1), 500_000)])
        [reused] = adapter.send([pay("K-1", pickup(1), 900_000)])
        assert reused.status is PayoutStatus.UNKNOWN
        assert adapter.status("K-1").amount_vnd == 500_000
        assert sim.credits() == {"K-1": 1}


def test_a_forged_or_wrongly_keyed_callback_is_refused():
    with VnpostSimulator() as sim:
        adapter = cash_adapter(sim)
        adapter.send([pay("K-1", pickup(1), 320_000)])
        [delivery] = sim.wait_for_deliveries(1)
        with pytest.raises(CallbackRejected, match="signature"):
            adapter.parse_callback(delivery.headers, delivery.body.replace(b"320000", b"990000"))
        stranger = cash_adapter(sim, name="other", secret="another-secret-of-32-characters!")
        with pytest.raises(CallbackRejected, match="signature"):
            stranger.parse_callback(delivery.headers, delivery.body)
        assert adapter.parse_callback(delivery.headers, delivery.body).status is PayoutStatus.SETTLED


def test_callbacks_including_expiries_are_posted_to_the_configured_url():
    received: list[tuple[dict[str, str], bytes]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(
                (dict(self.headers.items()), self.rfile.read(int(self.headers["Content-Length"])))
            )
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/callbacks/vnpost"
        with VnpostSimulator(callback_url=url, default_outcome="uncollected") as sim:
            adapter = cash_adapter(sim)
            adapter.send([pay("K-1", pickup(1))])
            sim.close_pickup_window()
            deadline = time.monotonic() + 3
            while not received and time.monotonic() < deadline:
                time.sleep(0.02)
            [(headers, body)] = received
            event = adapter.parse_callback(headers, body)
            assert (event.payout_key, event.status, event.reason) == (
                "K-1",
                PayoutStatus.RETURNED,
                ReasonCode.NOAS,
            )
    finally:
        server.shutdown()
        server.server_close()


def test_the_admin_endpoints_script_collect_and_close_the_window():
    with VnpostSimulator(default_outcome="uncollected") as sim:
        adapter = cash_adapter(sim)
        assert admin(sim, "POST", "/_sim/scripts", {"payout_key": "K-3", "outcome": "reject"})[0] == 201
        assert admin(sim, "POST", "/_sim/scripts", {"outcome": "collect"})[0] == 400
        assert admin(sim, "POST", "/_sim/scripts", {"payout_key": "K-9", "outcome": "vanish"})[0] == 400
        results = adapter.send([pay("K-1", pickup(1)), pay("K-2", pickup(2)), pay("K-3", pickup(3))])
        assert [r.status for r in results] == [PayoutStatus.ACCEPTED] * 2 + [PayoutStatus.REJECTED]
        assert admin(sim, "GET", "/_sim/awaiting") == (200, {"awaiting": ["K-1", "K-2"]})
        assert admin(sim, "POST", "/_sim/collect/K-1") == (200, {"collected": True})
        assert admin(sim, "POST", "/_sim/collect/K-1") == (409, {"collected": False})
        assert admin(sim, "POST", "/_sim/close-window") == (200, {"expired": ["K-2"]})
        assert admin(sim, "GET", "/_sim/credits")[1]["credits"] == {"K-1": 1}
        assert adapter.status("K-2").reason is ReasonCode.NOAS


def test_closing_the_window_for_old_orders_only_returns_cash_waiting_longer_than_the_window():
    clock = Clock()
    services = AdapterServices(clock=clock, nonce_store=lambda _name: InMemoryNonceStore(clock))
    with VnpostSimulator(clock=clock, default_outcome="uncollected") as sim:
        adapter = cash_adapter(sim, services=services)
        adapter.send([pay("K-OLD", pickup(1))])
        clock.now += timedelta(minutes=20)
        adapter.send([pay("K-NEW", pickup(2))])
        clock.now += timedelta(minutes=15)
        assert sim.close_pickup_window(older_than=timedelta(minutes=30)) == ["K-OLD"]
        assert sim.awaiting_pickup() == ["K-NEW"]
        status = adapter.status("K-OLD")
        assert (status.status, status.reason) == (PayoutStatus.RETURNED, ReasonCode.NOAS)
        assert adapter.status("K-NEW").status is PayoutStatus.ACCEPTED
        assert sim.credits() == {}


def test_a_running_post_office_closes_its_pickup_window_by_itself():
    with VnpostSimulator(default_outcome="uncollected") as sim:
        adapter = cash_adapter(sim)
        adapter.send([pay("K-1", pickup(1))])
        with PickupWindowCloser(sim, timedelta(milliseconds=100), every_seconds=0.05):
            deadline = time.monotonic() + 5
            while sim.awaiting_pickup() and time.monotonic() < deadline:
                time.sleep(0.02)
        status = adapter.status("K-1")
        assert (status.status, status.reason) == (PayoutStatus.RETURNED, ReasonCode.NOAS)
        [event] = [e for e in events(adapter, sim, 1) if e.payout_key == "K-1"]
        assert (event.status, event.reason) == (PayoutStatus.RETURNED, ReasonCode.NOAS)
