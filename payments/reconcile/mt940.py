"""A small strict MT940 reader: statements as `Totals` (named by a `StatementRef`) and `:61:`
bookings as movement lines.

Strict on purpose: a field we cannot read is refused with its line number instead of being
skipped, so money never silently disappears from a statement. Only VND, whole đồng. Our
reference survives only as the first 16 characters of the payout key (`:61:` customer
reference); `:86:` free text may carry the whole key after `EREF` and a return reason after
`RTRN`. Written in-house because the packaged parsers are lenient (they skip what they do not
understand) and do not report where a file is wrong.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from payments.errors import InvalidInput
from payments.reconcile.lines import CREDIT, DEBIT, Line, StatementRef, Totals, movement_status

_TAG = re.compile(r"^:(?P<tag>\d{2}[A-Z]?):(?P<value>.*)$")
_BALANCE = re.compile(r"^(?P<mark>[CD])(?P<day>\d{6})(?P<currency>[A-Z]{3})(?P<amount>\d{1,15},\d{0,2})$")
_BOOKING = re.compile(
    r"^(?P<value_day>\d{6})(?P<entry_day>\d{4})?(?P<mark>RC|RD|C|D)(?P<funds>[A-Z])?"
    r"(?P<amount>\d{1,15},\d{0,2})(?P<type>[NSF][A-Z0-9]{3})(?P<ref>.{1,16}?)(?://(?P<bank>.{0,16}))?$"
)
_EREF = re.compile(r"EREF[+/:]\s*(?P<key>[!-~]{1,35}?)(?=/|\s|$)")
_RTRN = re.compile(r"RTRN/(?P<code>[A-Z0-9]{4})")
_DIRECTION = {"D": DEBIT, "C": CREDIT, "RD": CREDIT, "RC": DEBIT}
_WRAPPER = re.compile(r"^(\{[1-5]:.*|-\}?|\})$")


class MalformedMT940(InvalidInput):
    code = "malformed_mt940"
    title = "Malformed MT940 statement"

    def __init__(self, reason: str, line: int) -> None:
        super().__init__(f"line {line}: {reason}", line=line)
        self.line = line


@dataclass
class _Statement:
    reference: str = ""  # :20:, often new on every message
    number: str = ""  # :28C: statement/sequence number
    account: str = ""
    opening: tuple[int, date] | None = None
    closing: tuple[int, date] | None = None
    booking: dict[str, object] = field(default_factory=dict)


def mt940_lines(text: str) -> Iterator[Line | Totals | StatementRef]:
    """Read every statement in `text`; raises MalformedMT940 naming the line of the problem."""
    reader = _Reader()
    for number, tag, value in _fields(text):
        yield from reader.field(number, tag, value)
    yield from reader.finish(len(text.splitlines()) or 1)


def _fields(text: str) -> Iterator[tuple[int, str, str]]:
    """(line, tag, value) with continuation lines joined to their field."""
    current: list = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip("\r ")
        if not line or _WRAPPER.match(line):
            continue
        found = _TAG.match(line)
        if found:
            if current:
                yield current[0], current[1], current[2]
            current = [number, found["tag"], found["value"]]
        elif current:
            current[2] += "\n" + line
        else:
            raise MalformedMT940("text before the first field (expected ':20:')", number)
    if current:
        yield current[0], current[1], current[2]


class _Reader:
    def __init__(self) -> None:
        self.statement: _Statement | None = None
        self.position = 0
        self.pending: tuple[int, dict] | None = None

    def field(self, number: int, tag: str, value: str) -> Iterator[Line | Totals | StatementRef]:
        if tag == "20":
            yield from self.finish(number)
            self.statement = _Statement(reference=value.strip()[:35])
            return
        if self.statement is None:
            raise MalformedMT940(f"field :{tag}: before ':20:'", number)
        if tag == "25":
            self.statement.account = value.strip()[:60]
        elif tag == "28C":
            self.statement.number = value.strip()[:20]
        elif tag in ("60F", "60M"):
            self.statement.opening = _balance(value, number)
        elif tag == "61":
            yield from self._flush()
            self.pending = (number, _booking(value, number))
        elif tag == "86" and self.pending is not None:
            self.pending[1]["info"] = value
        elif tag in ("62F", "62M"):
            yield from self._flush()
            self.statement.closing = _balance(value, number)

    def _flush(self) -> Iterator[Line]:
        if self.pending is not None:
            number, parts = self.pending
            self.pending = None
            self.position += 1
            yield _line(parts, self.position, number)

    def finish(self, number: int) -> Iterator[Line | Totals | StatementRef]:
        yield from self._flush()
        statement, self.statement = self.statement, None
        if statement is None:
            return
        if statement.opening is None or statement.closing is None:
            raise MalformedMT940("a statement needs an opening (:60F:) and a closing (:62F:) balance", number)
        if not statement.account:
            raise MalformedMT940("a statement needs its account (:25:)", number)
        (opening, first), (closing, last) = statement.opening, statement.closing
        yield _ref(statement, first, last)
        yield Totals(statement.account, first, last, opening, closing)


def _ref(statement: _Statement, first: date, last: date) -> StatementRef:
    """Account, statement number (:28C:) and days. A bank that sends a statement again usually
    gives the message a new :20:, so :20: names the statement only when :28C: is missing."""
    named = f":28C:{statement.number}" if statement.number else f":20:{statement.reference}"
    return StatementRef("mt940", statement.account, named, f"{first.isoformat()}..{last.isoformat()}")


def _amount(text: str, number: int) -> int:
    whole, _, fraction = text.partition(",")
    if fraction.strip("0"):
        raise MalformedMT940(f"amount {text} has a fraction of a đồng", number)
    return int(whole)


def _day(text: str, number: int) -> date:
    try:
        return date(2000 + int(text[:2]), int(text[2:4]), int(text[4:6]))
    except ValueError as exc:
        raise MalformedMT940(f"{text} is not a date (YYMMDD)", number) from exc


def _entry_day(value_day: date, month_day: str, number: int) -> date:
    """The entry date (MMDD, no year) in the year that puts it nearest the value date: booked
    on 2 January for value 31 December is the next year's, on 31 December for value 2 January
    the year before."""
    found = []
    for year in (value_day.year - 1, value_day.year, value_day.year + 1):
        try:
            found.append(date(year, int(month_day[:2]), int(month_day[2:])))
        except ValueError:
            continue  # 29 February, in a year without it
    if not found:
        raise MalformedMT940(f"{month_day} is not an entry date (MMDD)", number)
    return min(found, key=lambda day: abs((day - value_day).days))


def _balance(value: str, number: int) -> tuple[int, date]:
    found = _BALANCE.match(value.strip())
    if not found:
        raise MalformedMT940("a balance reads like C241001VND1000000,", number)
    if found["currency"] != "VND":
        raise MalformedMT940(f"currency {found['currency']}: only VND statements are reconciled", number)
    amount = _amount(found["amount"], number)
    return (amount if found["mark"] == "C" else -amount), _day(found["day"], number)


def _booking(value: str, number: int) -> dict:
    first, _, extra = value.partition("\n")
    found = _BOOKING.match(first.strip())
    if not found:
        raise MalformedMT940("an entry (:61:) reads like 2410011001D750000,NTRFREFERENCE//BANKREF", number)
    amount = _amount(found["amount"], number)
    if amount <= 0:
        raise MalformedMT940("an entry amount must be more than zero", number)
    value_day = _day(found["value_day"], number)
    booked = _entry_day(value_day, found["entry_day"], number) if found["entry_day"] else value_day
    reference = found["ref"].strip()
    return {
        "amount": amount,
        "direction": _DIRECTION[found["mark"]],
        "day": booked,
        "reference": None if reference == "NONREF" else reference,
        "bank": (found["bank"] or "").strip() or None,
        "info": extra,
    }


def _line(parts: dict, position: int, number: int) -> Line:
    info = str(parts.get("info") or "").replace("\n", "")
    eref, rtrn = _EREF.search(info), _RTRN.search(info)
    direction = str(parts["direction"])
    return Line(
        position=position,
        movement=True,
        status=movement_status(direction),
        amount_vnd=int(parts["amount"]),  # type: ignore[call-overload]
        direction=direction,
        booking_date=parts["day"],  # type: ignore[arg-type]
        end_to_end_id=eref["key"] if eref else None,
        account_servicer_ref=parts["bank"],  # type: ignore[arg-type]
        reference=parts["reference"],  # type: ignore[arg-type]
        reason=rtrn["code"] if rtrn and direction == CREDIT else None,
        reason_text=info[:300],
        line_no=number,
    )
