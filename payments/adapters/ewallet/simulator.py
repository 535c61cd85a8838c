"""A loopback e-wallet provider: signed disbursement API, signed callbacks, a CSV report.

A payout is answered PROCESSING, paid at once, and confirmed by a SUCCESS callback (FAILED
answers are synchronous). Every callback delivery is recorded in `deliveries` and, when a
`callback_url` is set, POSTed there (see `outbox`). `adapter_settings()` gives a ready
`ewallet` configuration.
"""

import json
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from payments.adapters.creditors import normalise_phone
from payments.adapters.ewallet import mapping, signing
from payments.adapters.ewallet.outbox import CallbackOutbox, Delivery
from payments.adapters.loopback import Answer, Request, json_answer
from payments.adapters.simkit import Faults, SimulatorBase, Transfer, fingerprint

_STATUS = re.compile(r"^/v2/disbursements/([^/?]+)$")
_REPORT = re.compile(r"^/v2/reports/settlement/(\d{4}-\d{2}-\d{2})$")
_WIRE = {"settled": "SUCCESS", "accepted": "PROCESSING", "rejected": "FAILED", "returned": "REFUNDED"}
_CODES = {reason.value: code for code, reason in mapping.REASONS.items()}


@dataclass
class Wallet:
    phone: str
    holder_name: str
    status: str = "ACTIVE"  # ACTIVE | LOCKED | CLOSED


class EwalletSimulator(SimulatorBase):
    """`with EwalletSimulator(seed=1, faults=Faults(...)) as sim: sim.url`"""

    def __init__(
        self,
        *,
        seed: int = 0,
        faults: Faults | None = None,
        clock: Callable[[], datetime] | None = None,
        port: int = 0,
        opening_balance_vnd: int = 10_000_000_000_000,
        partner_code: str = "PAYMENTS",
        secret: str | None = None,
        callback_url: str | None = None,
        window_seconds: int = 300,
    ) -> None:
        super().__init__(
            seed=seed, faults=faults, clock=clock, port=port, opening_balance_vnd=opening_balance_vnd
        )
        self.partner_code = partner_code
        self.secret = secret or secrets.token_hex(32)
        self.outbox = CallbackOutbox(self._sign_callback, self.clock, callback_url)
        self.wallets: dict[str, Wallet] = {}
        self._window = timedelta(seconds=window_seconds)

    # --- set-up, for tests and the CLI -------------------------------------------------

    def add_wallet(self, phone: str, holder_name: str, *, status: str = "ACTIVE") -> Wallet:
        wallet = Wallet(normalise_phone(phone), holder_name, status)
        self.wallets[wallet.phone] = wallet
        return wallet

    def adapter_settings(self, **extra: Any) -> dict[str, Any]:
        """Settings for an `ewallet` instance talking to this simulator."""
        return {
            "kind": "ewallet",
            "base_url": self.url,
            "partner_code": self.partner_code,
            "secret": self.secret,
            **extra,
        }

    @property
    def deliveries(self) -> list[Delivery]:
        """Every callback delivered so far, in order."""
        return list(self.outbox.deliveries)

    def wait_for_deliveries(self, count: int, timeout: float = 5.0) -> list[Delivery]:
        """Block until at least `count` callbacks were delivered (or the timeout passes)."""
        return self.outbox.wait_for(count, timeout)

    def __enter__(self) -> "EwalletSimulator":
        super().__enter__()
        self.outbox.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.outbox.close()
        super().__exit__(*exc)

    # --- protocol ----------------------------------------------------------------------

    def handle(self, request: Request) -> Answer:
        request_id = request.headers.get("x-request-id", "")
        if not self._authentic(request):
            return self._signed(request_id, 401, {"error": "BAD_SIGNATURE"})
        path = request.path.split("?", 1)[0]
        if request.method == "POST" and path == "/v2/disbursements":
            return self._disburse(request_id, json.loads(request.body))
        if request.method == "POST" and path == "/v2/wallets/inquiry":
            return self._signed(request_id, 200, self._inquiry(json.loads(request.body)["phone"]))
        if request.method == "GET" and (match := _STATUS.match(path)):
            return self._status(request_id, unquote(match.group(1)))
        if request.method == "GET" and (match := _REPORT.match(path)):
            return self._report(request_id, date.fromisoformat(match.group(1)))
        return self._signed(request_id, 404, {"error": "NO_SUCH_ENDPOINT"})

    def inspect(self, request: Request) -> Answer:
        if request.method == "POST" and request.path == "/_sim/wallets":
            data = json.loads(request.body)
            self.add_wallet(data["phone"], data["holder_name"], status=data.get("status", "ACTIVE"))
            return json_answer(201, {"added": True})
        return super().inspect(request)

    def _authentic(self, request: Request) -> bool:
        h = request.headers
        try:
            sent = datetime.fromtimestamp(int(h.get("x-timestamp", "")), self.clock().tzinfo)
        except ValueError:
            return False
        message = signing.request_message(
            request.method, request.path, h.get("x-timestamp", ""), h.get("x-request-id", ""), request.body
        )
        return (
            h.get("x-partner-code") == self.partner_code
            and abs(self.clock() - sent) <= self._window
            and signing.verify(self.secret.encode(), message, h.get("x-signature", ""))
        )

    def _signed(
        self, request_id: str, status: int, payload: Any, delay: float = 0.0, csv: str | None = None
    ) -> Answer:
        body = csv.encode() if csv is not None else json.dumps(payload, ensure_ascii=False).encode()
        stamp = str(int(self.clock().timestamp()))
        message = signing.response_message(status, request_id, stamp, body)
        if self.dice.hits("bad_signatures", request_id or uuid.uuid4().hex):
            message += b"tampered"
        headers = {
            "Content-Type": "text/csv" if csv is not None else "application/json",
            "X-Request-Id": request_id,
            "X-Timestamp": stamp,
            "X-Signature": signing.sign(self.secret.encode(), message),
        }
        return Answer(status, body, headers, delay)

    def _disburse(self, request_id: str, item: dict[str, Any]) -> Answer:
        key = item["order_id"]
        print_ = fingerprint(key, item["amount"], item["phone"])
        with self.book.lock:
            existing = self.book.transfers.get(key)
            if existing is not None:
                if existing.fingerprint != print_:
                    return self._signed(request_id, 409, {"error": "ORDER_ID_CONFLICT"})
                return self._signed(request_id, 200, self._wire(existing))
            transfer = self.book.record(self._decide(key, item, print_))
            answer = self._wire(transfer)
            if transfer.status == "settled":
                answer["status"] = "PROCESSING"  # the wallet confirms by callback
                self._after_settlement(transfer)
        hang = transfer.status == "settled" and self.dice.hits("timeout_after_credit", key)
        return self._signed(request_id, 200, answer, self.faults.hang_seconds if hang else 0.0)

    def _decide(self, key: str, item: dict[str, Any], print_: str) -> Transfer:
        amount = int(item["amount"])
        reason = self._reject_reason(key, item["phone"], amount)
        differs = reason is None and self.dice.hits("statement_amount_differs", key)
        return Transfer(
            key=key,
            tx_id=self.book.next_id("MW"),
            amount_vnd=amount,
            destination=item["phone"],
            fingerprint=print_,
            status="rejected" if reason else "settled",
            reason=reason,
            booked_amount_vnd=amount + self.faults.statement_delta_vnd if differs else amount,
            created_at=self.clock(),
        )

    def _reject_reason(self, key: str, phone: str, amount: int) -> str | None:
        wallet = self.wallets.get(phone)
        if wallet is None or self.dice.hits("reject_wrong_account", key):
            return "AC01"
        if wallet.status == "CLOSED" or self.dice.hits("reject_closed", key):
            return "AC04"
        if wallet.status == "LOCKED":
            return "AC06"
        if self.book.balance() < amount or self.dice.hits("reject_insufficient_funds", key):
            return "AM04"
        return None

    def _after_settlement(self, transfer: Transfer) -> None:
        late = self.faults.late_callback_seconds if self.dice.hits("late_callbacks", transfer.key) else 0.0
        copies = 2 if self.dice.hits("duplicate_callbacks", transfer.key) else 1
        event = self._event(transfer, "SUCCESS")
        for _ in range(copies):
            self.outbox.enqueue(event, late)
        if self.dice.hits("return_after_settlement", transfer.key):
            self.book.return_transfer(transfer.key, "AC04")
            self.outbox.enqueue(self._event(transfer, "REFUNDED", "WALLET_CLOSED"), late)

    def _event(self, transfer: Transfer, status: str, error_code: str | None = None) -> dict[str, Any]:
        return {
            "event_id": uuid.uuid4().hex,
            "order_id": transfer.key,
            "transaction_id": transfer.tx_id,
            "status": status,
            "error_code": error_code,
            "amount": transfer.amount_vnd,
            "occurred_at": int(self.clock().timestamp()),
        }

    def _wire(self, transfer: Transfer) -> dict[str, Any]:
        return {
            "order_id": transfer.key,
            "transaction_id": transfer.tx_id,
            "status": _WIRE[transfer.status],
            "error_code": _CODES.get(transfer.reason or "", transfer.reason),
            "amount": transfer.amount_vnd,
            "updated_at": int(transfer.created_at.timestamp()),
        }

    def _status(self, request_id: str, key: str) -> Answer:
        transfer = self.book.transfers.get(key)
        if transfer is None:
            return self._signed(request_id, 404, {"order_id": key, "status": "NOT_FOUND"})
        return self._signed(request_id, 200, self._wire(transfer))

    def _inquiry(self, phone: str) -> dict[str, Any]:
        wallet = self.wallets.get(phone)
        if wallet is None:
            return {"status": "NOT_FOUND"}
        return {"status": wallet.status, "name": wallet.holder_name if wallet.status == "ACTIVE" else None}

    def _report(self, request_id: str, day: date) -> Answer:
        opening, closing, entries = self.book.statement(day)
        rows: list[dict[str, Any]] = [{"record_type": "OPENING", "amount": opening}]
        for e in entries:
            status = "REFUNDED" if e.direction == "CRDT" else "SUCCESS"
            rows.append(
                {
                    "record_type": "ENTRY",
                    "transaction_id": e.tx_id,
                    "order_id": e.key,
                    "amount": e.amount_vnd,
                    "direction": e.direction,
                    "status": status,
                    "booked_at": e.day.isoformat(),
                    "error_code": _CODES.get(e.reason or "", ""),
                }
            )
        rows.append({"record_type": "CLOSING", "amount": closing})
        return self._signed(request_id, 200, None, csv=mapping.statement_to_csv(rows))

    # --- callbacks ---------------------------------------------------------------------

    def _sign_callback(self, event: dict[str, Any]) -> Delivery:
        body = json.dumps(event).encode()
        stamp, nonce = str(int(self.clock().timestamp())), uuid.uuid4().hex
        signature = signing.sign(self.secret.encode(), signing.callback_message(stamp, nonce, body))
        headers = {"Content-Type": "application/json", "X-Partner-Code": self.partner_code,
                   "X-Timestamp": stamp, "X-Nonce": nonce, "X-Signature": signature}  # fmt: skip
        return Delivery(headers, body)
