"""The sandbox's callbacks: their body, signed and checked the way a real provider's are
(HMAC-SHA256 over timestamp, nonce and body digest; a timestamp window; a nonce store against
replays)."""

import hashlib
import hmac
import itertools
import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from payments.adapters.errors import CallbackRejected
from payments.adapters.messages import CallbackEvent
from payments.adapters.replay import NonceStore
from payments.adapters.vocabulary import PayoutStatus, ReasonCode

Delivery = tuple[dict[str, str], bytes]


class CallbackSigner:
    """Signs outgoing callbacks and verifies incoming ones for one sandbox instance."""

    def __init__(
        self,
        name: str,
        secret: bytes,
        nonce_store: NonceStore,
        clock: Callable[[], datetime],
        window: timedelta,
    ) -> None:
        self._name, self._nonces = name, nonce_store
        self._keyed = hmac.new(secret, digestmod=hashlib.sha256)  # copied per message: cheaper than a new one
        self._clock, self._window = clock, window
        self._sequence = itertools.count(1)

    def sign(self, payload: dict[str, Any], now: datetime | None = None) -> Delivery:
        """The delivery of `payload`, stamped `now` (by default, the clock's now)."""
        body = json.dumps(payload).encode()
        stamp, nonce = (now or self._clock()).isoformat(), f"{self._name}-nonce-{next(self._sequence)}"
        return {"X-Timestamp": stamp, "X-Nonce": nonce, "X-Signature": self._mac(stamp, nonce, body)}, body

    def parse(self, headers: Mapping[str, str], body: bytes) -> CallbackEvent:
        """Signature, then the timestamp window, then the nonce; raises CallbackRejected."""
        h = {k.lower(): v for k, v in headers.items()}
        stamp, nonce = h.get("x-timestamp", ""), h.get("x-nonce", "")
        if not hmac.compare_digest(self._mac(stamp, nonce, body).encode(), h.get("x-signature", "").encode()):
            raise CallbackRejected(f"{self._name}: callback signature does not verify")
        try:
            sent_at = datetime.fromisoformat(stamp)
            fresh = abs(self._clock() - sent_at) <= self._window
        except (ValueError, TypeError) as exc:
            raise CallbackRejected(f"{self._name}: malformed callback timestamp") from exc
        if not fresh:
            raise CallbackRejected(f"{self._name}: callback timestamp outside the window")
        if not self._nonces.claim(nonce, sent_at + 2 * self._window):
            raise CallbackRejected(f"{self._name}: callback replayed (nonce already used)")
        try:
            return _event(json.loads(body), sent_at)
        except (ValueError, KeyError, TypeError) as exc:
            raise CallbackRejected(f"{self._name}: malformed callback body") from exc

    def _mac(self, stamp: str, nonce: str, body: bytes) -> str:
        mac = self._keyed.copy()
        mac.update(f"{stamp}\n{nonce}\n".encode() + hashlib.sha256(body).digest())
        return mac.hexdigest()


def callback_payload(
    reference: str, payout_key: str, status: PayoutStatus, reason: ReasonCode | None, amount_vnd: int
) -> dict[str, Any]:
    """The body of a callback saying the payout `reference` is now `status` (read by `_event`)."""
    return {
        "event_id": f"{reference}-{status.value}",
        "payout_key": payout_key,
        "status": status.value,
        "reason": reason.value if reason else None,
        "reference": reference,
        "amount_vnd": amount_vnd,
    }


def _event(payload: dict[str, Any], sent_at: datetime) -> CallbackEvent:
    reason = payload["reason"]
    return CallbackEvent(
        event_id=payload["event_id"],
        payout_key=payload["payout_key"],
        status=PayoutStatus(payload["status"]),
        occurred_at=sent_at,
        reason=ReasonCode(reason) if reason else None,
        provider_reference=payload["reference"],
        amount_vnd=payload["amount_vnd"],
    )
