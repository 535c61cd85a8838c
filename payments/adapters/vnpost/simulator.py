"""A loopback post office paying cash at the counter: signed cash-order API, signed callbacks.

An order is answered AWAITING_PICKUP (or REFUSED). What happens next is scripted, per payout
key or per citizen ID, else decided by `uncollected_rate` (seeded, per payout key), else by the
default: `collect` (the beneficiary collects at once: PAID callback, a DBIT on today's
statement), `uncollected` (it waits until `close_pickup_window()`: EXPIRED with NOT_COLLECTED,
no DBIT) or `reject` (REFUSED with an error code). `collect(key)` hands one waiting order over
now. The same is reachable over HTTP under `/_sim/` for the CLI and the demo. Every callback is
recorded in `deliveries` and, when a `callback_url` is set, POSTed there.
"""

import json
import re
import secrets
import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from payments.adapters.ewallet.outbox import CallbackOutbox, Delivery
from payments.adapters.loopback import Answer, Request, json_answer
from payments.adapters.simkit import Faults, SimulatorBase, Transfer, fingerprint
from payments.adapters.vnpost.cashbook import AWAITING, REFUSED, CashBook
from payments.adapters.vnpost.pickups import BLOCKED, Pickup, PickupPlan, check_faults
from payments.adapters.vnpost.simwire import (
    authentic,
    order_json,
    signed_answer,
    signed_callback,
    statement_json,
)

_ORDER = re.compile(r"^/api/v1/cash-orders/([^/?]+)$")
_STATEMENT = re.compile(r"^/api/v1/statements/(\d{4}-\d{2}-\d{2})$")
_COLLECT = re.compile(r"^/_sim/collect/([^/?]+)$")


class VnpostSimulator(SimulatorBase):
    """`with VnpostSimulator(seed=1, uncollected_rate=0.05) as sim: sim.url`"""

    def __init__(
        self,
        *,
        seed: int = 0,
        faults: Faults | None = None,
        clock: Callable[[], datetime] | None = None,
        port: int = 0,
        opening_balance_vnd: int = 10_000_000_000_000,
        client_id: str = "PAYMENTS",
        secret: str | None = None,
        callback_url: str | None = None,
        window_seconds: int = 300,
        default_outcome: str = "collect",
        uncollected_rate: float = 0.0,
        unserved_communes: Iterable[str] = (),
    ) -> None:
        super().__init__(
            seed=seed,
            faults=check_faults(faults or Faults()),
            clock=clock,
            port=port,
            opening_balance_vnd=opening_balance_vnd,
        )
        self.book: CashBook = CashBook(opening_balance_vnd, self.clock)
        self.client_id = client_id
        self.secret = secret or secrets.token_hex(32)
        self.outbox = CallbackOutbox(self._sign_callback, self.clock, callback_url)
        self.plan = PickupPlan(seed, default_outcome, uncollected_rate)
        self.unserved_communes = set(unserved_communes)
        self._window = timedelta(seconds=window_seconds)

    # --- scripting and driving, for tests, the CLI and the demo ------------------------

    def script_key(self, payout_key: str, outcome: str, error_code: str = BLOCKED) -> None:
        """`collect`, `uncollected` or `reject` (with `error_code`) for this payout key."""
        self.plan.script_key(payout_key, Pickup(outcome, error_code))

    def script_citizen(self, citizen_id: str, outcome: str, error_code: str = BLOCKED) -> None:
        """The same for every order paid against this citizen ID (a key's script wins)."""
        self.plan.script_citizen(citizen_id, Pickup(outcome, error_code))

    def set_faults(self, faults: Faults) -> None:
        super().set_faults(check_faults(faults))

    def collect(self, payout_key: str) -> bool:
        """The beneficiary collects a waiting order now; False if it was not waiting."""
        with self.book.lock:
            transfer = self.book.collect(payout_key)
            if transfer is not None:
                self._announce(transfer)
            return transfer is not None

    def close_pickup_window(self, older_than: timedelta | None = None) -> list[str]:
        """Every order still waiting (only those waiting longer than `older_than`, if given)
        expires (NOAS, callbacks sent); returns their keys."""
        with self.book.lock:
            placed_before = None if older_than is None else self.clock() - older_than
            waiting = self.book.awaiting(placed_before)
            expired = [t for key in waiting if (t := self.book.expire(key)) is not None]
            for transfer in expired:
                self._announce(transfer)
            return [t.key for t in expired]

    def awaiting_pickup(self) -> list[str]:
        return self.book.awaiting()

    def adapter_settings(self, **extra: Any) -> dict[str, Any]:
        """Settings for a `vnpost` instance talking to this simulator."""
        return {
            "kind": "vnpost",
            "base_url": self.url,
            "client_id": self.client_id,
            "secret": self.secret,
            **extra,
        }

    @property
    def deliveries(self) -> list[Delivery]:
        """Every callback delivered so far, in order."""
        return list(self.outbox.deliveries)

    def wait_for_deliveries(self, count: int, timeout: float = 5.0) -> list[Delivery]:
        return self.outbox.wait_for(count, timeout)

    def __enter__(self) -> "VnpostSimulator":
        super().__enter__()
        self.outbox.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.outbox.close()
        super().__exit__(*exc)

    def inspect(self, request: Request) -> Answer:
        if request.method == "POST" and (match := _COLLECT.match(request.path)):
            collected = self.collect(unquote(match.group(1)))
            return json_answer(200 if collected else 409, {"collected": collected})
        if request.method == "POST" and request.path == "/_sim/close-window":
            return json_answer(200, {"expired": self.close_pickup_window()})
        if request.method == "GET" and request.path == "/_sim/awaiting":
            return json_answer(200, {"awaiting": self.awaiting_pickup()})
        if request.method == "POST" and request.path == "/_sim/scripts":
            return self._script(request.body)
        return super().inspect(request)

    def _script(self, body: bytes) -> Answer:
        try:
            self.plan.script(json.loads(body))
        except (ValueError, AttributeError) as exc:
            return json_answer(400, {"error": str(exc)})
        return json_answer(201, {"scripted": True})

    # --- the post office's API ---------------------------------------------------------

    def handle(self, request: Request) -> Answer:
        request_id = request.headers.get("x-request-id", "")
        if not authentic(request, self.client_id, self.secret, self.clock, self._window):
            return self._signed(request_id, 401, {"error": "BAD_SIGNATURE"})
        path = request.path.split("?", 1)[0]
        if request.method == "POST" and path == "/api/v1/cash-orders":
            try:
                return self._order(request_id, json.loads(request.body))
            except (ValueError, KeyError, TypeError):
                return self._signed(request_id, 400, {"error": "BAD_REQUEST"})
        if request.method == "GET" and (match := _ORDER.match(path)):
            return self._status(request_id, unquote(match.group(1)))
        if request.method == "GET" and (match := _STATEMENT.match(path)):
            return self._statement(request_id, date.fromisoformat(match.group(1)))
        return self._signed(request_id, 404, {"error": "NO_SUCH_ENDPOINT"})

    def _signed(self, request_id: str, status: int, payload: Any, delay: float = 0.0) -> Answer:
        stamp = str(int(self.clock().timestamp()))
        tampered = self.dice.hits("bad_signatures", request_id or uuid.uuid4().hex)
        return signed_answer(self.secret, request_id, status, payload, stamp, tampered=tampered, delay=delay)

    def _order(self, request_id: str, item: dict[str, Any]) -> Answer:
        key = str(item["order_ref"])
        print_ = fingerprint(key, item["amount"], item["commune_code"], item["id_number"])
        with self.book.lock:
            existing = self.book.transfers.get(key)
            if existing is not None:
                if existing.fingerprint != print_:
                    return self._signed(request_id, 409, {"error": "ORDER_REF_CONFLICT"})
                return self._signed(request_id, 200, self._wire(existing))
            pickup = self.plan.for_order(key, str(item["id_number"]))
            transfer = self.book.record(self._decide(key, item, print_, pickup))
            answer = self._wire(transfer)  # the state at acceptance, before any collection
            if transfer.status == AWAITING and pickup.outcome == "collect":
                self.collect(key)
        hang = transfer.status != REFUSED and self.dice.hits("timeout_after_credit", key)
        return self._signed(request_id, 200, answer, self.faults.hang_seconds if hang else 0.0)

    def _decide(self, key: str, item: dict[str, Any], print_: str, pickup: Pickup) -> Transfer:
        amount = int(item["amount"])
        error = self._refusal(key, str(item["commune_code"]), amount, pickup)
        differs = error is None and self.dice.hits("statement_amount_differs", key)
        return Transfer(
            key=key,
            tx_id=self.book.next_id("VNP"),
            amount_vnd=amount,
            destination=str(item["commune_code"]),
            fingerprint=print_,
            status=REFUSED if error else AWAITING,
            reason=error,
            booked_amount_vnd=amount + self.faults.statement_delta_vnd if differs else amount,
            created_at=self.clock(),
        )

    def _refusal(self, key: str, commune: str, amount: int, pickup: Pickup) -> str | None:
        if commune in self.unserved_communes or self.dice.hits("reject_wrong_account", key):
            return "UNKNOWN_COMMUNE"
        if pickup.outcome == "reject":
            return pickup.error_code
        if self.book.available_vnd() < amount or self.dice.hits("reject_insufficient_funds", key):
            return "INSUFFICIENT_FUNDS"
        return None

    def _wire(self, transfer: Transfer) -> dict[str, Any]:
        return order_json(transfer, self.clock())

    def _status(self, request_id: str, key: str) -> Answer:
        transfer = self.book.transfers.get(key)
        if transfer is None:
            return self._signed(request_id, 404, {"order_ref": key, "state": "NOT_FOUND"})
        return self._signed(request_id, 200, self._wire(transfer))

    def _statement(self, request_id: str, day: date) -> Answer:
        opening, closing, entries = self.book.statement(day)
        return self._signed(request_id, 200, statement_json(self.client_id, day, opening, closing, entries))

    # --- callbacks ---------------------------------------------------------------------

    def _announce(self, transfer: Transfer) -> None:
        """A PAID or EXPIRED callback, late or twice when those faults hit this key."""
        late = self.faults.late_callback_seconds if self.dice.hits("late_callbacks", transfer.key) else 0.0
        event = {
            **self._wire(transfer),
            "event_id": uuid.uuid4().hex,
            "occurred_at": int(self.clock().timestamp()),
        }
        for _ in range(2 if self.dice.hits("duplicate_callbacks", transfer.key) else 1):
            self.outbox.enqueue(event, late)

    def _sign_callback(self, event: dict[str, Any]) -> Delivery:
        stamp, nonce = str(int(self.clock().timestamp())), uuid.uuid4().hex
        return signed_callback(self.secret, self.client_id, event, stamp, nonce)
