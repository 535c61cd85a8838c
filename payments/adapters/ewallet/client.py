"""An e-wallet disbursement client: one signed request per payout, asynchronous callbacks.

Requests and responses carry HMAC-SHA256 signatures (a response must be bound to our request
id, and be about the order id we asked about, or AdapterProtocolError is raised). Callbacks are
accepted only with a valid signature, a timestamp inside the window and a nonce never seen
before (the instance's NonceStore).
A timeout after sending gives `unknown`; only a failed connection is retried.
"""

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from payments.adapters.base import AdapterServices
from payments.adapters.creditors import Creditor, WalletAccount
from payments.adapters.errors import (
    AdapterConfigError,
    AdapterUnavailable,
    AdapterUnsupported,
    CallbackRejected,
)
from payments.adapters.ewallet import mapping, signing
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
from payments.adapters.vocabulary import Capability

log = logging.getLogger(__name__)

CAPABILITIES = frozenset(
    {
        Capability.SEND,
        Capability.STATUS,
        Capability.CALLBACKS,
        Capability.STATEMENT,
        Capability.NAME_LOOKUP,
        Capability.SIGNED_RESPONSES,
        Capability.WALLETS,
    }
)


class EwalletAdapter:
    """One wallet provider account: URL, partner code, secrets, a nonce store for callbacks."""

    capabilities = CAPABILITIES

    def __init__(
        self,
        name: str,
        *,
        transport: Transport,
        partner_code: str,
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
        self._partner = partner_code
        self._secret, self._callback_secret = secret, callback_secret
        self._nonces = nonce_store
        self._window = callback_window
        self._read_retries = read_retries
        self._clock = clock

    def send(self, chunk: Sequence[PayoutInstruction]) -> list[SendResult]:
        """One request per payout, in order. If the wallet becomes unreachable part-way, the
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
                return results + [unknown(p.payout_key, "not sent: wallet unreachable") for p in rest]
        return results

    def status(self, payout_key: str) -> StatusResult:
        """The wallet's record of `payout_key`, NOT_FOUND when it has none."""
        payload = self._read("GET", f"/v2/disbursements/{quote(payout_key, safe='')}", "status")
        return mapping.status_from_wire(payout_key, payload)

    def fetch_statement(self, day: date) -> Statement:
        """The daily settlement report (CSV) for `day`."""
        reply = self._read_reply("GET", f"/v2/reports/settlement/{day.isoformat()}", "settlement report")
        return mapping.statement_from_csv(reply.body.decode("utf-8"), self._partner, day)

    def lookup_name(self, creditor: Creditor) -> NameLookupResult:
        """The wallet holder's registered name for a phone number."""
        if not isinstance(creditor, WalletAccount):
            raise AdapterUnsupported(f"{self.name} looks up wallets only")
        payload = self._read("POST", "/v2/wallets/inquiry", "wallet inquiry", {"phone": creditor.phone})
        result = mapping.lookup_from_wire(payload)
        log.info("%s: wallet inquiry for %s found=%s", self.name, creditor.masked, result.found)
        return result

    def parse_callback(self, headers: Mapping[str, str], body: bytes) -> CallbackEvent:
        """Verify signature, timestamp window and nonce, in that order (a forged callback
        cannot use up a nonce); raises CallbackRejected."""
        h = {k.lower(): v for k, v in headers.items()}
        stamp, nonce = h.get("x-timestamp", ""), h.get("x-nonce", "")
        if h.get("x-partner-code") != self._partner:
            raise CallbackRejected(f"{self.name}: callback for another partner")
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
        return mapping.callback_from_wire(payload, CallbackRejected)

    # --- wire ----------------------------------------------------------------------------

    def _bodies(self, chunk: Sequence[PayoutInstruction]) -> list[bytes]:
        if len({p.payout_key for p in chunk}) != len(chunk):
            raise ValueError("payout keys in a chunk must be unique")
        try:
            return [json_body(mapping.disbursement_to_wire(p)) for p in chunk]
        except TypeError as exc:
            raise AdapterUnsupported(f"{self.name}: {exc}") from None

    def _send_one(self, payout: PayoutInstruction, body: bytes) -> SendResult:
        try:
            reply = self._exchange("POST", "/v2/disbursements", body)
        except NoAnswer as exc:
            log.warning("%s: no answer for payout %s (%s): in doubt", self.name, payout.payout_key, exc)
            return unknown(payout.payout_key, "no answer from the wallet")
        if reply.status >= 500 or reply.status == 409:
            # 409: the order id was used for a different payout; the first may have been paid.
            return unknown(payout.payout_key, f"wallet answered HTTP {reply.status}")
        # Built from the key sent: an answer naming another order id is AdapterProtocolError.
        return mapping.send_result_from_wire(payout.payout_key, self._json(reply, "disbursement answer"))

    def _exchange(self, method: str, path: str, body: bytes) -> Reply:
        return signing.signed_exchange(
            self._transport, method, path, body, secret=self._secret, clock=self._clock,
            identity=("X-Partner-Code", self._partner), provider=f"{self.name}: the wallet's",
        )  # fmt: skip

    def _json(self, reply: Reply, what: str) -> dict[str, Any]:
        return json_object(reply, self.name, what, refused="the wallet refused our signature or partner code")

    def _read(self, method: str, path: str, what: str, body: Any = None) -> dict[str, Any]:
        return self._json(self._read_reply(method, path, what, body), what)

    def _read_reply(self, method: str, path: str, what: str, body: Any = None) -> Reply:
        data = b"" if body is None else json_body(body)
        send = lambda: self._exchange(method, path, data)  # noqa: E731 - the request each attempt repeats
        reply = read_with_retries(send, self._read_retries, f"{self.name}: {what} failed")
        if reply.status == 401:
            self._json(reply, what)  # raises: the wallet refused our credentials
        return reply


def create(name: str, settings: Mapping[str, Any], services: AdapterServices) -> EwalletAdapter:
    """The `ewallet` entry point: settings `base_url`, `partner_code`, `secret`; optional
    `callback_secret` (defaults to `secret`), `callback_window` (seconds), `connect_timeout`,
    `read_timeout`, `connect_retries`, `read_retries`."""
    s = InstanceSettings(name, settings)
    secret = s.text("secret")
    transport = Transport.from_settings(s)
    return EwalletAdapter(
        name,
        transport=transport,
        partner_code=s.text("partner_code"),
        secret=secret.encode(),
        callback_secret=s.text("callback_secret", secret).encode(),
        nonce_store=services.nonce_store(name),
        callback_window=timedelta(seconds=s.number("callback_window", 300)),
        read_retries=s.integer("read_retries", 2),
        clock=services.clock,
    )
