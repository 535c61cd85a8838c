"""One-off gift runs (DOMAIN rule 8) against the real registry and ledger, on SQLite and PostgreSQL."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from payments.audit.repository import search_events
from payments.entitlements.gifts import GiftRun, gift_key, run_gifts
from payments.errors import Conflict, InvalidInput
from payments.ledger import accounts
from payments.ledger.model import Entry
from payments.ledger.services import balance
from payments.registry.enrolments import change_status, enrol
from payments.registry.services import record_death
from payments.registry.validation import Terms
from tests.factories import CategoryFactory
from tests.support.people import OFFICER, at, enrol_person

TET = date(2025, 1, 20)
DECISION = "QĐ 123/QĐ-UBND"
AMOUNTS = {"BTXH": 500_000, "NCC": 600_000}


@pytest.fixture
def give(session_factory):
    def go(amounts=None, *, code="tet-2025", on=TET, decision=DECISION, **kwargs):
        run = GiftRun(code, on, decision, amounts or AMOUNTS)
        return run_gifts(session_factory, run, actor=OFFICER, **kwargs)

    return go


def also_enrol(
    session, beneficiary_id: int, category: str, decision: date, *, start: date | None = None, **parameters
) -> int:
    """Enrol an existing person in a further programme (paid from `start`, by default from the
    decision's month); the enrolment id."""
    programme = category.split("_", maxsplit=1)[0]
    first = start or decision.replace(day=1)
    terms = Terms(programme, category, f"QD-{category}", decision, first, None, parameters)
    enrolment = enrol(session, OFFICER, beneficiary_id, terms, clock=at(decision))
    session.commit()
    return enrolment.id


def owed_to(session, beneficiary_id: int) -> int:
    return -balance(session, accounts.payable(beneficiary_id))


def gift_entries(session, code: str = "tet-2025") -> list[Entry]:
    return list(session.scalars(select(Entry).where(Entry.idempotency_key.like(f"gift:{code}:%"))))


def test_a_person_in_two_programmes_gets_one_gift_the_higher(session, give):
    person, _btxh = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    ncc = also_enrol(session, person, "NCC_WAR_INVALID", date(2024, 8, 1), injury_rate=21)

    summary = give()

    assert (summary.given, summary.given_vnd, summary.not_eligible) == (1, 600_000, 0)
    assert summary.by_programme["NCC"].__dict__ == {"entries": 1, "amount_vnd": 600_000}
    (entry,) = gift_entries(session)
    assert entry.idempotency_key == gift_key("tet-2025", person)
    assert entry.kind == "accrual"
    assert entry.effective_date == TET
    assert sorted((p.account_code, p.amount_vnd) for p in entry.postings) == [
        ("expense:NCC", 600_000),
        (f"payable:{person}", -600_000),
    ]
    assert (entry.enrolment_ref, entry.period) == (None, None)  # what keeps it out of the accrual
    assert entry.memo["rule"].startswith("DOMAIN rule 8")
    assert (entry.memo["decision"], entry.memo["gift_date"]) == (DECISION, "2025-01-20")
    assert (entry.memo["programme"], entry.memo["amount_vnd"], entry.memo["enrolment_id"]) == (
        "NCC",
        600_000,
        ncc,
    )
    assert entry.memo["compared"] == [
        {"programme": "BTXH", "amount_vnd": 500_000},
        {"programme": "NCC", "amount_vnd": 600_000},
    ]
    assert owed_to(session, person) == 600_000


def test_equal_amounts_go_to_the_earliest_enrolment(session, give):
    person, btxh = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    also_enrol(session, person, "NCC_WAR_INVALID", date(2024, 8, 1), injury_rate=21)

    give({"BTXH": 500_000, "NCC": 500_000})

    (entry,) = gift_entries(session)
    assert (entry.memo["programme"], entry.memo["enrolment_id"]) == ("BTXH", btxh)
    assert owed_to(session, person) == 500_000


def test_running_the_same_run_again_posts_nothing(session, give):
    person, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    give()
    entries = session.scalar(select(func.count()).select_from(Entry))

    again = give()

    assert (again.given, again.already_given, again.already_given_vnd) == (0, 1, 500_000)
    assert again.by_programme == {}
    assert session.scalar(select(func.count()).select_from(Entry)) == entries
    assert owed_to(session, person) == 500_000


def test_the_same_run_with_another_amount_is_a_conflict_naming_the_key(session, give):
    person, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    give()

    with pytest.raises(Conflict, match=gift_key("tet-2025", person)):
        give({"BTXH": 550_000})

    assert owed_to(session, person) == 500_000
    assert len(gift_entries(session)) == 1


def test_a_registry_change_after_a_gift_does_not_stop_the_run_finishing(session, give):
    given, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    give()
    # Since: the person given a BTXH gift is found to be a war invalid too (NCC pays more), and
    # someone new is enrolled. The run is started again to give the newcomer theirs.
    also_enrol(session, given, "NCC_WAR_INVALID", date(2024, 8, 1), injury_rate=21)
    newcomer, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 9, 1))

    again = give()

    assert (again.given, again.given_vnd) == (1, 500_000)  # the newcomer
    assert (again.already_given, again.already_given_vnd) == (1, 500_000)  # the gift given stands
    assert (owed_to(session, given), owed_to(session, newcomer)) == (500_000, 500_000)
    assert len(gift_entries(session)) == 2


def test_the_same_code_with_another_decision_or_date_is_a_conflict(session, give):
    person, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    give()

    with pytest.raises(
        Conflict,
        match=r"decision 'QĐ 123/QĐ-UBND', date 2025-01-20, amounts \{'BTXH': 500000, 'NCC': 600000\}",
    ):
        give(decision="QĐ 999/QĐ-UBND")
    with pytest.raises(Conflict, match=gift_key("tet-2025", person)):
        give(on=date(2025, 1, 21))
    assert owed_to(session, person) == 500_000


def test_another_run_is_another_gift(session, give):
    person, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    give()
    give({"BTXH": 300_000}, code="quoc-khanh-2025", on=date(2025, 9, 2), decision="QĐ 456/QĐ-UBND")
    assert owed_to(session, person) == 800_000


def test_someone_who_died_on_or_before_the_date_gets_nothing(session, give):
    before, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    on_the_day, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    after, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    for person, died in ((before, date(2025, 1, 3)), (on_the_day, TET), (after, date(2025, 1, 21))):
        record_death(session, OFFICER, person, died)
    session.commit()

    summary = give()

    assert (summary.given, summary.not_eligible) == (1, 2)
    assert [e.idempotency_key for e in gift_entries(session)] == [gift_key("tet-2025", after)]


def test_an_enrolment_not_in_force_on_the_date_brings_no_gift(session, give):
    enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2025, 1, 25))  # signed after the date, same month
    # Enrolled in NCC only (not in this run), then in BTXH under a decision paying from February.
    starting_later, _ = enrol_person(session, "NCC_WAR_INVALID", date(2024, 7, 1), injury_rate=21)
    also_enrol(session, starting_later, "BTXH_ELDERLY_POOR_60_80", date(2024, 12, 10), start=date(2025, 2, 1))
    signed_on_the_day, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", TET)

    summary = give({"BTXH": 500_000})

    assert [e.idempotency_key for e in gift_entries(session)] == [gift_key("tet-2025", signed_on_the_day)]
    assert (summary.people, summary.given, summary.not_eligible) == (3, 1, 2)


def test_a_suspended_enrolment_brings_no_gift_as_it_accrues_nothing(session, give):
    suspended, enrolment = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    change_status(session, OFFICER, enrolment, "suspended", "cash not collected for three months",
                  effective_date=date(2025, 1, 5))  # fmt: skip
    suspended_after, later = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    change_status(session, OFFICER, later, "suspended", "cash not collected for three months",
                  effective_date=date(2025, 1, 25))  # fmt: skip
    session.commit()

    summary = give()

    assert [e.idempotency_key for e in gift_entries(session)] == [gift_key("tet-2025", suspended_after)]
    assert summary.not_eligible == 1
    assert owed_to(session, suspended) == 0


def test_an_enrolment_terminated_before_the_month_of_the_date_brings_no_gift(session, give):
    ended, enrolment = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    change_status(session, OFFICER, enrolment, "terminated", "moved away", effective_date=date(2024, 12, 10))
    session.commit()

    assert give().not_eligible == 1
    assert owed_to(session, ended) == 0


def test_an_unknown_programme_is_refused_before_anything_is_written(session, give):
    enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))

    with pytest.raises(InvalidInput, match="XYZ"):
        give({"BTXH": 500_000, "XYZ": 100_000})

    assert gift_entries(session) == []
    assert search_events(session, action="gift.run") == []


def test_the_run_is_on_the_audit_log_with_its_summary(session, give):
    enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    give()
    (event,) = search_events(session, action="gift.run")
    assert (event.actor, event.target_type, event.target_id) == (OFFICER.username, "gift_run", "tet-2025")
    after = event.summary["after"]
    assert (after["given"], after["given_vnd"], after["decision"]) == (1, 500_000, DECISION)
    assert after["amounts_vnd"] == AMOUNTS


def test_a_dry_run_works_the_gifts_out_and_posts_nothing(session, give):
    person, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))

    dry = give(dry_run=True)

    assert (dry.dry_run, dry.given, dry.given_vnd) == (True, 1, 500_000)
    assert gift_entries(session) == []
    assert search_events(session, action="gift.run") == []
    assert give().given == 1
    assert owed_to(session, person) == 500_000


def test_a_run_stopped_part_way_and_started_again_gives_everyone_exactly_once(session, give):
    people = [enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))[0] for _ in range(3)]

    def killed_after_the_first_chunk(_people: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        give(chunk=1, progress=killed_after_the_first_chunk)
    assert len(gift_entries(session)) == 1  # the first chunk was committed

    again = give(chunk=1)

    assert (again.given, again.already_given) == (2, 1)
    assert sorted(e.idempotency_key for e in gift_entries(session)) == sorted(
        gift_key("tet-2025", p) for p in people
    )
    assert [owed_to(session, p) for p in people] == [500_000] * 3


def test_a_person_the_calculator_cannot_read_is_listed_and_the_others_are_given(session, give):
    given, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    CategoryFactory(code="NCC_NO_RULE_YET", programme_code="NCC")  # written in by hand: no rule
    unreadable, enrolment = enrol_person(session, "NCC_NO_RULE_YET", date(2024, 7, 1))

    summary = give()

    assert summary.problems == [
        {
            "beneficiary_id": unreadable,
            "problem": f"enrolment {enrolment}: no entitlement rule for category 'NCC_NO_RULE_YET'",
        }
    ]
    assert [e.idempotency_key for e in gift_entries(session)] == [gift_key("tet-2025", given)]


def test_a_gift_dated_after_today_in_vietnam_is_refused_before_anything_is_written(session, give):
    enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    midnight_in_hanoi = datetime(2025, 1, 19, 17, 0, tzinfo=UTC)  # 20 January, 00:00 in Hanoi
    with pytest.raises(InvalidInput, match=r"2025-01-20 has not come \(today is 2025-01-19 in Vietnam\)"):
        give(clock=lambda: midnight_in_hanoi - timedelta(seconds=1))
    assert gift_entries(session) == []
    assert give(clock=lambda: midnight_in_hanoi).given == 1


def test_the_same_code_with_a_programme_added_is_refused_before_anything_is_written(session, give):
    both, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    also_enrol(session, both, "NCC_WAR_INVALID", date(2024, 8, 1), injury_rate=21)
    give({"BTXH": 500_000})
    war_invalid_only, _ = enrol_person(session, "NCC_WAR_INVALID", date(2024, 7, 1), injury_rate=21)

    with pytest.raises(Conflict, match=r"amounts \{'BTXH': 500000\}; use a new code"):
        give({"BTXH": 500_000, "NCC": 2_000_000})

    assert owed_to(session, war_invalid_only) == 0
    assert len(gift_entries(session)) == 1
