"""A calendar month: the unit every entitlement is owed for."""

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from payments.errors import InvalidInput

_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True)
class Period:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1900 <= self.year <= 9999:
            raise InvalidInput(f"{self.year}-{self.month:02d} is not a month")

    @classmethod
    def of(cls, day: date) -> "Period":
        return cls(day.year, day.month)

    @classmethod
    def parse(cls, text: str) -> "Period":
        """'2024-07' -> Period(2024, 7)."""
        match = _PATTERN.match(text.strip())
        if not match:
            raise InvalidInput(f"{text!r} is not a month; write it as YYYY-MM, e.g. 2024-07")
        return cls(int(match.group(1)), int(match.group(2)))

    # A run asks a month for its days and its text once a person: remembered on first use.
    @cached_property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @cached_property
    def last_day(self) -> date:
        return date(self.year, self.month, monthrange(self.year, self.month)[1])

    def next(self) -> "Period":
        return Period(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> "Period":
        return Period(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def __str__(self) -> str:
        return self._text

    @cached_property
    def _text(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"
