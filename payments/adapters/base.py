"""The adapter protocol: what disbursements and reconciliation may ask of a payout provider
(a bank, an e-wallet, or the post office handing over cash at the counter).

A plugin implements `PayoutAdapter` and ships an `AdapterFactory` as a `payments.adapters`
entry point. The values it takes and gives live beside this module, one concept each:
`creditors` (who is paid), `messages` (instructions and results), `statements` (our account
as booked), `vocabulary` (capabilities, statuses, reason codes), `errors` and `replay`
(nonce stores). Values are frozen dataclasses; amounts are integer đồng (`amount_vnd`),
datetimes are timezone-aware UTC. An adapter *returns* results for every expected outcome
(accepted, settled, rejected with a normalised reason, unknown) and *raises* one of
`payments.adapters.errors` only when it could not do its job at all.

Concrete adapters import these modules, the standard library, their HTTP client and
`cryptography`; never the database, Flask or another feature.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol, runtime_checkable

from payments.adapters.creditors import Creditor
from payments.adapters.messages import (
    CallbackEvent,
    NameLookupResult,
    PayoutInstruction,
    SendResult,
    StatusResult,
)
from payments.adapters.replay import InMemoryNonceStore, NonceStore
from payments.adapters.statements import Statement


@dataclass(frozen=True, kw_only=True)
class AdapterServices:
    """What the host application lends an adapter instance: a clock and nonce stores."""

    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    nonce_store: Callable[[str], NonceStore] = field(default=lambda _instance: InMemoryNonceStore())


@runtime_checkable
class PayoutAdapter(Protocol):
    """One configured instance of a provider (two banks of one kind are two instances)."""

    name: str
    capabilities: frozenset[str]

    def send(self, chunk: Sequence[PayoutInstruction]) -> list[SendResult]:
        """Send payouts (unique keys); one result per instruction, in order. Idempotent per
        payout key: a resend never credits twice. A timeout after the request left gives
        UNKNOWN, never a blind resend. Raises AdapterUnavailable only when nothing was sent,
        AdapterUnsupported (before sending) for a creditor kind it cannot pay, and
        AdapterProtocolError for an untrustworthy answer (treat the chunk as in doubt)."""
        ...

    def status(self, payout_key: str) -> StatusResult:
        """The provider's current view of one payout (read-only; safe to repeat)."""
        ...

    def parse_callback(self, headers: Mapping[str, str], body: bytes) -> CallbackEvent:
        """Verify and decode a callback (signature, timestamp window, nonce); raises
        CallbackRejected on forged, stale, replayed or malformed input."""
        ...

    def fetch_statement(self, day: date) -> Statement:
        """Our account's booked entries for `day` (read-only; safe to repeat)."""
        ...

    def lookup_name(self, creditor: Creditor) -> NameLookupResult:
        """The holder name the provider reports (read-only); AdapterUnsupported if not capable."""
        ...


class AdapterFactory(Protocol):
    """What a `payments.adapters` entry point loads: builds one named, configured instance.

    `settings` holds that instance's own values (URLs, keys, timeouts); raise
    AdapterConfigError when one is missing or wrong.
    """

    def __call__(
        self, name: str, settings: Mapping[str, Any], services: AdapterServices
    ) -> PayoutAdapter: ...
