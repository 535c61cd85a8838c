"""A watched-folder bank for the `iso20022` adapter (tests, development, the demo).

It picks up pain.001 files from the outbox, checks them against the XSD and their control
totals, credits each EndToEndId at most once whatever is resent, and writes a pain.002 for
each file, a camt.054 for each return and a camt.053 when a day is closed into the inbox.
It holds accounts with holder names and our debit account's balance (AM04 when it runs out).

Faults (`simkit.Faults`, decided per payout key from the seed, or forced per key):
`reject_closed` AC04, `reject_wrong_account` AC01, `reject_insufficient_funds` AM04,
`return_after_settlement` (a camt.054 with RtrInf on the next cycle), `statement_amount_differs`
(booked `statement_delta_vnd` more than instructed), `duplicate_callbacks` (the pain.002 for a
file is delivered twice, as two files), `timeout_after_credit` (credited, but the status is
reported `hang_seconds` late in a separate pain.002). State lives in memory; `credits()` and
`credits.json` in the root folder report the credits per EndToEndId.
"""

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from payments.adapters.iso20022 import simfiles
from payments.adapters.iso20022.pain001 import CreditTransfer, Pain001, parse_pain001
from payments.adapters.iso20022.pain002 import TransactionStatus
from payments.adapters.iso20022.xmlsafe import MalformedMessage
from payments.adapters.iso20022.xmlwrite import write_atomically
from payments.adapters.simkit import Book, FaultDice, Faults, Transfer, fingerprint

log = logging.getLogger(__name__)
_STATUS = {"settled": "ACSC", "returned": "ACSC", "rejected": "RJCT"}


@dataclass
class Account:
    bin: str
    number: str
    holder_name: str
    closed: bool = False


class H2HBankSimulator:
    """`with H2HBankSimulator(root) as bank:` polls in the background; tests may call
    `process()` and `close_day()` directly instead (both are thread-safe)."""

    def __init__(
        self,
        root: Path,
        *,
        seed: int = 0,
        faults: Faults | None = None,
        clock: Callable[[], datetime] | None = None,
        opening_balance_vnd: int = 10_000_000_000_000,
        debit_account: str = "0071000123456",
        debit_bin: str = "970436",
        strict_accounts: bool = True,
        poll_seconds: float = 0.05,
    ) -> None:
        self.root, self.outbox, self.inbox = root, root / "outbox", root / "inbox"
        for folder in (self.outbox, self.inbox):
            folder.mkdir(parents=True, exist_ok=True)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.dice = FaultDice(seed, faults or Faults())
        self.book = Book(opening_balance_vnd, self.clock)
        self.debit_account, self.debit_bin = debit_account, debit_bin
        self.accounts: dict[tuple[str, str], Account] = {}
        self.strict_accounts = strict_accounts
        self.poll_seconds = poll_seconds
        self.files = simfiles.FileWriter(
            self.inbox, self.book, debit_account, opening_balance_vnd, self.clock
        )
        self._processed: dict[str, str] = {}  # pain.001 file name -> sha256 of its bytes
        self._late: list[tuple[float, Pain001, list[TransactionStatus]]] = []
        self._returns_due: list[tuple[str, str]] = []
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- set-up and inspection -------------------------------------------------------------

    @property
    def faults(self) -> Faults:
        return self.dice.faults

    def set_faults(self, faults: Faults) -> None:
        self.dice.faults = faults

    def add_account(self, bin: str, number: str, holder_name: str, *, closed: bool = False) -> Account:
        account = Account(bin, number, holder_name, closed)
        self.accounts[(bin, number)] = account
        return account

    def adapter_settings(self, **extra: Any) -> dict[str, Any]:
        """Settings for an `iso20022` adapter instance talking to this bank."""
        return {
            "kind": "iso20022",
            "outbox": str(self.outbox),
            "inbox": str(self.inbox),
            "debtor_account": self.debit_account,
            "debtor_bin": self.debit_bin,
            "debtor_name": "So Lao dong Thuong binh va Xa hoi",
            **extra,
        }

    def credits(self) -> dict[str, int]:
        """Credits made per EndToEndId (exactly-once means every value is 1)."""
        with self._lock:
            return dict(self.book.credits)

    # --- the bank's work ------------------------------------------------------------------

    def process(self) -> int:
        """One cycle: answer new pain.001 files, deliver late reports and due returns.

        Returns the number of pain.001 files read. A file already read (same name and bytes)
        is ignored; its payouts, if sent again in another file, are reported, not re-credited.
        """
        with self._lock:
            self._deliver_due()
            read = 0
            for path in sorted(self.outbox.glob("*.xml")):
                if path.name.startswith(".") or self._processed.get(path.name) == (digest := _sha(path)):
                    continue
                self._processed[path.name] = digest
                self._answer(path)
                read += 1
            self._publish_credits()
            return read

    def close_day(self, day: date | None = None) -> Path:
        """Write a camt.053 of everything booked up to `day` (default today) not yet reported."""
        with self._lock:
            return self.files.statement(day or self.clock().date())

    def return_payout(self, key: str, reason: str = "AC04") -> Path:
        """The payee's bank sends a settled credit back: a CRDT entry and a camt.054 with RtrInf."""
        with self._lock:
            self.book.return_transfer(key, reason)
            return self.files.notification(self.book.entries[-1])

    def _answer(self, path: Path) -> None:
        try:
            message = parse_pain001(path)
        except MalformedMessage as exc:
            log.info("h2h bank: rejecting %s: %s", path.name, exc)
            self.files.file_rejected(path, exc)
            return
        statuses = [self._decide(message, transfer) for transfer in message.transfers]
        late = [s for s in statuses if self.dice.hits("timeout_after_credit", s.original_end_to_end_id or "")]
        on_time = [s for s in statuses if s not in late]
        if on_time or not late:
            self.files.report(
                message, on_time, duplicate=self.dice.hits("duplicate_callbacks", message.message_id)
            )
        if late:
            self._late.append((time.monotonic() + self.faults.hang_seconds, message, late))

    def _decide(self, message: Pain001, transfer: CreditTransfer) -> TransactionStatus:
        key = transfer.end_to_end_id
        print_ = fingerprint(transfer.amount_vnd, transfer.creditor_bin, transfer.creditor_account)
        existing = self.book.transfers.get(key)
        if existing is not None and existing.fingerprint != print_:
            return _status(
                message, transfer, "RJCT", "AM05", text="payout key already used for another payout"
            )
        if existing is None:
            existing = self._book(message, transfer, print_)
        code = _STATUS[existing.status]
        return _status(
            message, transfer, code, existing.reason if code == "RJCT" else None, ref=existing.tx_id
        )

    def _book(self, message: Pain001, transfer: CreditTransfer, print_: str) -> Transfer:
        key = transfer.end_to_end_id
        reason = self._reject_reason(transfer)
        delta = self.faults.statement_delta_vnd if self.dice.hits("statement_amount_differs", key) else 0
        record = Transfer(
            key=key,
            tx_id=self.book.next_id("TX"),
            amount_vnd=transfer.amount_vnd,
            destination=f"{transfer.creditor_bin}/{transfer.creditor_account}",
            fingerprint=print_,
            status="rejected" if reason else "settled",
            reason=reason,
            booked_amount_vnd=transfer.amount_vnd + delta,
            created_at=self.clock(),
        )
        self.files.remember(key, message, transfer)
        self.book.record(record)
        if not reason and self.dice.hits("return_after_settlement", key):
            self._returns_due.append((key, "AC04"))
        return record

    def _reject_reason(self, transfer: CreditTransfer) -> str | None:
        key = transfer.end_to_end_id
        account = self.accounts.get((transfer.creditor_bin, transfer.creditor_account))
        if (account is not None and account.closed) or self.dice.hits("reject_closed", key):
            return "AC04"
        if (account is None and self.strict_accounts) or self.dice.hits("reject_wrong_account", key):
            return "AC01"
        if self.dice.hits("reject_insufficient_funds", key) or self.book.balance() < transfer.amount_vnd:
            return "AM04"
        return None

    def _deliver_due(self) -> None:
        """Reports withheld by a timeout fault once their time has come; returns due."""
        now = time.monotonic()
        for item in [late for late in self._late if late[0] <= now]:
            self._late.remove(item)
            self.files.report(item[1], item[2], duplicate=False)
        due, self._returns_due = self._returns_due, []
        for key, reason in due:
            self.return_payout(key, reason)

    def _publish_credits(self) -> None:
        """credits.json beside the folders, for inspection from another process."""
        data = json.dumps({"credits": dict(self.book.credits), "faults": self.faults.as_dict()}, indent=1)
        write_atomically(self.root / "credits.json", data.encode())

    # --- running in the background -----------------------------------------------------------

    def __enter__(self) -> "H2HBankSimulator":
        self._thread = threading.Thread(target=self._run, name="h2h-bank", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                self.process()
                self._close_past_days()
            except Exception:
                log.exception("h2h bank: a polling cycle failed; trying again next cycle")

    def _close_past_days(self) -> None:
        """End of day: a statement for yesterday once today has begun, if anything is unreported."""
        with self._lock:
            yesterday = self.clock().date() - timedelta(days=1)
            if self.files.unreported_before(yesterday + timedelta(days=1)):
                self.files.statement(yesterday)


def _status(
    message: Pain001,
    transfer: CreditTransfer,
    code: str,
    reason: str | None,
    *,
    text: str = "",
    ref: str | None = None,
) -> TransactionStatus:
    return TransactionStatus(
        original_payment_info_id=message.payment_info_id,
        original_end_to_end_id=transfer.end_to_end_id,
        original_instruction_id=transfer.instruction_id,
        status=code,
        reason=reason,
        reason_text=text,
        amount_vnd=transfer.amount_vnd,
        account_servicer_ref=ref,
    )


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
