"""Confirmation files the tests build: camt.053/054, pain.002, MT940 and CSV reports.

A `Booking` is one movement on our account at the bank: DBIT pays a payout out, CRDT brings
one back. Files are built from bookings so each test states what the bank says in one line.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime

from payments.adapters.iso20022.camt import Balance, BatchInfo, CamtEntry, CamtStatement, CamtTransaction
from payments.adapters.iso20022.camt_writer import camt_bytes
from payments.adapters.iso20022.pain002 import (
    PaymentInfoStatus,
    ReportHeader,
    StatusReport,
    TransactionStatus,
    build_pain002,
)

OPENING = 10_000_000_000


@dataclass(frozen=True)
class Booking:
    key: str | None
    amount_vnd: int
    direction: str = "DBIT"
    day: date | None = None
    reason: str | None = None
    instr_id: str | None = None
    tx_id: str | None = None
    name: str | None = None
    block: str | None = None  # a batch booking for this PmtInfId (no per-payout details)
    count: int | None = None


def signed(bookings: list[Booking]) -> int:
    return sum(b.amount_vnd if b.direction == "CRDT" else -b.amount_vnd for b in bookings)


def camt(
    bookings: list[Booking], day: date, *, kind: str = "camt.053", closing_off_by: int = 0, tag: str = ""
) -> bytes:
    """A statement for `day` (balances that tie unless `closing_off_by`), or a notification."""
    closing = OPENING + signed(bookings) + closing_off_by
    balances = (_balance("OPBD", OPENING, day), _balance("CLBD", closing, day)) if kind == "camt.053" else ()
    statement = CamtStatement(
        kind=kind,
        message_id=f"MSG-{day:%Y%m%d}{tag}",
        created_at=datetime(day.year, day.month, day.day, 16, tzinfo=UTC),
        statement_id=f"STMT-{day:%Y%m%d}{tag}",
        account="0071000123456",
        balances=balances,
    )
    return camt_bytes(statement, [_entry(b, n, day, tag) for n, b in enumerate(bookings, 1)])


def _balance(code: str, amount: int, day: date) -> Balance:
    return Balance(code, abs(amount), "CRDT" if amount >= 0 else "DBIT", day)


def _entry(b: Booking, n: int, day: date, tag: str) -> CamtEntry:
    reference = f"FT{day:%y%m%d}{tag}{n:05d}"  # the bank's booking reference
    if b.block is not None:
        batch = BatchInfo(None, b.block, b.count, b.amount_vnd, b.direction)
        return CamtEntry(
            statement_id="S", position=n, line=None, amount_vnd=b.amount_vnd, credit_debit=b.direction,
            status="BOOK", booking_date=b.day or day, value_date=None, account_servicer_ref=reference,
            batches=(batch,),
        )  # fmt: skip
    tx = CamtTransaction(
        end_to_end_id=b.key, instruction_id=b.instr_id, payment_info_id=None, message_id=None,
        account_servicer_ref=None, transaction_id=b.tx_id, amount_vnd=b.amount_vnd, credit_debit=b.direction,
        return_reason=b.reason, creditor_name=b.name,
    )  # fmt: skip
    return CamtEntry(
        statement_id="S", position=n, line=None, amount_vnd=b.amount_vnd, credit_debit=b.direction,
        status="BOOK", booking_date=b.day or day, value_date=None, account_servicer_ref=reference,
        transactions=(tx,),
    )  # fmt: skip


@dataclass(frozen=True)
class Status:
    key: str | None
    status: str  # ACSC, RJCT, ACSP ...
    reason: str | None = None
    amount_vnd: int | None = None
    block: str = "BLOCK-1"
    instr_id: str | None = None


def pain002(statuses: list[Status], *, blocks: tuple[PaymentInfoStatus, ...] = (), tag: str = "1") -> bytes:
    header = ReportHeader(
        message_id=f"PSR-{tag}",
        created_at=datetime(2024, 8, 21, 9, tzinfo=UTC),
        original_message_id="B-ORIGINAL",
        original_message_name="pain.001.001.09",
    )
    txs = tuple(
        TransactionStatus(
            original_payment_info_id=s.block,
            original_end_to_end_id=s.key,
            original_instruction_id=s.instr_id,
            status=s.status,
            reason=s.reason,
            amount_vnd=s.amount_vnd,
        )
        for s in statuses
    )
    return build_pain002(StatusReport(header, blocks, txs))


def mt940(
    bookings: list[Booking], day: date, *, eref: bool = True, closing_off_by: int = 0, kept: int = 16
) -> bytes:
    """An MT940: `:61:` keeps the first `kept` (16) characters of the key; `:86:` the whole key if `eref`."""
    lines = [f":20:STMT{day:%y%m%d}", ":25:0071000123456", ":28C:00001/001"]
    lines.append(f":60F:C{day:%y%m%d}VND{OPENING},")
    for b in bookings:
        mark = "D" if b.direction == "DBIT" else "C"
        reference = (b.key or "NONREF")[:kept]
        lines.append(f":61:{day:%y%m%d}{day:%m%d}{mark}{b.amount_vnd},NTRF{reference}//FT{b.amount_vnd}")
        info = f"EREF+{b.key} " if eref and b.key else ""
        lines.append(f":86:{info}TRO CAP BTXH{' RTRN/' + b.reason + '/' if b.reason else ''}")
    closing = OPENING + signed(bookings) + closing_off_by
    lines.append(f":62F:C{day:%y%m%d}VND{closing},")
    return ("\n".join(lines) + "\n").encode()


def ewallet_csv(bookings: list[Booking], day: date) -> bytes:
    rows = ["record_type,transaction_id,order_id,amount,direction,status,booked_at,error_code"]
    rows.append(f"OPENING,,,{OPENING},,,,")
    for n, b in enumerate(bookings, 1):
        status = "REFUNDED" if b.direction == "CRDT" else "SUCCESS"
        error = {"AC04": "WALLET_CLOSED"}.get(b.reason or "", "")
        rows.append(f"ENTRY,WTX{n:06d},{b.key or ''},{b.amount_vnd},{b.direction},{status},{day},{error}")
    rows.append(f"CLOSING,,,{OPENING + signed(bookings)},,,,")
    return ("\n".join(rows) + "\n").encode()
