"""A NAPAS-style bank API client: name inquiry, bulk transfer, status, statement.

Every request is signed with our ECDSA P-256 key; every answer must carry the bank's
signature bound to our request id, and speak only of the payout keys we asked about, or
AdapterProtocolError is raised. Only a failed connection
is retried on a transfer (nothing left); a timeout after sending gives `unknown` per payout,
to be resolved by `status()`, never by a blind resend. Reads are retried: they change nothing.
"""

import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

from payments.adapters.bank_api import mapping, signing
from payments.adapters.base import AdapterServices
from payments.adapters.creditors import BankAccount, Creditor
from payments.adapters.errors import AdapterProtocolError, AdapterUnavailable, AdapterUnsupported
from payments.adapters.messages import (
    CallbackEvent,
    NameLookupResult,
    PayoutInstruction,
    SendResult,
    StatusResult,
)
from payments.adapters.settings import InstanceSettings
from payments.adapters.statements import Statement
from payments.adapters.transport import NoAnswer, NothingSent, Reply, Transport, json_object
from payments.adapters.vocabulary import Capability, PayoutStatus

log = logging.getLogger(__name__)

CAPABILITIES = frozenset(
    {
        Capability.SEND,
        Capability.STATUS,
        Capability.STATEMENT,
        Capability.NAME_LOOKUP,
        Capability.SIGNED_RESPONSES,
        Capability.BANK_ACCOUNTS,
    }
)


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


class BankApiAdapter:
    """One bank connection: its URL, our client id and key, the bank's key, our debit account."""

    capabilities = CAPABILITIES

    def __init__(
        self,
        name: str,
        *,
        transport: Transport,
        client_id: str,
        private_key_pem: str,
        bank_public_key_pem: str,
        debit_account: str,
        read_retries: int = 2,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.name = name
        self._transport = transport
        self._client_id = client_id
        self._key = signing.load_private_key(private_key_pem)
        self._bank_key = signing.load_public_key(bank_public_key_pem)
        self._debit_account = debit_account
        self._read_retries = read_retries
        self._clock = clock

    def send(self, chunk: Sequence[PayoutInstruction]) -> list[SendResult]:
        """One bulk transfer for the chunk; see the PayoutAdapter protocol for the guarantees."""
        if not chunk:
            return []
        body = self._bulk_body(chunk)
        try:
            reply = self._exchange("POST", "/v1/transfers/bulk", body)
        except NothingSent as exc:
            raise AdapterUnavailable(f"{self.name}: {exc}") from exc
        except NoAnswer as exc:
            log.warning("%s: no answer to a bulk of %d payouts (%s): in doubt", self.name, len(chunk), exc)
            return _all_unknown(chunk, "no answer from the bank")
        if reply.status >= 500:
            log.warning(
                "%s: bank error %d on a bulk of %d payouts: in doubt", self.name, reply.status, len(chunk)
            )
            return _all_unknown(chunk, f"bank error {reply.status}")
        payload = self._verified_json(reply, "bulk transfer")
        with mapping.reading("bulk transfer"):
            items = payload["results"]
        # Filed under the keys we sent; an answer about a key not sent (or twice) raises.
        return mapping.send_results_from_wire([p.payout_key for p in chunk], items)

    def status(self, payout_key: str) -> StatusResult:
        """The bank's record of `payout_key`, NOT_FOUND when it has none."""
        payload = self._read("GET", f"/v1/transfers/{quote(payout_key, safe='')}", "transfer status")
        return mapping.status_from_wire(payout_key, payload, parse_time)

    def fetch_statement(self, day: date) -> Statement:
        """Our debit account's statement for `day`, as JSON from the bank."""
        path = f"/v1/accounts/{quote(self._debit_account, safe='')}/statements/{day.isoformat()}"
        return mapping.statement_from_wire(self._read("GET", path, "statement"))

    def lookup_name(self, creditor: Creditor) -> NameLookupResult:
        """Account-name inquiry (NAPAS): the holder name as the receiving bank holds it."""
        if not isinstance(creditor, BankAccount):
            raise AdapterUnsupported(f"{self.name} looks up bank accounts only")
        body = {"bin": creditor.bin, "account_number": creditor.account_number}
        payload = self._read("POST", "/v1/accounts/inquiry", "account inquiry", body)
        result = mapping.lookup_from_wire(payload)
        log.info("%s: name inquiry for %s found=%s", self.name, creditor.masked, result.found)
        return result

    def parse_callback(self, headers: Mapping[str, str], body: bytes) -> CallbackEvent:
        raise AdapterUnsupported(f"{self.name}: this bank API reports by status query and statement only")

    # --- wire ----------------------------------------------------------------------------

    def _bulk_body(self, chunk: Sequence[PayoutInstruction]) -> bytes:
        if len({p.payout_key for p in chunk}) != len(chunk):
            raise ValueError("payout keys in a chunk must be unique")
        try:
            transfers = [mapping.transfer_to_wire(p) for p in chunk]
        except TypeError as exc:
            raise AdapterUnsupported(f"{self.name}: {exc}") from None
        reference = chunk[0].batch_reference
        return _dumps(
            {"batch_reference": reference, "debit_account": self._debit_account, "transfers": transfers}
        )

    def _exchange(self, method: str, path: str, body: bytes) -> Reply:
        request_id = uuid.uuid4().hex
        timestamp = format_time(self._clock())
        headers = {
            "Content-Type": "application/json",
            "X-Client-Id": self._client_id,
            "X-Request-Id": request_id,
            "X-Timestamp": timestamp,
            "X-Signature": signing.sign(
                self._key, signing.request_message(method, path, timestamp, request_id, body)
            ),
        }
        reply = self._transport.exchange(method, path, headers, body)
        if reply.status < 500:
            self._check_signature(reply, request_id)
        return reply

    def _check_signature(self, reply: Reply, request_id: str) -> None:
        if reply.headers.get("x-request-id") != request_id:
            raise AdapterProtocolError(f"{self.name}: the answer is for another request")
        message = signing.response_message(
            reply.status, request_id, reply.headers.get("x-timestamp", ""), reply.body
        )
        if not signing.verify(self._bank_key, message, reply.headers.get("x-signature", "")):
            raise AdapterProtocolError(f"{self.name}: the bank's response signature does not verify")

    def _verified_json(self, reply: Reply, what: str) -> dict[str, Any]:
        return json_object(reply, self.name, what, refused="the bank refused our signature or client id")

    def _read(self, method: str, path: str, what: str, body: Any = None) -> dict[str, Any]:
        data = b"" if body is None else _dumps(body)
        problem = "no attempt"
        for attempt in range(self._read_retries + 1):
            try:
                reply = self._exchange(method, path, data)
            except (NothingSent, NoAnswer) as exc:
                problem = str(exc)
            else:
                if reply.status < 500:
                    return self._verified_json(reply, what)
                problem = f"HTTP {reply.status}"
            time.sleep(0.05 * 2**attempt)
        raise AdapterUnavailable(f"{self.name}: {what} failed: {problem}")


def _dumps(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _unknown(key: str, why: str) -> SendResult:
    return SendResult(payout_key=key, status=PayoutStatus.UNKNOWN, reason_text=why)


def _all_unknown(chunk: Sequence[PayoutInstruction], why: str) -> list[SendResult]:
    return [_unknown(p.payout_key, why) for p in chunk]


def create(name: str, settings: Mapping[str, Any], services: AdapterServices) -> BankApiAdapter:
    """The `bank_api` entry point: settings `base_url`, `client_id`, `private_key` (PEM),
    `bank_public_key` (PEM), `debit_account`; optional `connect_timeout`, `read_timeout`
    (seconds), `connect_retries`, `read_retries`."""
    s = InstanceSettings(name, settings)
    transport = Transport(
        s.text("base_url"),
        connect_timeout=s.number("connect_timeout", 5.0),
        read_timeout=s.number("read_timeout", 30.0),
        connect_retries=s.integer("connect_retries", 2),
    )
    return BankApiAdapter(
        name,
        transport=transport,
        client_id=s.text("client_id"),
        private_key_pem=s.text("private_key"),
        bank_public_key_pem=s.text("bank_public_key"),
        debit_account=s.text("debit_account"),
        read_retries=s.integer("read_retries", 2),
        clock=services.clock,
    )
