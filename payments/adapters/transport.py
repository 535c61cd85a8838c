"""A small HTTP exchange on the standard library that knows whether anything was sent.

`http.client` lets us connect first and send second, so the two failures that matter for
exactly-once payouts stay apart: `NothingSent` (the connection was never made; resending is
safe) and `NoAnswer` (the request may have reached the provider; only a status query may
tell). Connection failures are retried here; nothing else is.
"""

import http.client
import json
import logging
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from payments.adapters.errors import (
    AdapterConfigError,
    AdapterProtocolError,
    AdapterUnavailable,
    CallbackRejected,
)
from payments.adapters.messages import SendResult
from payments.adapters.settings import InstanceSettings
from payments.adapters.vocabulary import PayoutStatus

log = logging.getLogger(__name__)


class NothingSent(Exception):
    """The provider could not be reached; no byte of the request left."""


class NoAnswer(Exception):
    """The request was (or may have been) sent, but no complete answer came back."""


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes


class Transport:
    """HTTP(S) to one base URL with a connect timeout, a read timeout and connect retries."""

    def __init__(
        self,
        base_url: str,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        connect_retries: int = 2,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise AdapterConfigError("base_url must be an http(s) URL")
        self._scheme, self._host, self._port = parts.scheme, parts.hostname, parts.port
        self._prefix = parts.path.rstrip("/")
        self._connect_timeout, self._read_timeout = connect_timeout, read_timeout
        self._retries = connect_retries
        self._ssl = ssl_context or ssl.create_default_context()

    @classmethod
    def from_settings(cls, s: InstanceSettings) -> "Transport":
        """From an instance's `base_url` and optional `connect_timeout`, `read_timeout`, `connect_retries`."""
        return cls(
            s.text("base_url"),
            connect_timeout=s.number("connect_timeout", 5.0),
            read_timeout=s.number("read_timeout", 30.0),
            connect_retries=s.integer("connect_retries", 2),
        )

    def exchange(self, method: str, path: str, headers: Mapping[str, str], body: bytes = b"") -> Reply:
        """One request and its answer. Raises NothingSent after the connect retries, NoAnswer
        once any part of the request may have left."""
        conn = self._connect_with_retries()
        try:
            conn.sock.settimeout(self._read_timeout)
            conn.request(method, self._prefix + path, body=body or None, headers=dict(headers))
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise NoAnswer(f"{method} {path}: {type(exc).__name__}") from exc
        finally:
            conn.close()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, data)

    def _connect_with_retries(self) -> http.client.HTTPConnection:
        for attempt in range(self._retries + 1):
            conn = self._connection()
            try:
                conn.connect()
            except OSError as exc:
                conn.close()
                log.warning("connect to %s failed (attempt %d): %s", self._host, attempt + 1, exc)
                if attempt == self._retries:
                    raise NothingSent(f"cannot connect to {self._host}: {exc}") from exc
                time.sleep(0.05 * 2**attempt)
            else:
                return conn
        raise AssertionError("unreachable")

    def _connection(self) -> http.client.HTTPConnection:
        if self._scheme == "https":
            return http.client.HTTPSConnection(
                self._host, self._port, timeout=self._connect_timeout, context=self._ssl
            )
        return http.client.HTTPConnection(self._host, self._port, timeout=self._connect_timeout)


def json_object(reply: Reply, adapter: str, what: str, *, refused: str) -> dict[str, Any]:
    """A provider's JSON object answer (200, or 404 for "no such payout"), or the error that
    says why it cannot be trusted. 401 means the provider refused our credentials: `refused`."""
    if reply.status == 401:
        raise AdapterConfigError(f"{adapter}: {refused}")
    if reply.status not in (200, 404):
        raise AdapterProtocolError(f"{adapter}: unexpected HTTP {reply.status} for {what}")
    try:
        payload = json.loads(reply.body)
    except ValueError as exc:
        raise AdapterProtocolError(f"{adapter}: {what} is not JSON") from exc
    if not isinstance(payload, dict):
        raise AdapterProtocolError(f"{adapter}: {what} is not a JSON object")
    return payload


def json_body(payload: Any) -> bytes:
    """A request or response body: compact UTF-8 JSON (what the providers' signatures cover)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def unknown(payout_key: str, why: str) -> SendResult:
    """The answer for a payout whose fate only a status query can tell."""
    return SendResult(payout_key=payout_key, status=PayoutStatus.UNKNOWN, reason_text=why)


def unix_time(stamp: str) -> datetime:
    """A callback's timestamp header (Unix seconds); CallbackRejected when it is not one."""
    try:
        return datetime.fromtimestamp(int(stamp), UTC)
    except (ValueError, OverflowError, OSError):
        raise CallbackRejected("callback timestamp is not Unix seconds") from None


def read_with_retries(send: Callable[[], Reply], retries: int, failed: str) -> Reply:
    """A read's answer below 500, retried on connection failures, timeouts and 5xx with
    backoff (reads change nothing); AdapterUnavailable saying `failed` and why otherwise."""
    problem = "no attempt"
    for attempt in range(retries + 1):
        try:
            reply = send()
        except (NothingSent, NoAnswer) as exc:
            problem = str(exc)
        else:
            if reply.status < 500:
                return reply
            problem = f"HTTP {reply.status}"
        time.sleep(0.05 * 2**attempt)
    raise AdapterUnavailable(f"{failed}: {problem}")
