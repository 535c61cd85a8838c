"""Which reader a file needs, and the other ways news arrives: fetched statements, callbacks.

`read_lines(kind, data, adapter)` yields `Line`s, `Totals` and `StatementRef`s for any supported file kind;
`detect_kind(data)` tells the kind from the first bytes (XML namespace, MT940 tag, else CSV).
"""

import hashlib
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path

from payments.adapters.iso20022.xmlsafe import message_family
from payments.adapters.messages import CallbackEvent
from payments.adapters.statements import Statement
from payments.chain import canonical_json
from payments.clock import local_date
from payments.errors import InvalidInput
from payments.reconcile.csv_reports import CsvMapping, csv_lines
from payments.reconcile.iso_readers import camt_lines, pain002_lines
from payments.reconcile.lines import Line, StatementRef, Totals, movement_status, report_days
from payments.reconcile.mt940 import mt940_lines

FILE_KINDS = ("camt.053", "camt.054", "pain.002", "mt940", "csv")


def detect_kind(data: bytes | Path) -> str:
    """`camt.053`, `camt.054`, `pain.002`, `mt940` or `csv`. Raises InvalidInput otherwise."""
    if isinstance(data, Path):
        with data.open("rb") as stream:
            head = stream.read(2048)
        return _kind_of(head, data)
    return _kind_of(data[:2048], data)


def _kind_of(head: bytes, data: bytes | Path) -> str:
    head = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        family = message_family(data)
        if family not in FILE_KINDS:
            raise InvalidInput(f"a {family} message is not a confirmation; import a pain.002 or camt file")
        return family
    if head.startswith((b":20:", b"{1:")):
        return "mt940"
    if b"," in head.split(b"\n", 1)[0]:
        return "csv"
    raise InvalidInput("the file is neither ISO 20022 XML, MT940 nor a CSV report")


def read_lines(
    kind: str,
    data: bytes | Path,
    adapter: str,
    day: date | None = None,
    csv_mappings: Mapping[str, CsvMapping] | None = None,
) -> Iterator[Line | Totals | StatementRef]:
    """Lines of a file of `kind`; raises InvalidInput (MalformedMessage, MalformedMT940,
    MalformedCsv) naming the element path or line of the first problem. `csv_mappings` are
    the configured CSV mappings by adapter instance."""
    if kind in ("camt.053", "camt.054"):
        return camt_lines(data)
    if kind == "pain.002":
        return pain002_lines(data)
    text = _text(data if isinstance(data, bytes) else data.read_bytes())
    if kind == "mt940":
        return mt940_lines(text)
    if kind == "csv":
        return csv_lines(text, adapter, day=day, mappings=csv_mappings)
    raise InvalidInput(f"unknown file kind {kind!r}; one of {', '.join(FILE_KINDS)}")


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"the file is not UTF-8 text (byte {exc.start})") from exc


def statement_lines(statement: Statement, adapter: str) -> Iterator[Line | Totals | StatementRef]:
    """A statement an adapter fetched (`fetch_statement`), in the same shape as a file: one
    statement per adapter, account and day."""
    account = statement.account_id[:60]
    yield StatementRef("statement", account, f"{adapter} {statement.day.isoformat()}")
    yield from report_days(adapter, statement.day, statement.day)
    yield Totals(
        statement.account_id[:60],
        statement.day,
        statement.day,
        statement.opening_balance_vnd,
        statement.closing_balance_vnd,
    )
    booked = (e for e in statement.entries if e.status == "BOOK")
    for position, entry in enumerate(booked, 1):
        yield Line(
            position=position,
            movement=True,
            status=movement_status(entry.direction.value),
            amount_vnd=entry.amount_vnd,
            direction=entry.direction.value,
            booking_date=entry.booking_date,
            end_to_end_id=entry.end_to_end_id,
            instr_id=entry.instr_id,
            provider_tx_id=entry.provider_tx_id,
            account_servicer_ref=entry.account_servicer_ref,
            reason=entry.reason.value if entry.reason else None,
            reason_text=entry.remittance_info[:300],
        )


def statement_digest(statement: Statement) -> str:
    """SHA-256 of a fetched statement's canonical form: the same statement twice is a duplicate."""
    body = {
        "account": statement.account_id,
        "day": statement.day.isoformat(),
        "opening": statement.opening_balance_vnd,
        "closing": statement.closing_balance_vnd,
        "entries": [
            [e.amount_vnd, e.direction.value, e.booking_date.isoformat(), e.end_to_end_id or "",
             e.provider_tx_id or "", e.account_servicer_ref or "", e.status]
            for e in statement.entries
        ],
    }  # fmt: skip
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


def callback_line(event: CallbackEvent) -> Line:
    """A verified callback: a status line for one payout key."""
    return Line(
        position=1,
        movement=False,
        status=event.status.value,
        amount_vnd=event.amount_vnd,
        booking_date=local_date(event.occurred_at),
        end_to_end_id=event.payout_key,
        provider_tx_id=event.provider_reference,
        reason=event.reason.value if event.reason else None,
        reason_text=event.reason_text[:300],
    )
