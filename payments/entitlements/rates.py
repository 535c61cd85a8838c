"""Administering rates: add, close and correct rows, and load them for the calculator.

Rows for one code and scope must tile time: no overlap and no gap between consecutive rows
(before the first row and after the last one nothing is in force, which is not a gap).
Every change takes the `rates` writer lock, is audited in the same transaction, and names
the dates concerned when it is refused.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from sqlalchemy.orm import Session

from payments.audit.services import record_event
from payments.clock import Clock, utcnow
from payments.context import Actor
from payments.db import serialize_writers
from payments.entitlements import repository
from payments.entitlements.codes import NATIONAL, RATE_CODES, Override, RateCode, Unit
from payments.entitlements.model import Rate
from payments.entitlements.period import Period
from payments.entitlements.rateset import MILLI, RateSet, coefficient_milli
from payments.errors import InvalidInput, NotFound, RuleViolation

_PROVINCE = re.compile(r"^\d{2}$")
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class NewRate:
    code: str
    scope: str
    valid_from: date
    valid_to: date | None
    value: int | str | Fraction  # đồng or years as int; a coefficient as '1.5' or a Fraction
    source: str
    unverified: bool = False
    unit: str | None = None  # the unit the caller meant; refused if it is not the code's
    close_previous: bool = False  # end the open-ended row before it the day before, atomically


def load_rate_set(session: Session, province_code: str | None = None) -> RateSet:
    """The national rows plus `province_code`'s overrides, in memory and frozen."""
    scopes = [NATIONAL, province_code] if province_code else [NATIONAL]
    return RateSet.from_rows(
        [row.to_row() for row in repository.current_rows(session, scopes)], province_code
    )


def add_rate(session: Session, actor: Actor, new: NewRate, *, clock: Clock = utcnow) -> Rate:
    """Add one row. With `close_previous`, an open-ended row that started earlier is closed on
    the day before, in the same transaction, so no month is ever without a figure (a late
    decree). Raises InvalidInput (unknown code, bad scope, dates not on month boundaries, bad
    value) or RuleViolation (overlap, gap, a province below the national figure)."""
    known = _known(new.code)
    _check_scope(known, new.scope)
    _check_month_bounds(new.valid_from, new.valid_to)
    value = _parse_value(known.unit, new.value, new.unit)
    serialize_writers(session, "rates")
    if new.close_previous:
        _close_open_row_before(session, actor, new, clock)
    _check_tiling(repository.rows_for(session, new.code, new.scope), new.valid_from, new.valid_to, new.code)
    rate = Rate(code=new.code, scope=new.scope, valid_from=new.valid_from, valid_to=new.valid_to)
    rate.unit, rate.source, rate.unverified = known.unit.value, _source(new.source), new.unverified
    rate.created_at, rate.created_by = clock(), actor.username
    rate.set_value(value)
    _check_floor(session, rate)
    session.add(rate)
    session.flush()
    record_event(session, actor, "rate.add", "rate", rate.id, after=rate.summary(), clock=clock)
    return rate


def close_rate(
    session: Session, actor: Actor, rate_id: int, valid_to: date, *, clock: Clock = utcnow
) -> Rate:
    """Set the last day of the latest row for its code and scope (typically an open-ended one,
    before a new figure starts). Raises NotFound, InvalidInput or RuleViolation."""
    serialize_writers(session, "rates")
    rate = _current(session, rate_id)
    _check_month_bounds(rate.valid_from, valid_to)
    later = [r for r in repository.rows_for(session, rate.code, rate.scope) if r.valid_from > rate.valid_from]
    if later:
        raise RuleViolation(
            f"rate #{rate.id} ({rate.code}, {rate.scope}) is followed by rate #{later[0].id} from "
            f"{later[0].valid_from}; moving its end to {valid_to} would leave a gap or an overlap"
        )
    before = rate.summary()
    rate.valid_to = valid_to
    session.flush()
    record_event(
        session, actor, "rate.close", "rate", rate.id, before=before, after=rate.summary(), clock=clock
    )
    return rate


def correct_rate(
    session: Session,
    actor: Actor,
    rate_id: int,
    value: int | str | Fraction,
    source: str,
    *,
    unverified: bool = False,
    unit: str | None = None,
    clock: Clock = utcnow,
) -> Rate:
    """Replace a row's figure for the same validity: the old row is kept, marked superseded
    by the new one. Returns the new row. Raises NotFound, InvalidInput or RuleViolation."""
    serialize_writers(session, "rates")
    old = _current(session, rate_id)
    new = Rate(
        code=old.code, scope=old.scope, valid_from=old.valid_from, valid_to=old.valid_to, unit=old.unit
    )
    new.source, new.unverified = _source(source), unverified
    new.created_at, new.created_by = clock(), actor.username
    new.set_value(_parse_value(Unit(old.unit), value, unit))
    _check_floor(session, new)
    session.add(new)
    session.flush()
    old.superseded_at, old.superseded_by_id = clock(), new.id
    session.flush()
    record_event(
        session, actor, "rate.correct", "rate", new.id, before=old.summary(), after=new.summary(), clock=clock
    )
    return new


def _close_open_row_before(session: Session, actor: Actor, new: NewRate, clock: Clock) -> None:
    rows = repository.rows_for(session, new.code, new.scope)
    if rows and rows[-1].valid_to is None and rows[-1].valid_from < new.valid_from:
        close_rate(session, actor, rows[-1].id, new.valid_from - _DAY, clock=clock)


def _known(code: str) -> RateCode:
    known = RATE_CODES.get(code)
    if known is None:
        raise InvalidInput(f"{code!r} is not a rate code the calculator reads")
    return known


def _check_scope(known: RateCode, scope: str) -> None:
    if scope == NATIONAL:
        return
    if not _PROVINCE.match(scope):
        raise InvalidInput(f"scope {scope!r} must be 'national' or a 2-digit province code")
    if known.override is Override.NONE:
        allowed = ", ".join(sorted(c.code for c in RATE_CODES.values() if c.override is not Override.NONE))
        raise RuleViolation(f"{known.code} is set nationally; provinces may override only: {allowed}")


def _check_month_bounds(valid_from: date, valid_to: date | None) -> None:
    if valid_from.day != 1:
        raise InvalidInput(f"valid_from {valid_from} must be the first day of a month")
    if valid_to is None:
        return
    if valid_to != Period.of(valid_to).last_day:
        raise InvalidInput(f"valid_to {valid_to} must be the last day of a month (validity is inclusive)")
    if valid_to < valid_from:
        raise InvalidInput(f"valid_to {valid_to} is before valid_from {valid_from}")


def _parse_value(unit: Unit, value: int | str | Fraction, meant: str | None) -> int | Fraction:
    if meant is not None and meant != unit.value:
        raise InvalidInput(f"this rate is measured in {unit.value}, not {meant}")
    if unit is Unit.COEFFICIENT:
        if isinstance(value, Fraction):
            if value < 0 or (value * MILLI).denominator != 1:
                raise InvalidInput(f"coefficient {value} must be non-negative with at most three decimals")
            return value
        if isinstance(value, bool):
            raise InvalidInput(f"a coefficient must be a number such as '1.5', not {value!r}")
        return Fraction(coefficient_milli(value), MILLI)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(f"a {unit.value} figure must be a non-negative whole number, not {value!r}")
    return value


def _source(text: str) -> str:
    if not text or not text.strip():
        raise InvalidInput("say where the figure comes from (source): a decree, an annex, a circular")
    return text.strip()


def _check_tiling(rows: list[Rate], start: date, end: date | None, code: str) -> None:
    last = end or date.max
    for row in rows:
        if _overlaps(row, start, end):
            raise RuleViolation(
                f"{code} ({row.scope}): {_span(start, end)} overlaps rate #{row.id} "
                f"({_span(row.valid_from, row.valid_to)}); close or correct that row first"
            )
    ends_before = [(r.valid_to, r.id) for r in rows if r.valid_to is not None and r.valid_to < start]
    if ends_before and ends_before[-1][0] + _DAY != start:
        previous_end, previous_id = ends_before[-1]
        raise RuleViolation(
            _gap(code, previous_end + _DAY, start - _DAY, f"rate #{previous_id} ends {previous_end}")
        )
    starts_after = [(r.valid_from, r.id) for r in rows if r.valid_from > last]
    if end is not None and starts_after and end + _DAY != starts_after[0][0]:
        next_start, next_id = starts_after[0]
        raise RuleViolation(_gap(code, end + _DAY, next_start - _DAY, f"rate #{next_id} starts {next_start}"))


def _gap(code: str, first: date, last: date, neighbour: str) -> str:
    return (
        f"{code}: nothing would be in force from {first} to {last} ({neighbour}); "
        "rows must follow on without a gap"
    )


def _check_floor(session: Session, rate: Rate) -> None:
    """A province may set a higher figure than the national one, never a lower one."""
    if rate.scope == NATIONAL:
        return
    national = [
        r
        for r in repository.rows_for(session, rate.code, NATIONAL)
        if _overlaps(r, rate.valid_from, rate.valid_to)
    ]
    if not national:
        raise RuleViolation(
            f"{rate.code}: no national figure in force {_span(rate.valid_from, rate.valid_to)} "
            "to compare the provincial one with"
        )
    for row in national:
        if rate.value < row.value:
            raise RuleViolation(
                f"province {rate.scope} may not set {rate.code} below the national figure: "
                f"{rate.to_row().value_text()} < {row.to_row().value_text()} (rate #{row.id}, "
                f"{_span(row.valid_from, row.valid_to)})"
            )


def _current(session: Session, rate_id: int) -> Rate:
    rate = session.get(Rate, rate_id)
    if rate is None:
        raise NotFound(f"rate #{rate_id} does not exist")
    if rate.superseded_at is not None:
        raise RuleViolation(
            f"rate #{rate_id} was superseded by rate #{rate.superseded_by_id}; change that one"
        )
    return rate


def _overlaps(row: Rate, start: date, end: date | None) -> bool:
    return row.valid_from <= (end or date.max) and (row.valid_to is None or row.valid_to >= start)


def _span(start: date, end: date | None) -> str:
    return f"{start} to {end}" if end else f"{start}, open-ended"
