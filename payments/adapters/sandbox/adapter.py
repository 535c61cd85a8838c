"""The sandbox: an in-process provider for tests and development, deterministic and scriptable.

Outcomes are scripted per payout key or per creditor (account number, phone or citizen ID),
falling back to the instance's default: `settle`, `accept` (settles on `settle(key)`), `reject`
with a reason, or `unknown` (a timeout after the credit was made). A payout key is credited at
most once however often it is resent. A cash pickup follows the same outcomes: `settle` is
collected at once, `accept` waits at the post office until `settle(key)` (collected: debited
then) or `return_payout(key, ReasonCode.NOAS)` (never collected: nothing was debited).
Callbacks are HMAC-signed like a real provider's, so the callback path (signature, window,
nonce) is exercised too. Each is stamped when its event happens and signed when it is
delivered (`take_callbacks`), as a provider signs each delivery: a dispatch that nobody takes
callbacks from pays nothing for them.
"""

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from payments.adapters.base import AdapterServices
from payments.adapters.creditors import CashPickup, Creditor
from payments.adapters.errors import AdapterConfigError, AdapterUnsupported
from payments.adapters.messages import (
    CallbackEvent,
    NameLookupResult,
    PayoutInstruction,
    SendResult,
    StatusResult,
)
from payments.adapters.replay import InMemoryNonceStore, NonceStore
from payments.adapters.sandbox.account import Account, Entry
from payments.adapters.sandbox.callbacks import CallbackSigner, callback_payload
from payments.adapters.sandbox.script import Outcome, Script
from payments.adapters.statements import Statement
from payments.adapters.vocabulary import Capability, Direction, PayoutStatus, ReasonCode

CAPABILITIES = frozenset(
    {
        Capability.SEND,
        Capability.STATUS,
        Capability.CALLBACKS,
        Capability.STATEMENT,
        Capability.NAME_LOOKUP,
        Capability.BANK_ACCOUNTS,
        Capability.WALLETS,
        Capability.CASH,
    }
)
_RECORDED = {"settle": PayoutStatus.SETTLED, "accept": PayoutStatus.ACCEPTED, "reject": PayoutStatus.REJECTED}
_SETTLE = Outcome()


@dataclass
class _Payout:
    instruction: PayoutInstruction
    status: PayoutStatus
    reference: str
    reason: ReasonCode | None = None


def _is_cash(payout: _Payout) -> bool:
    return isinstance(payout.instruction.creditor, CashPickup)


class SandboxAdapter:
    """See the module docstring. Script with `script_key`, `script_creditor`, `add_holder`."""

    capabilities = CAPABILITIES

    def __init__(
        self,
        name: str = "sandbox",
        *,
        default: Outcome = _SETTLE,
        opening_balance_vnd: int = 10_000_000_000_000,
        callback_secret: bytes = b"sandbox callback secret",
        nonce_store: NonceStore | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        callback_window: timedelta = timedelta(minutes=5),
    ) -> None:
        self.name = name
        self._script = Script(default)
        self._account = Account(opening_balance_vnd)
        self._signer = CallbackSigner(
            name, callback_secret, nonce_store or InMemoryNonceStore(clock), clock, callback_window
        )
        self._clock = clock
        self._lock = threading.RLock()
        self._payouts: dict[str, _Payout] = {}
        self._outbox: list[tuple[dict[str, Any], datetime]] = []  # (payload, when it happened), to sign
        self._sequence = 0

    # --- scripting -----------------------------------------------------------------------

    def script_key(self, payout_key: str, outcome: Outcome) -> None:
        self._script.script_key(payout_key, outcome)

    def script_creditor(self, account_phone_or_citizen_id: str, outcome: Outcome) -> None:
        self._script.script_creditor(account_phone_or_citizen_id, outcome)

    def add_holder(self, creditor: Creditor, name: str, *, closed: bool = False) -> None:
        """What lookup_name reports for `creditor`; a closed account also rejects with AC04."""
        self._script.add_holder(creditor, name, closed=closed)

    def credits(self) -> dict[str, int]:
        """Credits made per payout key (exactly-once means every value is 1)."""
        with self._lock:
            return dict(self._account.credits)

    def settle(self, payout_key: str) -> None:
        """An accepted payout settles now (and a callback says so); accepted cash is collected
        now, so only now is it debited and counted as paid."""
        with self._lock:
            payout = self._payouts[payout_key]
            if payout.status is PayoutStatus.ACCEPTED:
                payout.status = PayoutStatus.SETTLED
                if _is_cash(payout):
                    self._pay_out(payout)
                self._callback(payout)

    def return_payout(self, payout_key: str, reason: ReasonCode = ReasonCode.AC04) -> None:
        """A settled payout comes back: a credit on the statement, a RETURNED callback. Cash
        waiting at the post office is returned uncollected (use NOAS): nothing is booked, it
        never left our account; cash already collected cannot come back (ValueError)."""
        with self._lock:
            payout = self._payouts[payout_key]
            if _is_cash(payout) and payout.status is not PayoutStatus.ACCEPTED:
                raise ValueError(f"cash for {payout_key} is {payout.status.value}: only waiting cash returns")
            if not _is_cash(payout):
                self._account.book(self._entry(Direction.CREDIT, payout, reason))
            payout.status, payout.reason = PayoutStatus.RETURNED, reason
            self._callback(payout)

    def take_callbacks(self) -> list[tuple[dict[str, str], bytes]]:
        """Callbacks emitted since the last call, as (headers, body) for parse_callback."""
        with self._lock:
            taken, self._outbox = self._outbox, []
            return [self._signer.sign(payload, at) for payload, at in taken]

    # --- the protocol --------------------------------------------------------------------

    def send(self, chunk: Sequence[PayoutInstruction]) -> list[SendResult]:
        """Apply each payout's scripted outcome once; a resend reports the recorded state."""
        if len({p.payout_key for p in chunk}) != len(chunk):
            raise ValueError("payout keys in a chunk must be unique")
        with self._lock:
            now = self._clock()  # the chunk is handled at one instant, as a provider's batch run is
            return [self._send_one(p, now) for p in chunk]

    def status(self, payout_key: str) -> StatusResult:
        with self._lock:
            payout = self._payouts.get(payout_key)
            if payout is None:
                return StatusResult(payout_key=payout_key, status=PayoutStatus.NOT_FOUND)
            return StatusResult(
                payout_key=payout_key,
                status=payout.status,
                reason=payout.reason,
                provider_reference=payout.reference,
                amount_vnd=payout.instruction.amount_vnd,
                as_of=self._clock(),
            )

    def parse_callback(self, headers: Mapping[str, str], body: bytes) -> CallbackEvent:
        """Signature, timestamp window and nonce, like a real provider; raises CallbackRejected."""
        return self._signer.parse(headers, body)

    def fetch_statement(self, day: date) -> Statement:
        with self._lock:
            return self._account.statement(self.name, day)

    def lookup_name(self, creditor: Creditor) -> NameLookupResult:
        """Registered holders first; an unregistered bank account reports the name we hold,
        folded as banks do; an unregistered wallet is unknown (AC01). A cash pickup has no
        holder to look up (the counter checks the ID): AdapterUnsupported."""
        if isinstance(creditor, CashPickup):
            raise AdapterUnsupported(f"{self.name}: cash pickups have no name look-up")
        return self._script.lookup_name(creditor)

    # --- inside --------------------------------------------------------------------------

    def _send_one(self, payout: PayoutInstruction, now: datetime) -> SendResult:
        existing = self._payouts.get(payout.payout_key)
        if existing is None:
            existing = self._apply(payout, self._script.outcome_for(payout), now)
            if existing.status is PayoutStatus.UNKNOWN:
                existing.status = PayoutStatus.SETTLED  # credited; only the answer was lost
                return SendResult(
                    payout_key=payout.payout_key, status=PayoutStatus.UNKNOWN, reason_text="timeout"
                )
        status = existing.status if existing.status is not PayoutStatus.RETURNED else PayoutStatus.UNKNOWN
        return SendResult(
            payout_key=payout.payout_key,
            status=status,
            reason=existing.reason,
            provider_reference=existing.reference,
        )

    def _apply(self, payout: PayoutInstruction, outcome: Outcome, now: datetime) -> _Payout:
        self._sequence += 1
        reference = f"SBX{self._sequence:08d}"
        status = _RECORDED.get(outcome.kind, PayoutStatus.UNKNOWN)
        record = _Payout(payout, status, reference, outcome.reason)
        self._payouts[payout.payout_key] = record
        if status is PayoutStatus.REJECTED or (_is_cash(record) and status is PayoutStatus.ACCEPTED):
            return record  # nothing paid: refused, or cash waiting at the post office
        self._pay_out(record, now)
        if status is not PayoutStatus.ACCEPTED:
            self._callback(record, PayoutStatus.SETTLED, now)
        return record

    def _pay_out(self, record: _Payout, now: datetime | None = None) -> None:
        self._account.pay_out(self._entry(Direction.DEBIT, record, now=now))

    def _entry(
        self,
        direction: Direction,
        payout: _Payout,
        reason: ReasonCode | None = None,
        *,
        now: datetime | None = None,
    ) -> Entry:
        instruction = payout.instruction
        day = (now or self._clock()).date()
        return Entry(day, direction, instruction.amount_vnd, instruction.payout_key, payout.reference, reason)

    def _callback(
        self, payout: _Payout, status: PayoutStatus | None = None, now: datetime | None = None
    ) -> None:
        status = status or payout.status
        reason = payout.reason if status is not PayoutStatus.SETTLED else None
        key, amount_vnd = payout.instruction.payout_key, payout.instruction.amount_vnd
        event = callback_payload(payout.reference, key, status, reason, amount_vnd)
        self._outbox.append((event, now or self._clock()))


def create(name: str, settings: Mapping[str, Any], services: AdapterServices) -> SandboxAdapter:
    """The `sandbox` entry point: optional `default_outcome` (settle | accept),
    `opening_balance_vnd`, `callback_secret`."""
    kind = str(settings.get("default_outcome", "settle"))
    if kind not in ("settle", "accept"):
        raise AdapterConfigError(f"adapter {name}: default_outcome must be settle or accept")
    return SandboxAdapter(
        name,
        default=Outcome(kind),
        opening_balance_vnd=int(settings.get("opening_balance_vnd", 10_000_000_000_000)),
        callback_secret=str(settings.get("callback_secret", "sandbox callback secret")).encode(),
        nonce_store=services.nonce_store(name),
        clock=services.clock,
    )
