"""HMAC-SHA256 over the e-wallet API's requests, responses and callbacks (hex digests).

request:  METHOD \\n PATH \\n TIMESTAMP \\n REQUEST-ID \\n SHA-256(body)
response: STATUS \\n REQUEST-ID \\n TIMESTAMP \\n SHA-256(body)   (bound to our request id)
callback: CALLBACK \\n TIMESTAMP \\n NONCE \\n SHA-256(body)
Timestamps are Unix seconds.
"""

import hashlib
import hmac
import uuid
from collections.abc import Callable
from datetime import datetime

from payments.adapters.errors import AdapterProtocolError
from payments.adapters.transport import Reply, Transport


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def request_message(method: str, path: str, timestamp: str, request_id: str, body: bytes) -> bytes:
    return "\n".join((method.upper(), path, timestamp, request_id, _digest(body))).encode()


def response_message(status: int, request_id: str, timestamp: str, body: bytes) -> bytes:
    return "\n".join((str(status), request_id, timestamp, _digest(body))).encode()


def callback_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    return "\n".join(("CALLBACK", timestamp, nonce, _digest(body))).encode()


def sign(secret: bytes, message: bytes) -> str:
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def verify(secret: bytes, message: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, message).encode(), signature.encode("utf-8", "replace"))


def signed_exchange(
    transport: Transport,
    method: str,
    path: str,
    body: bytes,
    *,
    secret: bytes,
    identity: tuple[str, str],
    clock: Callable[[], datetime],
    provider: str,
) -> Reply:
    """One signed request, and its answer's signature checked (bound to our request id).

    `identity` is our header and value (the e-wallet's partner code, the post office's client
    id). An answer below 500 whose signature does not verify raises AdapterProtocolError
    naming `provider`, e.g. "demo-wallet: the wallet's"."""
    request_id = uuid.uuid4().hex
    stamp = str(int(clock().timestamp()))
    headers = {
        "Content-Type": "application/json",
        identity[0]: identity[1],
        "X-Request-Id": request_id,
        "X-Timestamp": stamp,
        "X-Signature": sign(secret, request_message(method, path, stamp, request_id, body)),
    }
    reply = transport.exchange(method, path, headers, body)
    if reply.status < 500:
        answer = response_message(reply.status, request_id, reply.headers.get("x-timestamp", ""), reply.body)
        if reply.headers.get("x-request-id") != request_id or not verify(
            secret, answer, reply.headers.get("x-signature", "")
        ):
            raise AdapterProtocolError(f"{provider} response signature does not verify")
    return reply
