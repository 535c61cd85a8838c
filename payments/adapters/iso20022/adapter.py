"""The `iso20022` adapter: host-to-host bank files in an outbox and an inbox folder.

- `send` writes one pain.001.001.09 per chunk into the outbox (XSD-checked, atomic rename) and
  answers ACCEPTED: the file has been handed over, and the payout stays in flight until the
  bank's pain.002 says otherwise. With `await_status_seconds` > 0 it waits that long for the
  bank's pain.002 and answers from it; a payout the bank has not reported on by then is
  UNKNOWN (resolve it with `status`, never by a blind resend).
- Payout keys already in an outbox file are never written again, so a resend (however often,
  from however many threads) hands nothing new over and answers the recorded state.
  The outbox is this adapter's record of what was handed over: the bank must not purge it.
- `status` reads the inbox, counting only the pain.002 statuses about the message and block
  the payout went out in (`mapping.latest`): a settlement (ACSC/ACCC) is terminal against any
  later pain.002; else the latest RJCT, else the latest in-flight status; an RJCT for
  duplication (AM05, DU01-DU05) says nothing about the original (UNKNOWN if nothing else is
  said). A return on a camt.054/053 (RtrInf) makes it RETURNED; a key in the outbox with no
  report yet is ACCEPTED; a key in neither is NOT_FOUND (UNKNOWN if the bank reports on it).
  `provider_reference` is the InstrId we gave the payout, which the bank echoes back.
- `fetch_statement` reads the camt.053 statements for our account and the day (several
  sequence numbers are chained); AdapterUnavailable while the bank has not delivered one.
No name look-up and no callbacks: a file exchange offers neither.
"""

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from payments.adapters.base import AdapterServices
from payments.adapters.creditors import BankAccount, Creditor
from payments.adapters.errors import (
    AdapterConfigError,
    AdapterProtocolError,
    AdapterUnavailable,
    AdapterUnsupported,
)
from payments.adapters.iso20022 import mapping
from payments.adapters.iso20022.fields import VIETNAM
from payments.adapters.iso20022.folders import Inbox, Outbox, Reported, Sent
from payments.adapters.iso20022.pain001 import Pain001, Party, message_id_for, write_pain001
from payments.adapters.iso20022.xmlsafe import MalformedMessage
from payments.adapters.messages import (
    CallbackEvent,
    NameLookupResult,
    PayoutInstruction,
    SendResult,
    StatusResult,
)
from payments.adapters.settings import InstanceSettings
from payments.adapters.statements import Statement
from payments.adapters.vocabulary import Capability, PayoutStatus
from payments.errors import Conflict
from payments.text import fold_name

CAPABILITIES = frozenset({Capability.SEND, Capability.STATUS, Capability.STATEMENT, Capability.BANK_ACCOUNTS})
log = logging.getLogger(__name__)


class Iso20022Adapter:
    """One bank connection: its folders, our debit account, and how long to await reports."""

    capabilities = CAPABILITIES

    def __init__(
        self,
        name: str,
        *,
        outbox: Path,
        inbox: Path,
        debtor: Party,
        initiating_party: str,
        clock: Callable[[], datetime],
        batch_booking: bool = False,
        await_status_seconds: float = 0.0,
    ) -> None:
        self.name = name
        self.debtor = debtor
        self._initiating_party = initiating_party
        self._clock = clock
        self._batch_booking = batch_booking
        self._await = await_status_seconds
        self._outbox = Outbox(outbox)
        self._inbox = Inbox(inbox)
        self._write_lock = threading.Lock()

    # --- the protocol --------------------------------------------------------------------

    def send(self, chunk: Sequence[PayoutInstruction]) -> list[SendResult]:
        """Write the payouts not yet handed over as one pain.001; one result per instruction.

        Raises AdapterUnsupported, before writing anything, when a creditor is not a bank
        account, and AdapterUnavailable when the file could not be written (nothing was handed
        over).
        """
        keys = [p.payout_key for p in chunk]
        if len(set(keys)) != len(keys):
            raise ValueError("payout keys in a chunk must be unique")
        if any(not isinstance(p.creditor, BankAccount) for p in chunk):
            raise AdapterUnsupported(f"{self.name} pays bank accounts only")
        if not chunk:
            return []
        with self._write_lock, _folder_errors(self.name):  # a failure here handed nothing over
            self._outbox.refresh()
            fresh = [p for p in chunk if self._outbox.get(p.payout_key) is None]
            if fresh:
                self._write(fresh)
        try:
            with _folder_errors(self.name):
                if self._await > 0:
                    self._await_reports(keys)
                self._inbox.refresh()
        except (AdapterProtocolError, AdapterUnavailable) as exc:
            # The files are handed over; only the bank's answers cannot be read now.
            log.warning("%s: sent, but the inbox cannot be read: %s", self.name, exc)
            return [self._send_result(p, unreadable=str(exc)) for p in chunk]
        return [self._send_result(p) for p in chunk]

    def status(self, payout_key: str) -> StatusResult:
        """What the bank's files say now about one payout (read-only)."""
        with _folder_errors(self.name):
            self._outbox.refresh()
            self._inbox.refresh()
            return self._resolve(payout_key)[0]

    def fetch_statement(self, day: date) -> Statement:
        """Our account's camt.053 for `day`; AdapterUnavailable until the bank has sent it."""
        with _folder_errors(self.name):
            self._inbox.refresh(("pain.002", "camt.054", "camt.053"))
            files = self._inbox.statements_on(day, self.debtor.account)
            if not files:
                raise AdapterUnavailable(f"{self.name}: no camt.053 for {day} in the inbox yet")
            return mapping.statement(self.name, self.debtor.account, day, files)

    def parse_callback(self, headers: Mapping[str, str], body: bytes) -> CallbackEvent:
        raise AdapterUnsupported(f"{self.name}: a host-to-host file exchange has no callbacks")

    def lookup_name(self, creditor: Creditor) -> NameLookupResult:
        raise AdapterUnsupported(f"{self.name}: a host-to-host file exchange has no name look-up")

    # --- sending -------------------------------------------------------------------------

    def _write(self, payouts: list[PayoutInstruction]) -> None:
        batch = {p.batch_reference for p in payouts}
        message_id = message_id_for(batch.pop() if len(batch) == 1 else "", [p.payout_key for p in payouts])
        now = self._clock()
        message = Pain001(
            message_id=message_id,
            payment_info_id=message_id,
            created_at=now,
            execution_date=now.astimezone(VIETNAM).date(),
            initiating_party=self._initiating_party,
            debtor=self.debtor,
            transfers=tuple(
                mapping.credit_transfer(p, f"{message_id[:28]}/{n:06d}") for n, p in enumerate(payouts, 1)
            ),
            batch_booking=self._batch_booking,
        )
        try:
            path = write_pain001(message, self._outbox.folder)
        except Conflict as exc:
            raise AdapterProtocolError(f"{self.name}: {exc.detail}") from exc
        self._outbox.add(message, path.name)
        log.info(
            "%s: handed over %s: %d payouts, %d VND",
            self.name,
            path.name,
            message.count,
            message.control_sum_vnd,
        )

    def _await_reports(self, keys: list[str]) -> None:
        deadline = time.monotonic() + self._await
        while time.monotonic() < deadline:
            self._inbox.refresh()
            if all(self._resolve(key)[1] for key in keys):
                return
            time.sleep(0.02)

    def _send_result(self, payout: PayoutInstruction, unreadable: str = "") -> SendResult:
        if unreadable:
            return SendResult(
                payout_key=payout.payout_key, status=PayoutStatus.UNKNOWN, reason_text=unreadable
            )
        result, reported = self._resolve(payout.payout_key)
        status = result.status
        if status is PayoutStatus.RETURNED or (self._await > 0 and not reported):
            status = PayoutStatus.UNKNOWN  # credited and returned, or no acknowledgement in time
        reason = result.reason if status is PayoutStatus.REJECTED else None
        return SendResult(
            payout_key=payout.payout_key,
            status=status,
            reason=reason,
            reason_text=result.reason_text,
            provider_reference=result.provider_reference,
        )

    # --- reading the bank's answers --------------------------------------------------------

    def _resolve(self, key: str) -> tuple[StatusResult, bool]:
        """(the status now, whether the bank has said anything about this payout)."""
        sent = self._outbox.get(key)
        reference = None if sent is None else sent.instruction_id
        returned = self._inbox.returns.get(key)
        if returned is not None:
            code, text = mapping.reason(returned.reason, returned.text)
            return StatusResult(
                payout_key=key,
                status=PayoutStatus.RETURNED,
                reason=code,
                reason_text=text,
                provider_reference=reference,
            ), True
        if sent is None:
            return self._never_handed_over(key)
        report = mapping.latest(self._reports(sent))
        if report is None:
            handed_over = PayoutStatus.ACCEPTED  # no report yet
            return StatusResult(payout_key=key, status=handed_over, provider_reference=reference), False
        return mapping.status_from_report(key, report, sent, reference), True

    def _reports(self, sent: Sent) -> list[Reported]:
        """The statuses about the message and block `sent` went out in: its own lines there,
        and the statuses of that message and that block."""
        found = list(self._inbox.by_key.get(sent.key, ()))
        for group in {sent.message_id, sent.payment_info_id}:
            found.extend(self._inbox.by_group.get(group, ()))
        return [report for report in found if report.is_about(sent)]

    def _never_handed_over(self, key: str) -> tuple[StatusResult, bool]:
        if not self._inbox.by_key.get(key):
            return StatusResult(payout_key=key, status=PayoutStatus.NOT_FOUND), False
        # The bank reports on a key none of our files holds (was the outbox purged?): its lines
        # cannot be tied to a message of ours, and NOT_FOUND would invite a resend.
        why = "the bank reports on this key, but no pain.001 in our outbox holds it"
        return StatusResult(payout_key=key, status=PayoutStatus.UNKNOWN, reason_text=why), True


@contextmanager
def _folder_errors(name: str) -> Iterator[None]:
    """An unreadable folder means nothing was exchanged (retry later is safe); an unreadable
    file means the bank sent something we cannot trust."""
    try:
        yield
    except MalformedMessage as exc:
        raise AdapterProtocolError(f"{name}: {exc}") from exc
    except OSError as exc:
        raise AdapterUnavailable(f"{name}: exchange folder unavailable: {exc.strerror or exc}") from exc


def create(name: str, settings: Mapping[str, Any], services: AdapterServices) -> Iso20022Adapter:
    """The `iso20022` entry point. Settings: `outbox`, `inbox` (existing folders),
    `debtor_account`, `debtor_bin`, `debtor_name`; optional `initiating_party`,
    `batch_booking` (one debit for the whole file), `await_status_seconds`."""
    values = InstanceSettings(name, settings)
    folders = {key: Path(values.text(key)) for key in ("outbox", "inbox")}
    for key, folder in folders.items():
        if not folder.is_dir():
            raise AdapterConfigError(f"adapter {name}: {key} folder {folder} does not exist")
    try:
        account = BankAccount(bin=values.text("debtor_bin"), account_number=values.text("debtor_account"))
    except ValueError as exc:
        raise AdapterConfigError(f"adapter {name}: {exc}") from exc
    debtor = Party(fold_name(values.text("debtor_name"))[:140], account.account_number, account.bin)
    return Iso20022Adapter(
        name,
        outbox=folders["outbox"],
        inbox=folders["inbox"],
        debtor=debtor,
        initiating_party=fold_name(values.text("initiating_party", debtor.name))[:140],
        clock=services.clock,
        batch_booking=str(settings.get("batch_booking", "false")).lower() in ("true", "1", "yes"),
        await_status_seconds=values.number("await_status_seconds", 0.0),
    )
