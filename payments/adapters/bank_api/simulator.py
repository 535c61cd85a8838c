"""A loopback bank speaking the bank API: signed requests in, signed answers out.

It holds accounts with holder names and our debit account, credits a payout key at most once
whatever is resent, and injects the faults of `Faults` on demand. `adapter_settings()` gives a
ready configuration (fresh client key pair registered) for a `bank_api` adapter instance.
"""

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from payments.adapters.bank_api import signing
from payments.adapters.bank_api.client import format_time, parse_time
from payments.adapters.loopback import Answer, Request, json_answer
from payments.adapters.simkit import Faults, SimulatorBase, Transfer, fingerprint

_STATUS = re.compile(r"^/v1/transfers/([^/?]+)$")
_STATEMENT = re.compile(r"^/v1/accounts/([^/]+)/statements/(\d{4}-\d{2}-\d{2})$")
_WIRE = {"settled": "ACSC", "accepted": "ACSP", "rejected": "RJCT", "returned": "RTND"}


@dataclass
class Account:
    bin: str
    number: str
    holder_name: str
    closed: bool = False


class BankSimulator(SimulatorBase):
    """`with BankSimulator(seed=1, faults=Faults(...)) as sim: sim.url`"""

    def __init__(
        self,
        *,
        seed: int = 0,
        faults: Faults | None = None,
        clock: Callable[[], datetime] | None = None,
        port: int = 0,
        opening_balance_vnd: int = 10_000_000_000_000,
        debit_account: str = "0071000123456",
        window_seconds: int = 300,
        return_after_seconds: float = 0.0,
    ) -> None:
        super().__init__(
            seed=seed, faults=faults, clock=clock, port=port, opening_balance_vnd=opening_balance_vnd
        )
        self.debit_account = debit_account
        self.accounts: dict[tuple[str, str], Account] = {}
        self._private_pem, self.public_key_pem = signing.new_key_pair()
        self._key = signing.load_private_key(self._private_pem)
        self._clients: dict[str, Any] = {}
        self._window = timedelta(seconds=window_seconds)
        self._return_after = timedelta(seconds=return_after_seconds)
        self._returns_due: dict[str, datetime] = {}

    # --- set-up, for tests and the CLI -------------------------------------------------

    def add_account(self, bin: str, number: str, holder_name: str, *, closed: bool = False) -> Account:
        account = Account(bin, number, holder_name, closed)
        self.accounts[(bin, number)] = account
        return account

    def register_client(self, client_id: str, public_key_pem: str) -> None:
        self._clients[client_id] = signing.load_public_key(public_key_pem)

    def adapter_settings(self, client_id: str = "payments", **extra: Any) -> dict[str, Any]:
        """Settings for a `bank_api` instance talking to this simulator (a new client key)."""
        private_pem, public_pem = signing.new_key_pair()
        self.register_client(client_id, public_pem)
        return {
            "kind": "bank_api",
            "base_url": self.url,
            "client_id": client_id,
            "private_key": private_pem,
            "bank_public_key": self.public_key_pem,
            "debit_account": self.debit_account,
            **extra,
        }

    def return_payout(self, key: str, reason: str = "AC04") -> None:
        """The beneficiary's bank sends a settled payout back now."""
        with self.book.lock:
            self.book.return_transfer(key, reason)

    # --- protocol ----------------------------------------------------------------------

    def handle(self, request: Request) -> Answer:
        request_id = request.headers.get("x-request-id", "")
        if not self._authentic(request):
            return self._signed(request_id, 401, {"error": "BAD_SIGNATURE"})
        self._process_due_returns()
        path = request.path.split("?", 1)[0]
        if request.method == "POST" and path == "/v1/transfers/bulk":
            return self._bulk(request_id, json.loads(request.body))
        if request.method == "POST" and path == "/v1/accounts/inquiry":
            return self._signed(request_id, 200, self._inquiry(json.loads(request.body)))
        if request.method == "GET" and (match := _STATUS.match(path)):
            return self._status(request_id, unquote(match.group(1)))
        if request.method == "GET" and (match := _STATEMENT.match(path)):
            return self._statement(request_id, unquote(match.group(1)), date.fromisoformat(match.group(2)))
        return self._signed(request_id, 404, {"error": "NO_SUCH_ENDPOINT"})

    def inspect(self, request: Request) -> Answer:
        if request.method == "POST" and request.path == "/_sim/accounts":
            data = json.loads(request.body)
            self.add_account(
                data["bin"], data["account_number"], data["holder_name"], closed=data.get("closed", False)
            )
            return json_answer(201, {"added": True})
        return super().inspect(request)

    def _authentic(self, request: Request) -> bool:
        h = request.headers
        key = self._clients.get(h.get("x-client-id", ""))
        try:
            fresh = abs(self.clock() - parse_time(h.get("x-timestamp", ""))) <= self._window
        except ValueError:
            return False
        message = signing.request_message(
            request.method, request.path, h.get("x-timestamp", ""), h.get("x-request-id", ""), request.body
        )
        return key is not None and fresh and signing.verify(key, message, h.get("x-signature", ""))

    def _signed(self, request_id: str, status: int, payload: Any, delay: float = 0.0) -> Answer:
        body = json.dumps(payload, ensure_ascii=False).encode()
        timestamp = format_time(self.clock())
        message = signing.response_message(status, request_id, timestamp, body)
        if self.dice.hits("bad_signatures", request_id or uuid.uuid4().hex):
            message += b"tampered"
        headers = {
            "Content-Type": "application/json",
            "X-Request-Id": request_id,
            "X-Timestamp": timestamp,
            "X-Signature": signing.sign(self._key, message),
        }
        return Answer(status, body, headers, delay)

    def _bulk(self, request_id: str, payload: dict[str, Any]) -> Answer:
        hang = False
        results = []
        for item in payload["transfers"]:
            result, newly_credited = self._transfer(item)
            results.append(result)
            hang = hang or (newly_credited and self.dice.hits("timeout_after_credit", item["end_to_end_id"]))
        delay = self.faults.hang_seconds if hang else 0.0
        return self._signed(request_id, 200, {"results": results}, delay)

    def _transfer(self, item: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        key = item["end_to_end_id"]
        print_ = fingerprint(key, item["amount"], item["bin"], item["account_number"])
        with self.book.lock:
            existing = self.book.transfers.get(key)
            if existing is not None:
                if existing.fingerprint != print_:
                    return {"end_to_end_id": key, "status": "DUPLICATE_MISMATCH"}, False
                return self._wire(existing), False
            transfer = self.book.record(self._decide(key, item, print_))
            if transfer.status == "settled" and self.dice.hits("return_after_settlement", key):
                self._returns_due[key] = self.clock() + self._return_after
        return self._wire(transfer), transfer.status == "settled"

    def _decide(self, key: str, item: dict[str, Any], print_: str) -> Transfer:
        amount = int(item["amount"])
        reason = self._reject_reason(key, item, amount)
        booked = amount
        if reason is None and self.dice.hits("statement_amount_differs", key):
            booked = amount + self.faults.statement_delta_vnd
        return Transfer(
            key=key,
            tx_id=self.book.next_id("FT"),
            amount_vnd=amount,
            destination=f"{item['bin']}/{item['account_number']}",
            fingerprint=print_,
            status="rejected" if reason else "settled",
            reason=reason,
            booked_amount_vnd=booked,
            created_at=self.clock(),
        )

    def _reject_reason(self, key: str, item: dict[str, Any], amount: int) -> str | None:
        account = self.accounts.get((item["bin"], item["account_number"]))
        if account is None or self.dice.hits("reject_wrong_account", key):
            return "AC01"
        if account.closed or self.dice.hits("reject_closed", key):
            return "AC04"
        if self.book.balance() < amount or self.dice.hits("reject_insufficient_funds", key):
            return "AM04"
        return None

    def _wire(self, transfer: Transfer) -> dict[str, Any]:
        return {
            "end_to_end_id": transfer.key,
            "status": _WIRE[transfer.status],
            "reason": transfer.reason,
            "transaction_id": transfer.tx_id,
            "amount": transfer.amount_vnd,
            "updated_at": format_time(transfer.created_at),
        }

    def _status(self, request_id: str, key: str) -> Answer:
        transfer = self.book.transfers.get(key)
        if transfer is None:
            return self._signed(request_id, 404, {"end_to_end_id": key, "status": "NOT_FOUND"})
        return self._signed(request_id, 200, self._wire(transfer))

    def _statement(self, request_id: str, account: str, day: date) -> Answer:
        if account != self.debit_account:
            return self._signed(request_id, 404, {"error": "NO_SUCH_ACCOUNT"})
        opening, closing, entries = self.book.statement(day)
        lines = [
            {
                "amount": e.amount_vnd,
                "direction": e.direction,
                "booking_date": e.day.isoformat(),
                "end_to_end_id": e.key,
                "transaction_id": e.tx_id,
                "servicer_ref": e.servicer_ref,
                "reason": e.reason,
                "status": "BOOK",
            }
            for e in entries
        ]
        payload = {"account": account, "date": day.isoformat(), "opening_balance": opening,
                   "closing_balance": closing, "entries": lines}  # fmt: skip
        return self._signed(request_id, 200, payload)

    def _inquiry(self, payload: dict[str, Any]) -> dict[str, Any]:
        account = self.accounts.get((payload["bin"], payload["account_number"]))
        if account is None:
            return {"result": "NOT_FOUND"}
        if account.closed:
            return {"result": "CLOSED"}
        return {"result": "FOUND", "account_name": account.holder_name}

    def _process_due_returns(self) -> None:
        now = self.clock()
        with self.book.lock:
            due = [key for key, when in self._returns_due.items() if when <= now]
            for key in due:
                del self._returns_due[key]
                self.book.return_transfer(key, "AC04")
