"""What each page of people is owed: the registry's facts through the calculator.

The accrual run has two halves: this one reads the registry and calculates (what is owed);
the other reads the ledger and posts (what was accrued, and the difference). They meet at
`PageOwed`. A large run works out each page here in a helper process (`payments.aside`) while
the run posts the page before, so the two halves overlap on a second core; a small run, or one
on an in-memory database no other process can open, works it out in-process. Either way the
pages come back in order and hold the same values.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from payments.aside import aside
from payments.db import make_engine, make_session_factory, shareable_url
from payments.entitlements.calculator import calculate_month, funeral_grant
from payments.entitlements.from_registry import calculator_facts
from payments.entitlements.period import Period
from payments.entitlements.plan import Plan
from payments.entitlements.postings import Owed
from payments.entitlements.rateset import RateRow, RateSet
from payments.errors import PaymentsError
from payments.ledger.draft import MemoPart
from payments.registry.facts import EnrolmentFacts, facts_on

ASIDE_FROM_PEOPLE = 20_000  # runs over at least this many people work out what is owed aside
Page = dict[int, list[int]]  # {beneficiary id: [enrolment ids]}


@dataclass(frozen=True)
class PageOwed:
    """What one page of people is owed, in every month the run brings up to date for them."""

    months_by_person: dict[int, list[Period]]
    months: list[Period]  # every month brought up to date for any of them, in order
    owed: list[Owed]
    tallied_as: dict[int, tuple[str, str, str]]  # enrolment id: (programme, category, commune)
    problems: list[dict[str, Any]]  # people whose facts could not be computed, and why
    # (person, month) pairs behind `problems`: what is owed there is unknown, not nothing, so
    # the run leaves what was accrued for them alone.
    unknown: set[tuple[int, Period]]


@contextmanager
def owed_by_page(
    session_factory: sessionmaker[Session],
    pages: list[Page],
    plan: Plan,
    accrued_months: list[Period],
    rates: RateSet,
) -> Iterator[Iterator[PageOwed]]:
    """A `PageOwed` for each of `pages`, in order: worked out aside when the run is large."""
    people = sum(len(page) for page in pages)
    url = shareable_url(session_factory.kw.get("bind"))
    if people < ASIDE_FROM_PEOPLE or url is None:
        yield _each_page_owed(session_factory, pages, plan, accrued_months, rates)
        return
    request = {"url": url, "pages": pages, "plan": plan, "accrued_months": accrued_months}
    rates_again = {"rate_rows": list(rates.rows()), "province_code": rates.province_code}
    with aside(pages_owed_aside, "working out what is owed", **request, **rates_again) as owed:
        yield iter(owed)


def pages_owed_aside(
    *,
    url: str,
    pages: list[Page],
    plan: Plan,
    accrued_months: list[Period],
    rate_rows: list[RateRow],
    province_code: str | None,
) -> Iterator[PageOwed]:
    """The helper's work: its own read-only connection and its own copy of the same rates."""
    engine = make_engine(url, read_only=True)
    rates = RateSet.from_rows(rate_rows, province_code)
    try:
        yield from _each_page_owed(make_session_factory(engine), pages, plan, accrued_months, rates)
    finally:
        engine.dispose()


def _each_page_owed(
    session_factory: sessionmaker[Session],
    pages: list[Page],
    plan: Plan,
    accrued_months: list[Period],
    rates: RateSet,
) -> Iterator[PageOwed]:
    for page in pages:
        with session_factory() as session:  # closed before the caller writes (SQLite has one writer)
            owed = owed_on_page(session, page, plan, accrued_months, rates)
        yield owed


def owed_on_page(
    session: Session, page: Page, plan: Plan, accrued_months: list[Period], rates: RateSet
) -> PageOwed:
    enrolment_ids = [e for ids in page.values() for e in ids]
    months_by_person = {b: plan.months_for(b, accrued_months) for b in page}
    all_months = sorted({m for months in months_by_person.values() for m in months})
    result = PageOwed(months_by_person, all_months, [], {}, [], set())
    for month in all_months:
        by_person: dict[int, list[EnrolmentFacts]] = {}
        for facts in facts_on(session, enrolment_ids, month.last_day):
            if month in months_by_person[facts.beneficiary_id]:
                by_person.setdefault(facts.beneficiary_id, []).append(facts)
                result.tallied_as[facts.enrolment_id] = (
                    facts.programme, facts.category_code, facts.current_commune_code
                )  # fmt: skip
        for person_facts in by_person.values():
            _add_owed(result, person_facts, month, rates)
    return result


def _add_owed(result: PageOwed, facts: list[EnrolmentFacts], month: Period, rates: RateSet) -> None:
    """What one person is owed for `month`, added to `result`; when it cannot be worked out, a
    problem for each of their enrolments instead, and the person's month marked unknown."""
    try:
        result.owed.extend(_owed_to_person(facts, month, rates))
    except PaymentsError as error:
        where = {"period": str(month), "problem": error.detail}
        result.problems.extend({"enrolment_id": f.enrolment_id} | where for f in facts)
        result.unknown.add((facts[0].beneficiary_id, month))


def _owed_to_person(facts: list[EnrolmentFacts], month: Period, rates: RateSet) -> list[Owed]:
    """What one person is owed for `month`. Raises PaymentsError when it cannot be worked out
    (a missing rate, an unknown category)."""
    pairs = [calculator_facts(f) for f in facts]
    person, enrolments = pairs[0][0], [e for _p, e in pairs]
    components = calculate_month(person, enrolments, month, rates)
    grant = funeral_grant(person, enrolments, rates)
    if grant is not None and grant.period == month:
        components.append(grant)
    programme = {f.enrolment_id: f.programme for f in facts}
    person_id = facts[0].beneficiary_id
    return [
        Owed(
            c.enrolment_id,
            person_id,
            programme[c.enrolment_id],
            month,
            c.code,
            c.amount_vnd,
            MemoPart(c.explanation),
        )
        for c in components
    ]
