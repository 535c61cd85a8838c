"""A cash-at-the-post-office client: one signed cash order per payout, signed callbacks.

The post office answers an order at once with AWAITING_PICKUP (accepted) or REFUSED; the
beneficiary collects later (PAID, settled, a DBIT on that day's statement) or not at all
(EXPIRED when the pickup window closes: RETURNED with NOAS, no DBIT). Requests and responses
carry HMAC-SHA256 signatures in the e-wallet API's scheme (`ewallet.signing`); a response must
be bound to our request id or AdapterProtocolError is raised. Callbacks are accepted only with a
valid signature, a timestamp inside the window and a nonce never seen before. A timeout after
sending gives `unknown`; only a failed connection is retried.
"""

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from payments.adapters.base import AdapterServices
from payments.adapters.creditors import Creditor
from payments.adapters.errors import (
    AdapterConfigError,
    AdapterProtocolError,
    AdapterUnavailable,
    AdapterUnsupported,
    CallbackRejected,
)
from payments.adapters.ewallet import signing
from payments.adapters.messages import (
    CallbackEvent,
    NameLookupResult,
    PayoutInstruction,
    SendResult,
    StatusResult,
)
from payments.adapters.replay import NonceStore
from payments.adapters.settings import InstanceSettings
from payments.adapters.statements import Statement
from payments.adapters.transport import (
    NoAnswer,
    NothingSent,
    Reply,
    Transport,
    json_body,
    json_object,
    read_with_retries,
    unix_time,
    unknown,
)
from payments.adapters.vnpost import mapping
from payments.adapters.vocabulary import Capability, PayoutStatus

log = logging.getLogger(__name__)

CAPABILITIES = frozenset(
    {
        Capability.SEND,
        Capability.STATUS,
        Capability.CALLBACKS,
        Capability.STATEMENT,
        Capability.SIGNED_RESPONSES,
        Capability.CASH,
    }
)
ORDERS = "/api/v1/cash-orders"


class VnpostAdapter:
    """One post-office contract: URL, client id, secrets, a nonce store for callbacks."""

    capabilities = CAPABILITIES

    def __init__(
        self,
        name: str,
        *,
        transport: Transport,
        client_id: str,
        secret: bytes,
        callback_secret: bytes,
        nonce_store: NonceStore,
        callback_window: timedelta = timedelta(minutes=5),
        read_retries: int = 2,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if len(secret) < 16 or len(callback_secret) < 16:
            raise AdapterConfigError(f"adapter {name}: HMAC secrets must be at least 16 bytes")
        self.name = name
        self._transport = transport
        self._client_id = client_id
        self._secret, self._callback_secret = secret, callback_secret
        self._nonces = nonce_store
        self._window = callback_window
        self._read_retries = read_retries
        self._clock = clock

    def send(self, chunk: Sequence[PayoutInstruction]) -> list[SendResult]:
        """One cash order per payout, in order. Raises AdapterUnsupported before sending anything
        when a payout is not a CashPickup. If the post office becomes unreachable part-way, the
        payouts not yet sent are `unknown` (a status query finds them NOT_FOUND)."""
        bodies = self._bodies(chunk)
        results: list[SendResult] = []
        for payout, body in zip(chunk, bodies, strict=True):
            try:
                results.append(self._send_one(payout, body))
            except NothingSent as exc:
                if not results:
                    raise AdapterUnavailable(f"{self.name}: {exc}") from exc
                rest = chunk[len(results) :]
                return results + [unknown(p.payout_key, "not sent: post office unreachable") for p in rest]
        return results

    def status(self, payout_key: str) -> StatusResult:
        """The post office's record of `payout_key`, NOT_FOUND when it has none."""
        payload = self._read(f"{ORDERS}/{quote(payout_key, safe='')}", "cash order status")
        return mapping.status_from_wire(payout_key, payload)

    def fetch_statement(self, day: date) -> Statement:
        """Our account's collections booked on `day` (cash handed over that day)."""
        return mapping.statement_from_wire(
            self._read(f"/api/v1/statements/{day.isoformat()}", "statement"), day
        )

    def lookup_name(self, creditor: Creditor) -> NameLookupResult:
        raise AdapterUnsupported(f"{self.name}: the post office checks the ID at the counter, not by look-up")

    def parse_callback(self, headers: Mapping[str, str], body: bytes) -> CallbackEvent:
        """Verify client id, signature, timestamp window and nonce, in that order (a forged
        callback cannot use up a nonce); raises CallbackRejected."""
        h = {k.lower(): v for k, v in headers.items()}
        stamp, nonce = h.get("x-timestamp", ""), h.get("x-nonce", "")
        if h.get("x-client-id") != self._client_id:
            raise CallbackRejected(f"{self.name}: callback for another client")
        if not signing.verify(
            self._callback_secret, signing.callback_message(stamp, nonce, body), h.get("x-signature", "")
        ):
            raise CallbackRejected(f"{self.name}: callback signature does not verify")
        sent_at = unix_time(stamp)
        if abs(self._clock() - sent_at) > self._window:
            raise CallbackRejected(f"{self.name}: callback timestamp outside the window")
        if not nonce or not self._nonces.claim(nonce, sent_at + 2 * self._window):
            raise CallbackRejected(f"{self.name}: callback replayed (nonce already used)")
        try:
            payload = json.loads(body)
        except ValueError as exc:
            raise CallbackRejected(f"{self.name}: callback body is not JSON") from exc
        if not isinstance(payload, dict):
            raise CallbackRejected(f"{self.name}: callback body is not a JSON object")
        return mapping.callback_from_wire(payload, CallbackRejected)

    # --- wire ----------------------------------------------------------------------------

    def _bodies(self, chunk: Sequence[PayoutInstruction]) -> list[bytes]:
        if len({p.payout_key for p in chunk}) != len(chunk):
            raise ValueError("payout keys in a chunk must be unique")
        try:
            return [json_body(mapping.order_to_wire(p)) for p in chunk]
        except TypeError as exc:
            raise AdapterUnsupported(f"{self.name}: {exc}") from None

    def _send_one(self, payout: PayoutInstruction, body: bytes) -> SendResult:
        try:
            reply = self._exchange("POST", ORDERS, body)
        except NoAnswer as exc:
            log.warning("%s: no answer for payout %s (%s): in doubt", self.name, payout.payout_key, exc)
            return unknown(payout.payout_key, "no answer from the post office")
        if reply.status >= 500 or reply.status == 409:
            # 409: the order reference was used for a different order; the first may be paid out.
            return unknown(payout.payout_key, f"post office answered HTTP {reply.status}")
        result = mapping.send_result_from_wire(self._json(reply, "cash order answer"))
        if result.payout_key != payout.payout_key:
            raise AdapterProtocolError(f"{self.name}: the answer is about another order")
        if result.status is PayoutStatus.REJECTED:
            log.info(
                "%s: payout %s refused (%s) for %s",
                self.name,
                payout.payout_key,
                result.reason,
                payout.creditor.masked,
            )
        return result

    def _exchange(self, method: str, path: str, body: bytes) -> Reply:
        return signing.signed_exchange(
            self._transport, method, path, body, secret=self._secret, clock=self._clock,
            identity=("X-Client-Id", self._client_id), provider=f"{self.name}: the post office's",
        )  # fmt: skip

    def _json(self, reply: Reply, what: str) -> dict[str, Any]:
        return json_object(
            reply, self.name, what, refused="the post office refused our signature or client id"
        )

    def _read(self, path: str, what: str) -> dict[str, Any]:
        """A GET, retried on connection failures, timeouts and 5xx: reads change nothing."""
        send = lambda: self._exchange("GET", path, b"")  # noqa: E731 - the request each attempt repeats
        reply = read_with_retries(send, self._read_retries, f"{self.name}: {what} failed")
        return self._json(reply, what)


def create(name: str, settings: Mapping[str, Any], services: AdapterServices) -> VnpostAdapter:
    """The `vnpost` entry point: settings `base_url`, `client_id`, `secret`; optional
    `callback_secret` (defaults to `secret`), `callback_window` (seconds), `connect_timeout`,
    `read_timeout`, `connect_retries`, `read_retries`."""
    s = InstanceSettings(name, settings)
    secret = s.text("secret")
    transport = Transport.from_settings(s)
    return VnpostAdapter(
        name,
        transport=transport,
        client_id=s.text("client_id"),
        secret=secret.encode(),
        callback_secret=s.text("callback_secret", secret).encode(),
        nonce_store=services.nonce_store(name),
        callback_window=timedelta(seconds=s.number("callback_window", 300)),
        read_retries=s.integer("read_retries", 2),
        clock=services.clock,
    )
