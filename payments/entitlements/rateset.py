"""Rates in memory: a frozen, pure structure the calculator queries by code and date.

A row is in force from `valid_from` to `valid_to`, both days inclusive (`valid_to` None: open
ended), matching how decrees word it ("from 2021-07-01 to 2024-06-30"). Monthly amounts use
the row in force on the first day of the month; rows begin and end on month boundaries.
"""

from bisect import bisect_right
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import cached_property
from itertools import pairwise
from types import MappingProxyType
from typing import Any, TypeVar

from payments.entitlements.codes import NATIONAL, RATE_CODES, Override, Unit
from payments.errors import InvalidInput, NotFound, RuleViolation

MILLI = 1000
T = TypeVar("T")
_MISSING = object()


class RateNotFound(NotFound):
    code = "rate_not_found"
    title = "No rate in force"


def coefficient_milli(text: str | int | Decimal) -> int:
    """'1.5' -> 1500, exactly; more than three decimals is refused rather than rounded."""
    try:
        exact = Decimal(str(text)) * MILLI
    except InvalidOperation as exc:
        raise InvalidInput(f"{text!r} is not a number") from exc
    if exact != exact.to_integral_value() or exact < 0:
        raise InvalidInput(f"coefficient {text} must be non-negative with at most three decimals")
    return int(exact)


def coefficient_text(milli: int) -> str:
    """1500 -> '1.5', 20000 -> '20'."""
    whole, part = divmod(milli, MILLI)
    return f"{whole}.{part:03d}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class RateRow:
    """One figure for one code and scope over a validity period. `value` is an int (vnd, years)
    or an exact Fraction (coefficient)."""

    code: str
    scope: str
    valid_from: date
    valid_to: date | None
    unit: Unit
    value: int | Fraction
    unverified: bool = False
    source: str = ""
    id: int | None = None

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def value_text(self) -> str | int:
        if self.unit is Unit.COEFFICIENT:
            return coefficient_text(int(self.value * MILLI))
        return int(self.value)

    def describe(self) -> dict[str, Any]:
        """JSON-ready: what an explanation says about the row it used. Computed once per row
        and shared by every explanation that cites it: read it, never change it."""
        return self._description

    @cached_property
    def _description(self) -> dict[str, Any]:
        return {
            "rate_id": self.id,
            "code": self.code,
            "scope": self.scope,
            "valid_from": self.valid_from.isoformat(),
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
            "unit": self.unit.value,
            "value": self.value_text(),
            "unverified": self.unverified,
        }


_Index = Mapping[str, tuple[tuple[date, ...], tuple[RateRow, ...]]]


@dataclass(frozen=True)
class RateSet:
    """The national rows plus one province's overrides. Build with `from_rows`."""

    province_code: str | None
    national: _Index = field(repr=False)
    provincial: _Index = field(repr=False)
    # Lookups repeat for every person in a run; the answers never change, so keep them.
    _memo: dict[tuple[str, date], RateRow] = field(default_factory=dict, compare=False, repr=False)
    _derived: dict[tuple[Hashable, ...], Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_rows(cls, rows: Iterable[RateRow], province_code: str | None = None) -> "RateSet":
        national: dict[str, list[RateRow]] = {}
        provincial: dict[str, list[RateRow]] = {}
        for row in rows:
            if row.scope == NATIONAL:
                national.setdefault(row.code, []).append(row)
            elif row.scope == province_code:
                provincial.setdefault(row.code, []).append(row)
        return cls(province_code, _index(national), _index(provincial))

    def row(self, code: str, day: date) -> RateRow:
        """The row in force on `day`; a province's row wins only where its code allows it and
        it is higher than the national one (a province may pay more, never less)."""
        found = self._memo.get((code, day))
        if found is None:
            found = self._memo[(code, day)] = self._resolve(code, day)
        return found

    def _resolve(self, code: str, day: date) -> RateRow:
        national = _find(self.national, code, day)
        local = _find(self.provincial, code, day)
        if local is not None and _may_override(code) and (national is None or local.value > national.value):
            return local
        if national is None:
            where = f"national or province {self.province_code}" if self.province_code else "national"
            raise RateNotFound(
                f"no rate {code!r} in force on {day.isoformat()} ({where}): the figures are missing"
            )
        return national

    def derived(self, compute: Callable[..., T], *args: Hashable) -> T:
        """`compute(self, *args)`, computed once per distinct `args` and then remembered.

        For pure functions of these rates and of `args` that many people share (what a category
        pays at an age in a month, with its explanation): a run computes each once, not once a
        person. The result is shared by every caller, so it must never be changed. An exception
        is not remembered.
        """
        key = (compute, *args)
        found = self._derived.get(key, _MISSING)
        if found is _MISSING:
            found = self._derived[key] = compute(self, *args)
        return found  # type: ignore[no-any-return]

    def amount(self, code: str, day: date) -> tuple[int, RateRow]:
        row = self._typed(code, day, Unit.VND)
        return int(row.value), row

    def coefficient(self, code: str, day: date) -> tuple[Fraction, RateRow]:
        row = self._typed(code, day, Unit.COEFFICIENT)
        return Fraction(row.value), row

    def years(self, code: str, day: date) -> tuple[int, RateRow]:
        row = self._typed(code, day, Unit.YEARS)
        return int(row.value), row

    def rows(self) -> Iterable[RateRow]:
        for index in (self.national, self.provincial):
            for _froms, rows in index.values():
                yield from rows

    def _typed(self, code: str, day: date, unit: Unit) -> RateRow:
        row = self.row(code, day)
        if row.unit is not unit:
            raise TypeError(f"rate {code} is in {row.unit.value}, not {unit.value}")
        return row


def _may_override(code: str) -> bool:
    known = RATE_CODES.get(code)
    return known is not None and known.override is Override.HIGHER_ONLY


def _index(groups: dict[str, list[RateRow]]) -> _Index:
    index = {}
    for code, rows in groups.items():
        ordered = tuple(sorted(rows, key=lambda r: r.valid_from))
        for before, after in pairwise(ordered):
            if before.valid_to is None or before.valid_to >= after.valid_from:
                raise RuleViolation(
                    f"rate {code} ({before.scope}) has overlapping rows from {after.valid_from}"
                )
        index[code] = (tuple(r.valid_from for r in ordered), ordered)
    return MappingProxyType(index)


def _find(index: _Index, code: str, day: date) -> RateRow | None:
    entry = index.get(code)
    if entry is None:
        return None
    froms, rows = entry
    position = bisect_right(froms, day) - 1
    if position >= 0 and rows[position].covers(day):
        return rows[position]
    return None
