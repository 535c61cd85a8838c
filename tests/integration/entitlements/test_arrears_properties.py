"""Arrears idempotence under hypothesis (issue 5, "Done when"; DOMAIN rule 4).

Any sequence of accrual runs, late provincial rates, rate corrections, a late death and injury
rate amendments leaves the ledger where the calculator says it should be: a run repeated at once
posts nothing, and each accrued month's net expense (accrual, arrears, recoveries) equals what
the calculator owes for it now, once the last run has taken every change in. The person's
explanation reconciles too (owed now = accrued + arrears - recovered - offset - paid ...).
"""

import time
from collections import defaultdict
from datetime import date

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from payments.context import Actor
from payments.entitlements.accrual import accrue
from payments.entitlements.explain import explain_entitlements
from payments.entitlements.model import Rate
from payments.entitlements.period import Period
from payments.entitlements.rates import NewRate, add_rate, correct_rate, load_rate_set
from payments.errors import NotFound, PaymentsError
from payments.ledger.model import Account, Entry, Posting
from payments.registry.enrolments import amend_enrolment
from payments.registry.services import record_death
from tests.support.people import OFFICER, enrol_person

ADMIN = Actor(username="admin", role="admin")
FIRST, LAST = Period(2024, 8), Period(2025, 6)  # the months the runs may reach
EXAMPLES = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)  # each example runs inside its own savepoint, rolled back (see the test)


def _firsts(year: int, months: range) -> st.SearchStrategy[date]:
    return st.sampled_from([date(year, month, 1) for month in months])


changes = st.one_of(
    st.tuples(
        st.just("late_rate"),
        st.one_of(_firsts(2024, range(8, 13)), _firsts(2025, range(1, 6))),
        st.sampled_from([550_000, 600_000, 650_000, 700_000]),
    ),
    st.tuples(st.just("corrected_rate"), st.sampled_from([520_000, 610_000, 680_000])),
    st.tuples(st.just("late_death"), st.booleans(), st.dates(date(2024, 8, 1), date(2024, 12, 28))),
    st.tuples(st.just("injury_rate"), st.sampled_from([21, 41, 61, 81]), _firsts(2024, range(8, 13))),
)
# Each step accrues the next months (none, one or two), then records a change late.
steps = st.lists(st.tuples(st.integers(0, 2), changes), min_size=2, max_size=7)


class Province:
    """Two people (BTXH elderly, NCC war invalid 21 %) enrolled from July 2024, and the month
    the last run accrued."""

    def __init__(self, session_factory):
        self.session_factory = session_factory
        with session_factory() as session:
            self.btxh = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
            self.ncc = enrol_person(session, "NCC_WAR_INVALID", date(2024, 7, 1), injury_rate=21)
        self.month = Period(2024, 7)

    def run(self, month: Period):
        with self.session_factory() as own:
            rates = load_rate_set(own, "68")
        return accrue(self.session_factory, month, rates, actor=OFFICER)

    def accrue(self, month: Period) -> None:
        """Accrue `month`, taking in the changes since the last run; at once again: nothing."""
        self.month = month
        summary = self.run(month)
        if summary.arrears_vnd or summary.recovered_vnd:
            event("a run posted arrears or recoveries")
        again = self.run(month)
        assert (again.posted, again.arrears_vnd, again.recovered_vnd) == (0, 0, 0), again.as_dict()

    def record(self, change: tuple) -> None:
        """One change in its own transaction; one the services refuse (an overlapping rate, a
        second death, an amendment dated before the last) is rolled back, and the rest go on."""
        with self.session_factory() as session:
            try:
                self._change(session, change)
                session.commit()
                event(f"{change[0]} recorded")
            except PaymentsError:
                session.rollback()
                event(f"{change[0]} refused")
        # "Changed since the last run" compares recording times: keep a change out of the
        # microsecond a run starts in.
        time.sleep(0.001)

    def _change(self, session, change: tuple) -> None:
        match change:
            case ("late_rate", valid_from, value):
                rate = NewRate(
                    "btxh.standard_level", "68", valid_from, None, value, "late decree", close_previous=True
                )
                add_rate(session, ADMIN, rate)
            case ("corrected_rate", value):
                row = _latest_provincial_level(session)
                if row is None:
                    raise NotFound("no provincial standard level to correct yet")
                correct_rate(session, ADMIN, row.id, value, "correction")
            case ("late_death", btxh, day):
                record_death(session, OFFICER, (self.btxh if btxh else self.ncc)[0], day)
            case ("injury_rate", rate, effective):
                changes = {"parameters": {"injury_rate": rate}}
                amend_enrolment(session, OFFICER, self.ncc[1], changes, effective_date=effective)


def _latest_provincial_level(session) -> Rate | None:
    query = (
        select(Rate)
        .where(Rate.code == "btxh.standard_level", Rate.scope == "68", Rate.superseded_at.is_(None))
        .order_by(Rate.valid_from.desc())
    )
    return session.scalars(query).first()


def _expense_by_month(session, enrolment_id: int) -> dict[str, int]:
    query = (
        select(Entry.period, Posting.amount_vnd)
        .join(Posting, Posting.entry_seq == Entry.seq)
        .join(Account, Account.id == Posting.account_id)
        .where(Entry.enrolment_ref == str(enrolment_id), Account.type == "expense")
    )
    booked: dict[str, int] = defaultdict(int)
    for period, amount in session.execute(query):
        booked[period] += amount
    return booked


def _check_the_books(province: Province) -> None:
    with province.session_factory() as session:
        rates = load_rate_set(session, "68")
        for person, enrolment in (province.btxh, province.ncc):
            explained = explain_entitlements(session, person, FIRST, province.month, rates)
            booked = _expense_by_month(session, enrolment)
            owed = {m["period"]: m["owed_vnd"] for m in explained["months"]}
            assert {period: booked.get(period, 0) for period in owed} == owed, (person, dict(booked))
            assert set(booked) <= set(owed), "expense booked for a month never accrued"
            assert explained["owed_now_vnd"] == _reconciled(explained)


def _reconciled(explained: dict) -> int:
    """What the explanation's terms say is owed now (no payouts nor gifts here: they stay 0)."""
    added = explained["accrued_vnd"] + explained["arrears_vnd"] + explained["gifts_vnd"]
    taken = explained["recovered_vnd"] + explained["offset_vnd"] + explained["paid_vnd"]
    return added + explained["corrected_vnd"] - taken - explained["in_flight_vnd"]


@EXAMPLES
@given(steps=steps)
def test_any_late_changes_leave_each_month_booked_as_the_calculator_owes_it_and_a_rerun_posts_nothing(
    connection, session_factory, steps
):
    # Every session of the example (the runs' own included) commits into savepoints nested
    # in this one, rolled back at the end, so that each example starts from the same database.
    savepoint = connection.begin_nested()
    try:
        province = Province(session_factory)
        for months, change in steps:
            for _ in range(months):
                province.accrue(min(province.month.next(), LAST))
            province.record(change)
        # One more run of the last month takes in every change since the run before (August,
        # if no step accrued any month).
        province.accrue(max(province.month, FIRST))
        _check_the_books(province)
    finally:
        savepoint.rollback()
