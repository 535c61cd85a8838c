"""One CSV row of a beneficiary list: parsed into Person, Terms and Instrument, or problems.

Pure (reference data passed in). The header is documented in importer.py.
"""

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from payments.registry.validation import (
    Instrument,
    Person,
    Problem,
    Reference,
    Terms,
    first_of_month,
    instrument_problems,
    person_problems,
    terms_problems,
)

CSV_HEADER = (
    "citizen_id", "legacy_id", "full_name", "date_of_birth", "sex", "commune_code", "phone",
    "programme", "category", "parameters", "decision_number", "decision_date", "start_month", "end_month",
    "instrument_kind", "bank_bin", "account_number", "holder_name", "wallet_provider", "wallet_phone",
    "effective_date",
)  # fmt: skip
REQUIRED = ("citizen_id", "full_name", "date_of_birth", "sex", "commune_code", "programme", "category",
            "decision_number", "decision_date")  # fmt: skip
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_MY = re.compile(r"(\d{1,2})/(\d{4})")
_SEXES = {
    "male": "male",
    "nam": "male",
    "m": "male",
    "female": "female",
    "nữ": "female",
    "nu": "female",
    "f": "female",
}


@dataclass(frozen=True)
class RowProblem:
    row: int  # the line in the file (the header is line 1)
    column: str
    message: str


@dataclass(frozen=True)
class ParsedRow:
    line: int
    person: Person
    terms: Terms
    instrument: Instrument | None
    effective_date: date | None


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def day(self, raw: dict[str, str], column: str) -> date | None:
        text = raw.get(column, "").strip()
        if not text:
            return None
        match = _DMY.fullmatch(text)
        iso = f"{match[3]}-{int(match[2]):02d}-{int(match[1]):02d}" if match else text
        try:
            return date.fromisoformat(iso)
        except ValueError:
            self.problems.append(Problem(column, f"{text!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)"))
            return None

    def month(self, raw: dict[str, str], column: str) -> date | None:
        text = raw.get(column, "").strip()
        if not text:
            return None
        match = _MY.fullmatch(text)
        iso = f"{match[2]}-{int(match[1]):02d}" if match else text
        try:
            return date.fromisoformat(f"{iso}-01")
        except ValueError:
            self.problems.append(Problem(column, f"{text!r} is not a month (YYYY-MM or MM/YYYY)"))
            return None

    def parameters(self, raw: dict[str, str]) -> dict[str, Any]:
        params: dict[str, Any] = {}
        for item in filter(None, (part.strip() for part in raw.get("parameters", "").split(";"))):
            name, sep, value = item.partition("=")
            if not sep or not name.strip():
                self.problems.append(Problem("parameters", f"{item!r} is not name=value"))
                continue
            params[name.strip()] = value.strip()
        return params


def parse_row(
    line: int, raw: dict[str, str], ref: Reference, today: date, *, check: bool = True
) -> tuple[ParsedRow | None, list[Problem]]:
    """The row as domain values, or None and every problem found (column and plain message).
    `check=False` skips the rules (for a row already checked in the first pass)."""
    raw = {key: (value or "").strip() for key, value in raw.items() if key is not None}
    missing = [Problem(column, "this column is required") for column in REQUIRED if not raw.get(column)]
    if missing:
        return None, missing
    collect = _Collector()
    born, decided = collect.day(raw, "date_of_birth"), collect.day(raw, "decision_date")
    start, end = collect.month(raw, "start_month"), collect.month(raw, "end_month")
    effective, params = collect.day(raw, "effective_date"), collect.parameters(raw)
    if collect.problems or born is None or decided is None:
        return None, collect.problems
    person = Person(
        citizen_id=raw["citizen_id"],
        full_name=raw["full_name"],
        date_of_birth=born,
        sex=_SEXES.get(raw["sex"].lower(), raw["sex"]),
        commune_code=raw["commune_code"],
        phone=raw.get("phone") or None,
        legacy_id=raw.get("legacy_id") or None,
    ).normalised()
    terms = Terms(
        programme=raw["programme"].upper(),
        category_code=raw["category"].upper(),
        decision_number=raw["decision_number"],
        decision_date=decided,
        start_month=start or first_of_month(decided),
        end_month=end,
        parameters=params,
    )
    instrument = _instrument(raw)
    if not check:
        return ParsedRow(line, person, terms, instrument, effective), []
    problems = person_problems(person, ref, today) + terms_problems(terms, ref, today)
    if instrument is not None:
        problems += instrument_problems(instrument, ref)
    if effective is not None and effective > today:
        problems.append(Problem("effective_date", "the effective date is in the future"))
    return (None if problems else ParsedRow(line, person, terms, instrument, effective)), problems


def _instrument(raw: dict[str, str]) -> Instrument | None:
    kind = raw.get("instrument_kind", "").lower()
    if not kind:
        return None
    return Instrument(
        kind=kind,
        bank_bin=raw.get("bank_bin") or None,
        account_number=raw.get("account_number") or None,
        holder_name=raw.get("holder_name") or None,
        wallet_provider=(raw.get("wallet_provider") or "").upper() or None,
        wallet_phone=raw.get("wallet_phone") or None,
    ).normalised()
