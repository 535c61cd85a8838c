"""The files the simulated bank writes into the inbox: pain.002, camt.053 and camt.054.

Statements are consecutive slices of the bank's book: each camt.053 holds every entry not yet
reported, its opening balance is the previous closing balance, so balances always chain and
no entry is on two statements. Files are written atomically, each under a fresh name.
"""

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from lxml import etree

from payments.adapters.iso20022.camt import Balance, BatchInfo, CamtEntry, CamtStatement, CamtTransaction
from payments.adapters.iso20022.camt_writer import camt_bytes
from payments.adapters.iso20022.pain001 import CreditTransfer, Pain001
from payments.adapters.iso20022.pain002 import ReportHeader, StatusReport, TransactionStatus, build_pain002
from payments.adapters.iso20022.xmlsafe import MalformedMessage, parse_tree
from payments.adapters.iso20022.xmlwrite import write_atomically
from payments.adapters.simkit import Book, BookEntry

_AMOUNT_ERRORS = {"NbOfTxs": "AM18", "CtrlSum": "AM10"}  # invalid number of transactions / control sum


@dataclass(frozen=True)
class _Refs:
    """What the bank remembers of a payout to echo it on statements."""

    message_id: str
    payment_info_id: str
    instruction_id: str
    creditor_name: str
    creditor_account: str
    batch_booking: bool


class FileWriter:
    def __init__(self, inbox: Path, book: Book, account: str, opening_vnd: int, clock: object) -> None:
        self.inbox, self.book, self.account = inbox, book, account
        self.clock = clock
        self._refs: dict[str, _Refs] = {}
        self._reported = 0  # entries of the book already on a statement
        self._closing = opening_vnd
        self._sequence = 0

    def remember(self, key: str, message: Pain001, transfer: CreditTransfer) -> None:
        self._refs[key] = _Refs(
            message.message_id,
            message.payment_info_id,
            transfer.instruction_id,
            transfer.creditor_name,
            transfer.creditor_account,
            message.batch_booking,
        )

    def _now(self) -> datetime:
        return self.clock()  # type: ignore[operator]

    # --- status reports ----------------------------------------------------------------------

    def report(self, message: Pain001, statuses: list[TransactionStatus], *, duplicate: bool) -> None:
        """One pain.002 for (part of) a file; `duplicate` delivers it twice under two MsgIds.

        GrpSts speaks for the whole file, so a report on part of it carries none.
        """
        codes = {s.status for s in statuses}
        group = (codes.pop() if len(codes) == 1 else "PART") if len(statuses) == message.count else None
        for _copy in range(2 if duplicate else 1):
            header = ReportHeader(
                self.book.next_id("PSR"), self._now(), message.message_id, "pain.001.001.09", group
            )
            self._write(
                "pain002", header.message_id, build_pain002(StatusReport(header, (), tuple(statuses)))
            )

    def file_rejected(self, path: Path, error: MalformedMessage) -> None:
        """A whole file refused: GrpSts RJCT with FF01 (format), AM18 or AM10 (control totals)."""
        code = _AMOUNT_ERRORS.get(error.path.rsplit("/", 1)[-1], "FF01")
        header = ReportHeader(
            self.book.next_id("PSR"),
            self._now(),
            _message_id_of(path),
            "pain.001.001.09",
            "RJCT",
            code,
            f"{error.path}: {error.reason}"[:105],
        )
        self._write("pain002", header.message_id, build_pain002(StatusReport(header)))

    # --- statements and notifications ---------------------------------------------------------

    def notification(self, entry: BookEntry) -> Path:
        """A camt.054 for one booked entry (a return, with its reason)."""
        header = CamtStatement(
            "camt.054", self.book.next_id("NTF"), self._now(), self.book.next_id("N"), self.account
        )
        return self._write("camt054", header.statement_id, camt_bytes(header, [self._entry(entry)]))

    def unreported_before(self, day: date) -> bool:
        return any(e.day < day for e in self.book.entries[self._reported :])

    def statement(self, day: date) -> Path:
        pending = [e for e in self.book.entries[self._reported :] if e.day <= day]
        opening = self._closing
        closing = opening + sum(e.amount_vnd if e.direction == "CRDT" else -e.amount_vnd for e in pending)
        self._sequence += 1
        statement_id = f"STMT-{day:%Y%m%d}-{self._sequence:04d}"
        header = CamtStatement(
            "camt.053",
            self.book.next_id("EOD"),
            self._now(),
            statement_id,
            self.account,
            (_balance("OPBD", opening, day), _balance("CLBD", closing, day)),
            self._sequence,
        )
        path = self._write("camt053", statement_id, camt_bytes(header, self._entries(pending)))
        self._reported += len(pending)
        self._closing = closing
        return path

    def _entries(self, pending: list[BookEntry]) -> list[CamtEntry]:
        """Entries of batch-booked files are merged into one debit per PmtInf with a Btch."""
        out: list[CamtEntry] = []
        batch: list[BookEntry] = []
        for entry in pending:
            refs = self._refs.get(entry.key)
            if batch and (
                refs is None
                or not refs.batch_booking
                or entry.direction != "DBIT"
                or refs.payment_info_id != self._refs[batch[0].key].payment_info_id
            ):
                out.append(self._batch_entry(batch))
                batch = []
            if refs is not None and refs.batch_booking and entry.direction == "DBIT":
                batch.append(entry)
            else:
                out.append(self._entry(entry))
        if batch:
            out.append(self._batch_entry(batch))
        return out

    def _entry(self, entry: BookEntry) -> CamtEntry:
        code = "PMNT/ICDT/RRTN" if entry.direction == "CRDT" else "PMNT/ICDT/DMCT"
        return CamtEntry(
            "",
            0,
            None,
            entry.amount_vnd,
            entry.direction,
            "BOOK",
            entry.day,
            entry.day,
            entry.servicer_ref,
            bank_transaction_code=code,
            transactions=(self._transaction(entry),),
        )

    def _batch_entry(self, entries: list[BookEntry]) -> CamtEntry:
        refs = self._refs[entries[0].key]
        total = sum(e.amount_vnd for e in entries)
        batch = BatchInfo(refs.message_id, refs.payment_info_id, len(entries), total, "DBIT")
        return CamtEntry(
            "",
            0,
            None,
            total,
            "DBIT",
            "BOOK",
            entries[0].day,
            entries[0].day,
            f"{entries[0].servicer_ref}B",
            bank_transaction_code="PMNT/ICDT/DMCT",
            batches=(batch,),
            transactions=tuple(self._transaction(e) for e in entries),
        )

    def _transaction(self, entry: BookEntry) -> CamtTransaction:
        refs = self._refs.get(entry.key)
        return CamtTransaction(
            end_to_end_id=entry.key,
            instruction_id=refs.instruction_id if refs else None,
            payment_info_id=refs.payment_info_id if refs else None,
            message_id=refs.message_id if refs else None,
            account_servicer_ref=entry.servicer_ref,
            transaction_id=entry.tx_id,
            amount_vnd=entry.amount_vnd,
            credit_debit=entry.direction,
            return_reason=entry.reason if entry.direction == "CRDT" else None,
            creditor_name=refs.creditor_name if refs else None,
            creditor_account=refs.creditor_account if refs else None,
        )

    def _write(self, prefix: str, ident: str, data: bytes) -> Path:
        path = self.inbox / f"{prefix}-{ident}.xml"
        write_atomically(path, data)
        return path


def _balance(code: str, signed_vnd: int, day: date) -> Balance:
    return Balance(code, abs(signed_vnd), "CRDT" if signed_vnd >= 0 else "DBIT", day)


def _message_id_of(path: Path) -> str:
    """The MsgId of a refused file if it can still be read, else a placeholder."""
    try:
        root = parse_tree(path).getroot()
    except MalformedMessage:
        return "UNREADABLE"
    found = root.find("{*}CstmrCdtTrfInitn/{*}GrpHdr/{*}MsgId")
    text = (found.text or "").strip() if isinstance(found, etree._Element) else ""
    return text[:35] or "UNREADABLE"
