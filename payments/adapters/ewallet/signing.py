"""HMAC-SHA256 over the e-wallet API's requests, responses and callbacks (hex digests).

request:  METHOD \\n PATH \\n TIMESTAMP \\n REQUEST-ID \\n SHA-256(body)
response: STATUS \\n REQUEST-ID \\n TIMESTAMP \\n SHA-256(body)   (bound to our request id)
callback: CALLBACK \\n TIMESTAMP \\n NONCE \\n SHA-256(body)
Timestamps are Unix seconds.
"""

import hashlib
import hmac


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
