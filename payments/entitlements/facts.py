"""What the calculator takes and gives: small frozen values, no database, no Flask.

The registry (and the accrual run) turn enrolments and beneficiaries into these facts as they
stood for the period being calculated.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cached_property
from typing import Any

from payments.entitlements.period import Period


class Programme(StrEnum):
    BTXH = "btxh"  # social assistance, including the social pension (category btxh.social_pension)
    NCC = "ncc"  # people with meritorious service


class Status(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # nothing accrues while suspended (DOMAIN rule 5)
    TERMINATED = "terminated"  # months up to `end_month` stay due; none after


class NursingPlace(StrEnum):
    HOME = "home"
    CENTRE = "centre"


@dataclass(frozen=True)
class PersonFacts:
    person_id: int
    date_of_birth: date
    date_of_death: date | None = None
    has_pension: bool = False

    def age_in(self, period: Period) -> int:
        """Age reached by the end of the month: someone turning 80 during July counts as 80 for
        all of July (and a 29 February birthday counts in February of any year)."""
        born = self.date_of_birth
        return period.year - born.year - (period.month < born.month)


@dataclass(frozen=True)
class EnrolmentFacts:
    """One enrolment as it stood for the period. `extra_categories` lists further BTXH
    categories the person also meets under this decision (only the highest is paid)."""

    enrolment_id: int
    programme: Programme
    category: str
    decision_date: date
    start_month: Period | None = None
    end_month: Period | None = None  # last month due (loss of eligibility, move, termination)
    status: Status = Status.ACTIVE
    extra_categories: tuple[str, ...] = ()
    injury_rate: int | None = None  # war invalids, 21..100
    martyr_count: int | None = None  # martyrs' relatives, 1..n (3 means three or more)
    children_count: int | None = None  # poor single parents, children raised
    coefficient: str | None = None  # btxh.provincial_other: set by the decision, e.g. '1.25'

    @cached_property  # asked for several times a month calculated; the facts never change
    def first_month(self) -> Period:
        """DOMAIN rule 1: due from the month the decision is signed, never earlier."""
        signed = Period.of(self.decision_date)
        return max(signed, self.start_month) if self.start_month else signed

    @property
    def categories(self) -> tuple[str, ...]:
        return (self.category, *self.extra_categories)


@dataclass(frozen=True)
class Component:
    """One amount owed to one enrolment for one period. `explanation` is JSON-ready; treat it
    as read-only."""

    enrolment_id: int
    period: Period
    code: str
    amount_vnd: int
    explanation: Mapping[str, Any] = field(compare=True)


@dataclass(frozen=True)
class Note:
    """Why an enrolment owes nothing (or less) for the period."""

    enrolment_id: int
    rule: str
    reason: str


@dataclass(frozen=True)
class Assessment:
    period: Period
    components: tuple[Component, ...]
    notes: tuple[Note, ...]

    @property
    def total_vnd(self) -> int:
        return sum(c.amount_vnd for c in self.components)
