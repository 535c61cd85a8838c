"""The accrual run against the real registry and ledger, on SQLite and PostgreSQL."""

from datetime import date

import pytest

from payments.context import Actor
from payments.entitlements.accrual import accrue
from payments.entitlements.period import Period
from payments.entitlements.rates import NewRate, add_rate, load_rate_set
from payments.ledger import accounts
from payments.ledger.draft import EntryDraft
from payments.ledger.services import balance, post_entry
from payments.ledger.verify import verify_ledger
from payments.registry.services import record_death
from tests.support.people import OFFICER, enrol_person


@pytest.fixture
def register(session):
    return lambda category, decision, **kw: enrol_person(session, category, decision, **kw)


@pytest.fixture
def run(session_factory, session):
    # Runs use the real clock: "what changed since the last run" compares recording times,
    # and the seeded rates were recorded when the migration ran.
    def go(period: str, *, recompute=None):
        rates = load_rate_set(session, "68")
        return accrue(session_factory, Period.parse(period), rates, actor=OFFICER, recompute=recompute)

    return go


def owed_to(session, beneficiary_id: int) -> int:
    return -balance(session, accounts.payable(beneficiary_id))


def test_a_month_is_accrued_once_with_its_explanation(session, register, run):
    person, _enrolment = register("BTXH_ELDERLY_POOR_60_80", date(2025, 6, 10))
    summary = run("2025-07")
    assert summary.accrued_vnd == 750_000  # 1.5 x 500,000; more than the 500,000 social pension
    assert owed_to(session, person) == 750_000
    assert summary.by_programme["BTXH"].amount_vnd == 750_000
    assert summary.by_commune["22900"].amount_vnd == 750_000  # reported under the merged unit
    again = run("2025-07")
    assert (again.posted, again.accrued_vnd) == (0, 0)
    assert owed_to(session, person) == 750_000


def test_a_decision_signed_on_the_20th_pays_from_that_month_not_before(session, register, run):
    person, _ = register("NCC_WAR_INVALID", date(2024, 8, 20), injury_rate=21)
    assert run("2024-07").accrued_vnd == 0
    assert run("2024-08").accrued_vnd == 1_878_000
    assert owed_to(session, person) == 1_878_000


def test_a_late_provincial_rate_posts_arrears_for_past_months_once(session, register, run):
    person, _ = register("BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    for month in ("2024-08", "2024-09"):
        run(month)
    assert owed_to(session, person) == 1_500_000
    add_rate(
        session,
        Actor(username="admin", role="admin"),
        NewRate("btxh.standard_level", "68", date(2024, 8, 1), None, 600_000, "Provincial decision (test)"),
    )
    session.commit()
    october = run("2024-10")
    assert october.recomputed == ["2024-08", "2024-09"]
    assert october.arrears_vnd == 2 * 150_000  # (1.5 x 600,000) - 750,000 for August and September
    assert october.accrued_vnd == 900_000
    assert owed_to(session, person) == 750_000 * 2 + 300_000 + 900_000
    rerun = run("2024-10")
    assert (rerun.posted, rerun.arrears_vnd) == (0, 0)


def test_a_death_recorded_late_recovers_the_months_after_it_and_grants_the_funeral(session, register, run):
    person, _ = register("BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    for month in ("2024-09", "2024-10"):
        run(month)
    # October was paid out before anyone knew of the death.
    payout = EntryDraft(
        idempotency_key="payout:test:oct",
        kind="payout_initiated",
        effective_date=date(2024, 10, 31),
        postings=((accounts.payable(person), 1_500_000), (accounts.in_flight("sandbox"), -1_500_000)),
    )
    post_entry(session, payout, actor=OFFICER)
    record_death(session, OFFICER, person, date(2024, 9, 3))
    session.commit()
    november = run("2024-11")
    assert november.recomputed == []
    assert november.recovered_vnd == 750_000  # October: death on 3 September, nothing due for October
    assert november.arrears_vnd == 10_000_000  # funeral grant, 20 x 500,000, for the month after death
    assert november.accrued_vnd == 0
    # The recovery became a receivable (October was paid), then was offset against the grant.
    assert balance(session, accounts.receivable(person)) == 0
    assert owed_to(session, person) == 10_000_000 - 750_000
    assert run("2024-11").posted == 0


def test_recompute_on_demand_changes_nothing_when_nothing_changed(session, register, run):
    register("BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    run("2024-08")
    summary = run("2024-09", recompute=(Period(2024, 7), Period(2024, 9)))
    assert summary.recomputed == ["2024-08"]
    assert summary.arrears_vnd == 0
    assert summary.recovered_vnd == 0


def test_a_person_whose_figures_are_missing_is_reported_and_the_rest_are_paid(session, register, run):
    paid, _ = register("BTXH_ELDERLY_POOR_60_80", date(2021, 8, 1))
    _, missing = register("NCC_WAR_INVALID", date(2021, 8, 1), injury_rate=35)
    summary = run("2022-01")  # the war-invalid table before 2024-07 is not seeded
    assert [(p["enrolment_id"], p["period"]) for p in summary.problems] == [(missing, "2022-01")]
    assert owed_to(session, paid) == 540_000  # 1.5 x 360,000


def test_the_ledger_verifies_after_runs(session, register, run):
    register("BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    run("2024-08")
    assert verify_ledger(session, []).ok


def test_what_a_person_owes_from_before_is_offset_against_the_next_month_owed(session, register, run):
    person, _ = register("BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    someone_else, _ = register("BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    run("2024-08")
    overpaid = EntryDraft(  # owed back from an earlier overpayment, recorded before this run
        idempotency_key="recovery:test:overpaid",
        kind="recovery",
        effective_date=date(2024, 8, 31),
        postings=((accounts.receivable(person), 300_000), (accounts.expense("BTXH"), -300_000)),
    )
    post_entry(session, overpaid, actor=OFFICER)
    session.commit()
    september = run("2024-09")
    assert september.offset_vnd == 300_000
    assert balance(session, accounts.receivable(person)) == 0
    assert owed_to(session, person) == 750_000 * 2 - 300_000
    assert owed_to(session, someone_else) == 750_000 * 2
    assert run("2024-09").posted == 0


def test_a_debt_recorded_while_a_run_is_under_way_is_offset_in_that_run(session, session_factory, register):
    first, _ = register("BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    second, _ = register("BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    recorded: list[int] = []

    def debt_recorded_after_the_first_page(_people: int) -> None:
        if not recorded:  # another writer: an officer records what the second person owes
            legs = ((accounts.receivable(second), 300_000), (accounts.expense("BTXH"), -300_000))
            recorded.append(
                post_entry(
                    session,
                    EntryDraft("recovery:test:meanwhile", "recovery", date(2024, 8, 31), legs),
                    actor=OFFICER,
                ).seq
            )
            session.commit()

    rates = load_rate_set(session, "68")
    summary = accrue(
        session_factory,
        Period(2024, 8),
        rates,
        actor=OFFICER,
        chunk=1,
        progress=debt_recorded_after_the_first_page,
    )
    assert recorded
    assert summary.offset_vnd == 300_000
    assert balance(session, accounts.receivable(second)) == 0
    assert (owed_to(session, first), owed_to(session, second)) == (750_000, 750_000 - 300_000)
