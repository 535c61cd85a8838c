"""What is in the exchange folders: the pain.001 files we handed over (outbox) and the bank's
pain.002 reports and camt.053/054 statements (inbox), indexed by payout key.

Each file is read once and remembered by (name, size, mtime); files are written atomically by
both sides and never change, so a changed file means someone edited it: everything is read
again. Temporary files (a leading dot, `.part`, `.tmp`) are not looked at.
"""

import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from payments.adapters.iso20022.camt import CamtEntry, CamtStatement, iter_camt
from payments.adapters.iso20022.fields import VIETNAM
from payments.adapters.iso20022.pain001 import Pain001, parse_pain001
from payments.adapters.iso20022.pain002 import (
    PaymentInfoStatus,
    ReportHeader,
    TransactionStatus,
    iter_pain002,
)
from payments.adapters.iso20022.xmlsafe import MalformedMessage, WrongMessage, message_family

Stamp = tuple[int, int]


def _xml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.xml") if not p.name.startswith(".") and p.is_file())


def _stamp(path: Path) -> Stamp:
    info = path.stat()
    return info.st_size, info.st_mtime_ns


def _family(path: Path) -> str:
    """The file's message family, or `other` for XML that is none of ours (a camt.052, say)."""
    try:
        return message_family(path)
    except WrongMessage:
        return "other"
    except MalformedMessage as exc:
        raise exc.in_file(path.name) from exc


@dataclass(frozen=True)
class Sent:
    """One payout as we handed it over: `instruction_id` is what status reports echo back."""

    key: str
    message_id: str
    payment_info_id: str
    instruction_id: str
    amount_vnd: int
    file: str


class Outbox:
    """The payouts in our pain.001 files, by payout key and by MsgId."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._seen: dict[str, Stamp] = {}
        self._by_key: dict[str, Sent] = {}
        self._by_message: dict[str, list[str]] = defaultdict(list)
        self._lock = threading.RLock()

    def refresh(self) -> None:
        with self._lock:
            for path in _xml_files(self.folder):
                if self._seen.get(path.name) != (stamp := _stamp(path)):
                    self.add(parse_pain001(path, check_schema=False), path.name)
                    self._seen[path.name] = stamp

    def add(self, message: Pain001, file: str) -> None:
        """Remember a pain.001 we wrote or found."""
        with self._lock:
            for transfer in message.transfers:
                sent = Sent(
                    transfer.end_to_end_id,
                    message.message_id,
                    message.payment_info_id,
                    transfer.instruction_id,
                    transfer.amount_vnd,
                    file,
                )
                if transfer.end_to_end_id not in self._by_key:
                    self._by_message[sent.message_id].append(sent.key)
                self._by_key.setdefault(transfer.end_to_end_id, sent)
            self._seen.setdefault(file, _stamp(self.folder / file))

    def get(self, key: str) -> Sent | None:
        with self._lock:
            return self._by_key.get(key)


@dataclass(frozen=True)
class Reported:
    """A status the bank reported for one payout, or for its whole message or block, with the
    original message (OrgnlMsgId) and block (OrgnlPmtInfId, empty for a group status) it is about."""

    created_at: datetime
    file: str
    status: str | None
    reason: str | None
    reason_text: str = ""
    account_servicer_ref: str | None = None
    amount_vnd: int | None = None
    per_transaction: bool = False  # TxInfAndSts, which says more than a group or block status
    original_message_id: str = ""
    original_payment_info_id: str = ""

    def is_about(self, sent: Sent) -> bool:
        """Whether this status answers the message and block `sent` went out in: a line for
        the same EndToEndId under another message is about another instruction (a resend
        refused as a duplicate, say), never about this one."""
        same_block = self.original_payment_info_id in ("", sent.payment_info_id)  # "": the whole message
        return self.original_message_id == sent.message_id and same_block


@dataclass(frozen=True)
class Returned:
    key: str
    reason: str | None
    text: str
    day: date | None
    file: str


@dataclass(frozen=True)
class StatementFile:
    path: Path
    statement: CamtStatement
    day: date


class Inbox:
    """The bank's files: statuses by payout key, by MsgId and PmtInfId; returns; statements."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.RLock()
        self._reset()

    def _reset(self) -> None:
        self._seen: dict[str, Stamp] = {}
        self._families: dict[str, str] = {}
        self.by_key: dict[str, list[Reported]] = defaultdict(list)
        self.by_group: dict[str, list[Reported]] = defaultdict(list)  # MsgId or PmtInfId
        self.returns: dict[str, Returned] = {}
        self.statements: list[StatementFile] = []

    def refresh(self, families: Iterable[str] = ("pain.002", "camt.054")) -> None:
        """Read new files of the given families (camt.053 only when statements are wanted:
        a day's statement can be large, and status queries do not need it)."""
        wanted = set(families)
        with self._lock:
            files = _xml_files(self.folder)
            if any(self._seen.get(p.name, _stamp(p)) != _stamp(p) for p in files):
                self._reset()
            for path in files:
                name = self._families.get(path.name) or self._families.setdefault(path.name, _family(path))
                if name in wanted and path.name not in self._seen:
                    self._read_named(name, path)
                    self._seen[path.name] = _stamp(path)

    def _read_named(self, name: str, path: Path) -> None:
        try:
            self._read(name, path)
        except MalformedMessage as exc:
            self._reset()  # nothing half-read stays behind; the next refresh meets the file again
            raise exc.in_file(path.name) from exc

    def statements_on(self, day: date, account: str) -> list[StatementFile]:
        """The camt.053 statements of `account` for `day`, each once, in sequence order."""
        unique: dict[tuple[str, int | None], StatementFile] = {}
        for found in self.statements:
            if found.day == day and found.statement.account == account:
                unique.setdefault((found.statement.statement_id, found.statement.sequence), found)
        return sorted(
            unique.values(), key=lambda f: (f.statement.sequence or 0, f.statement.created_at, f.path.name)
        )

    def _read(self, name: str, path: Path) -> None:
        if name == "pain.002":
            self._read_report(path)
        elif name in ("camt.053", "camt.054"):
            self._read_camt(path)

    def _read_report(self, path: Path) -> None:
        header: ReportHeader | None = None
        for item in iter_pain002(path):
            if isinstance(item, ReportHeader):
                header = item
                if item.group_status:
                    self.by_group[item.original_message_id].append(_group(item, path))
            elif isinstance(item, PaymentInfoStatus):
                if item.status and header:
                    self.by_group[item.original_payment_info_id].append(_block(item, header, path))
            elif item.original_end_to_end_id and header:
                self.by_key[item.original_end_to_end_id].append(_transaction(item, header, path))

    def _read_camt(self, path: Path) -> None:
        for item in iter_camt(path):
            if isinstance(item, CamtStatement):
                if item.kind == "camt.053":
                    self.statements.append(StatementFile(path, item, statement_day(item)))
            elif item.credit_debit == "CRDT":
                self._note_returns(item, path)

    def _note_returns(self, entry: CamtEntry, path: Path) -> None:
        for tx in entry.transactions:
            if tx.return_reason and tx.end_to_end_id:
                day = entry.booking_date or entry.value_date
                self.returns.setdefault(
                    tx.end_to_end_id,
                    Returned(tx.end_to_end_id, tx.return_reason, tx.return_text, day, path.name),
                )


def statement_day(statement: CamtStatement) -> date:
    """The day a statement is for: its closing balance's date, else opening's, else creation."""
    for balance in (statement.closing, statement.opening):
        if balance is not None and balance.day is not None:
            return balance.day
    return statement.created_at.astimezone(VIETNAM).date()


def _group(header: ReportHeader, path: Path) -> Reported:
    return Reported(
        header.created_at,
        path.name,
        header.group_status,
        header.group_reason,
        header.group_reason_text,
        original_message_id=header.original_message_id,
    )


def _block(info: PaymentInfoStatus, header: ReportHeader, path: Path) -> Reported:
    return Reported(
        header.created_at,
        path.name,
        info.status,
        info.reason,
        info.reason_text,
        original_message_id=header.original_message_id,
        original_payment_info_id=info.original_payment_info_id,
    )


def _transaction(tx: TransactionStatus, header: ReportHeader, path: Path) -> Reported:
    return Reported(
        header.created_at,
        path.name,
        tx.status,
        tx.reason,
        tx.reason_text,
        tx.account_servicer_ref,
        tx.amount_vnd,
        per_transaction=True,
        original_message_id=header.original_message_id,
        original_payment_info_id=tx.original_payment_info_id,
    )
