"""What the entitlements calculator needs to know about enrolments, as plain frozen values.

Read-only and chunked: `iter_enrolment_facts` walks enrolments by id in pages, so an accrual
over 250,000 people holds one page in memory at a time.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from payments.registry import repository
from payments.registry.units import successor_map


@dataclass(frozen=True)
class EnrolmentFacts:
    enrolment_id: int
    beneficiary_id: int
    programme: str  # 'BTXH' or 'NCC'
    category_code: str
    parameters: dict[str, Any]  # ints, and decimals as strings ('1.5'): never floats
    decision_number: str
    decision_date: date
    start_month: date  # first day of the first month paid
    end_month: date | None  # first day of the last month paid, None while open-ended
    status: str  # active | suspended | terminated
    status_reason: str | None
    version: int
    effective_date: date  # when these terms took effect
    date_of_birth: date
    sex: str
    death_date: date | None
    commune_code: str  # as recorded (may be a unit that has since merged)
    current_commune_code: str  # its successor on the date asked about


def iter_enrolment_facts(
    session: Session,
    on: date,
    *,
    known_at: datetime | None = None,
    programme: str | None = None,
    chunk: int = 1_000,
) -> Iterator[list[EnrolmentFacts]]:
    """Pages of facts for every enrolment, with the terms in force on `on` as recorded by
    `known_at` (None: everything recorded). Enrolments whose first version takes effect after
    `on` are left out. Person details are the current ones (a death is never back-dated away)."""
    successors = successor_map(session, on)
    after_id = 0
    while ids := repository.enrolment_ids_page(session, programme=programme, after_id=after_id, limit=chunk):
        rows = repository.enrolment_rows_as_known(session, ids, on, known_at)
        yield [_facts(row, successors) for row in rows]
        after_id = ids[-1]


def iter_people(session: Session, *, chunk: int = 500) -> Iterator[dict[int, list[int]]]:
    """Pages of {beneficiary id: [enrolment ids]}, so one person's enrolments stay together
    (the one-BTXH-amount rule is per person, across enrolments)."""
    after_id = 0
    while page := repository.people_page(session, after_id=after_id, limit=chunk):
        yield page
        after_id = max(page)


def facts_on(
    session: Session, enrolment_ids: list[int], on: date, *, known_at: datetime | None = None
) -> list[EnrolmentFacts]:
    """Facts for these enrolments with the terms in force on `on` (not-yet-started ones left out)."""
    if not enrolment_ids:
        return []
    successors = successor_map(session, on)
    rows = repository.enrolment_rows_as_known(session, enrolment_ids, on, known_at)
    return [_facts(row, successors) for row in rows]


def enrolment_facts(
    session: Session, enrolment_id: int, on: date, *, known_at: datetime | None = None
) -> EnrolmentFacts | None:
    """One enrolment's facts on `on` (None if it had not started by then)."""
    rows = repository.enrolment_rows_as_known(session, [enrolment_id], on, known_at)
    return _facts(rows[0], successor_map(session, on)) if rows else None


def _facts(row: Any, successors: dict[str, str]) -> EnrolmentFacts:
    """From one `enrolment_rows_as_known` row, whose columns are the fields in order but the
    last. Built positionally: naming the columns one by one cost more than the query itself."""
    commune = row.commune_code
    values = (*row, successors.get(commune, commune))
    return EnrolmentFacts(*values)
