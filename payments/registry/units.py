"""Administrative units: successors of merged units, and loading the official list.

Codes are never reused: a merged unit keeps its row (with `valid_to` and `successor_code`),
so a beneficiary keeps their historical commune and reports show it under its successor.
"""

import csv
import io
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from payments.audit.services import record_event
from payments.clock import Clock, utcnow
from payments.context import Actor
from payments.errors import InvalidInput, NotFound
from payments.registry import seed
from payments.registry.model import Commune, Province

UNIT_HEADER = ("level", "code", "name", "province_code", "valid_from", "valid_to", "successor_code")
_MAX_CHAIN = 20


def current_successor(session: Session, code: str, on_date: date) -> str:
    """The unit that stands for `code` on `on_date`: itself while valid, else its successor,
    followed until one is valid ('60' on 2025-07-01 -> '68'). A 2-digit code is a province,
    a 5-digit code a commune. Raises NotFound for an unknown code."""
    province = len(code) == 2
    for _ in range(_MAX_CHAIN):
        unit: Province | Commune | None = (
            session.get(Province, code) if province else session.get(Commune, code)
        )
        if unit is None:
            raise NotFound(f"administrative unit {code!r} does not exist")
        if unit.valid_to is None or unit.valid_to >= on_date or unit.successor_code is None:
            return unit.code
        code = unit.successor_code
    raise InvalidInput(f"the successor chain from {code} is longer than {_MAX_CHAIN}: a loop?")


def successor_map(session: Session, on_date: date) -> dict[str, str]:
    """Every commune code -> its current commune on `on_date`, for reports over many people."""
    rows = {c.code: (c.valid_to, c.successor_code) for c in session.scalars(select(Commune))}

    def follow(code: str) -> str:
        for _ in range(_MAX_CHAIN):
            valid_to, successor = rows[code]
            if valid_to is None or valid_to >= on_date or successor is None:
                return code
            code = successor
        return code

    return {code: follow(code) for code in rows}


def is_move(successors: dict[str, str], from_commune: str, to_commune: str) -> bool:
    """A person's commune changing is a move (DOMAIN rule 6) unless the new code is only the
    old unit's successor after a merger (`successors` from `successor_map`)."""
    return successors.get(from_commune, from_commune) != successors.get(to_commune, to_commune)


def import_units(session: Session, actor: Actor, text: str, *, clock: Clock = utcnow) -> dict[str, int]:
    """Load the official list (CSV, header UNIT_HEADER; level is 'province' or 'commune').

    New codes are added; known codes get the new name, validity and successor. Idempotent.
    Raises InvalidInput listing every bad line (nothing is written then)."""
    rows, problems = _parse_units(text)
    if problems:
        raise InvalidInput("; ".join(problems[:20]), problems=problems)
    counts = {"added": 0, "changed": 0, "unchanged": 0}
    for level, model in (("province", Province), ("commune", Commune)):
        level_rows = [row for lvl, row in rows if lvl == level]
        for row in seed.successors_last(level_rows):
            counts[_upsert(session, model, row)] += 1
    session.flush()
    record_event(session, actor, "registry.import_units", "admin_units", "all", after=counts, clock=clock)
    return counts


def _parse_units(text: str) -> tuple[list[tuple[str, dict[str, Any]]], list[str]]:
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != UNIT_HEADER:
        return [], [f"the header must be: {','.join(UNIT_HEADER)}"]
    rows, problems = [], []
    for number, raw in enumerate(reader, start=2):
        level = raw["level"]
        try:
            if level not in ("province", "commune"):
                raise ValueError("level is 'province' or 'commune'")
            row = seed.unit_row(raw, commune=level == "commune")
            if len(row["code"]) != (2 if level == "province" else 5) or not row["code"].isdigit():
                raise ValueError("a province code has 2 digits, a commune code 5")
        except (ValueError, KeyError) as exc:
            problems.append(f"line {number}: {exc}")
            continue
        rows.append((level, row))
    return rows, problems


def _upsert(session: Session, model: type[Province] | type[Commune], row: dict[str, Any]) -> str:
    unit = session.get(model, row["code"])
    if unit is None:
        session.add(model(**{"unverified": False, **row} if model is Commune else row))
        session.flush()
        return "added"
    changed = [key for key, value in row.items() if getattr(unit, key) != value]
    for key in changed:
        setattr(unit, key, row[key])
    return "changed" if changed else "unchanged"


def units_as_rows(session: Session) -> Iterable[Province | Commune]:
    yield from session.scalars(select(Province).order_by(Province.code))
    yield from session.scalars(select(Commune).order_by(Commune.code))
