"""Settlement reports in CSV, read through a column mapping per adapter.

A mapping names, for each of our fields, the provider's column, and translates its status and
error codes. `ewallet` is the e-wallet provider's daily settlement report (OPENING, ENTRY and
CLOSING rows); `bank_csv` is a plain per-payout export some banks offer. An adapter instance
may bring its own mapping in configuration (`csv_mapping`, see `csv_config`); an adapter
without one gets the built-in mapping of its name, else the one whose columns the file's header
has. Rows are read strictly: a bad row is refused with its line number, and the whole file with
it. A report with balances is a statement, named by adapter, account and days.
"""

import csv
import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from payments.errors import InvalidInput
from payments.reconcile.lines import (
    CREDIT,
    DEBIT,
    Line,
    StatementRef,
    Totals,
    movement_status,
    report_days,
)


class MalformedCsv(InvalidInput):
    code = "malformed_csv"
    title = "Malformed CSV report"

    def __init__(self, reason: str, line: int) -> None:
        super().__init__(f"line {line}: {reason}", line=line)
        self.line = line


@dataclass(frozen=True)
class CsvMapping:
    """Our field -> the provider's column. `record_type` marks balance rows when the report
    has them (`opening`/`closing`/`entry` values)."""

    name: str
    columns: Mapping[str, str]
    record_type: str | None = None
    kinds: Mapping[str, str] = field(default_factory=dict)  # provider value -> opening|closing|entry
    directions: Mapping[str, str] = field(default_factory=lambda: {"DBIT": DEBIT, "CRDT": CREDIT})
    reasons: Mapping[str, str] = field(default_factory=dict)

    @property
    def needed(self) -> set[str]:
        return set(self.columns.values()) | ({self.record_type} if self.record_type else set())


EWALLET = CsvMapping(
    name="ewallet",
    columns={
        "provider_tx_id": "transaction_id",
        "end_to_end_id": "order_id",
        "amount_vnd": "amount",
        "direction": "direction",
        "booking_date": "booked_at",
        "reason": "error_code",
    },
    record_type="record_type",
    kinds={"OPENING": "opening", "CLOSING": "closing", "ENTRY": "entry"},
    reasons={"WALLET_NOT_FOUND": "AC01", "WALLET_CLOSED": "AC04", "WALLET_LOCKED": "AC06"},
)
BANK_CSV = CsvMapping(
    name="bank_csv",
    columns={
        "end_to_end_id": "end_to_end_id",
        "amount_vnd": "amount_vnd",
        "direction": "direction",
        "booking_date": "booking_date",
        "account_servicer_ref": "bank_reference",
        "reason": "reason",
        "holder_name": "holder_name",
    },
    directions={"D": DEBIT, "C": CREDIT, "DBIT": DEBIT, "CRDT": CREDIT},
)
BUILT_IN = {m.name: m for m in (EWALLET, BANK_CSV)}
REQUIRED_FIELDS = frozenset({"amount_vnd", "direction", "booking_date"})
OPTIONAL_FIELDS = frozenset(
    {"end_to_end_id", "provider_tx_id", "account_servicer_ref", "reason", "holder_name"}
)
REFERENCE_FIELDS = frozenset({"end_to_end_id", "provider_tx_id"})  # what a row is matched by


def mapping_for(
    adapter: str, header: list[str], configured: Mapping[str, CsvMapping] | None = None
) -> CsvMapping:
    """The adapter instance's configured mapping; else the built-in one of its name; else the
    built-in one whose columns the header has."""
    if configured and adapter in configured:
        return configured[adapter]
    if adapter in BUILT_IN:
        return BUILT_IN[adapter]
    for candidate in BUILT_IN.values():
        if candidate.needed <= set(header):
            return candidate
    raise MalformedCsv(f"no column mapping for adapter {adapter!r} fits the columns {', '.join(header)}", 1)


def csv_lines(
    text: str,
    adapter: str,
    account: str = "",
    day: date | None = None,
    mappings: Mapping[str, CsvMapping] | None = None,
) -> Iterator[Line | Totals | StatementRef]:
    """Entry rows as movement lines, then the report's balances (if it has OPENING/CLOSING)
    and its `StatementRef`. `mappings` are the configured ones, by adapter instance."""
    reader = csv.DictReader(io.StringIO(text))
    with _readable(reader):
        header = list(reader.fieldnames or [])
    mapping = mapping_for(adapter, header, mappings)
    missing = mapping.needed - set(reader.fieldnames or [])
    if missing:
        raise MalformedCsv(f"missing column(s) {', '.join(sorted(missing))}", 1)
    balances: dict[str, int] = {}
    days: list[date] = []
    position = 0
    for row in _rows(reader):
        number = reader.line_num
        kind = mapping.kinds.get(row[mapping.record_type], "") if mapping.record_type else "entry"
        if kind in ("opening", "closing"):
            balances[kind] = _int(row[mapping.columns["amount_vnd"]], number)
        elif kind == "entry":
            position += 1
            line = _line(row, mapping, position, number)
            days.append(line.booking_date)  # type: ignore[arg-type]
            yield line
        else:
            raise MalformedCsv(f"unknown record type {row[mapping.record_type or '']!r}", number)
    if balances:
        totals = _totals(balances, days or ([day] if day else []), account or adapter, reader.line_num)
        span = f"{totals.first_day.isoformat()}..{totals.last_day.isoformat()}"
        yield StatementRef("csv", totals.account, f"report of {adapter}", span)
        yield from report_days(adapter, totals.first_day, totals.last_day)
        yield totals


def _line(row: dict[str, str], mapping: CsvMapping, position: int, number: int) -> Line:
    value = {ours: (row.get(theirs) or "").strip() for ours, theirs in mapping.columns.items()}
    direction = mapping.directions.get(value["direction"])
    if direction is None:
        raise MalformedCsv(
            f"direction {value['direction']!r} is not one of {', '.join(mapping.directions)}", number
        )
    amount = _int(value["amount_vnd"], number)
    if amount <= 0:
        raise MalformedCsv("amount must be a positive number of đồng", number)
    reason = value.get("reason") or None
    return Line(
        position=position,
        movement=True,
        status=movement_status(direction),
        amount_vnd=amount,
        direction=direction,
        booking_date=_date(value["booking_date"], number),
        end_to_end_id=value.get("end_to_end_id") or None,
        provider_tx_id=value.get("provider_tx_id") or None,
        account_servicer_ref=value.get("account_servicer_ref") or None,
        reason=mapping.reasons.get(reason, "MS03") if reason and direction == CREDIT else None,
        reason_text=(reason or "")[:300],
        holder_name=value.get("holder_name") or None,
        line_no=number,
    )


def _totals(balances: dict[str, int], days: list[date], account: str, number: int) -> Totals:
    if set(balances) != {"opening", "closing"}:
        raise MalformedCsv("a report with balances needs both an OPENING and a CLOSING row", number)
    if not days:
        raise MalformedCsv("a report with balances but no entries needs its day given", number)
    first, last = min(days), max(days)
    return Totals(account[:60], first, last, balances["opening"], balances["closing"])


def _int(text: str, number: int) -> int:
    try:
        return int(text.strip())
    except ValueError as exc:
        raise MalformedCsv(f"{text!r} is not a whole number of đồng", number) from exc


def _date(text: str, number: int) -> date:
    try:
        return date.fromisoformat(text[:10])
    except ValueError as exc:
        raise MalformedCsv(f"{text!r} is not a date (YYYY-MM-DD)", number) from exc


def _rows(reader: "csv.DictReader[str]") -> Iterator[dict[str, str]]:
    """The reader's rows; one the csv module cannot read is a MalformedCsv naming its line."""
    while True:
        with _readable(reader):
            row = next(reader, None)
        if row is None:
            return
        yield row


@contextmanager
def _readable(reader: "csv.DictReader[str]") -> Iterator[None]:
    try:
        yield
    except csv.Error as exc:  # a field over the csv module's size limit, a NUL byte
        # The DictReader's own line_num lags a failed row; its underlying reader's counts it.
        raise MalformedCsv(f"unreadable CSV ({exc})", max(reader.reader.line_num, 1)) from exc
