from dataclasses import fields
from datetime import UTC, date, datetime, timedelta

import pytest

from payments.clock import fixed_clock
from payments.errors import InvalidInput, RuleViolation
from payments.registry import enrolments, instruments, repository, services
from payments.registry.facts import EnrolmentFacts, enrolment_facts, iter_enrolment_facts
from payments.registry.validation import Instrument
from tests.factories import (
    BeneficiaryFactory,
    EnrolmentFactory,
    EnrolmentVersionFactory,
    PaymentInstrumentFactory,
)
from tests.integration.registry.conftest import NOW, bank, person, terms


@pytest.fixture
def dao(session, officer, cipher, clock):
    return services.register_beneficiary(session, officer, cipher, person(), clock=clock)


def test_enrolling_records_version_one_from_the_decision_date(session, officer, dao, clock):
    enrolment = enrolments.enrol(session, officer, dao.id, terms(), clock=clock)
    version = repository.current_enrolment_version(session, enrolment)
    assert (version.version, version.effective_date, version.parameters) == (
        1,
        date(2024, 8, 20),
        {"injury_rate": 61},
    )
    assert enrolment.status == "active"


def test_a_second_open_enrolment_in_the_same_programme_is_refused(session, officer, dao, clock):
    enrolments.enrol(session, officer, dao.id, terms(), clock=clock)
    with pytest.raises(RuleViolation, match="still open"):
        enrolments.enrol(session, officer, dao.id, terms(decision_number="13/QĐ-UBND"), clock=clock)


def test_bad_terms_are_refused_with_their_fields(session, officer, dao, clock):
    with pytest.raises(InvalidInput) as refused:
        enrolments.enrol(
            session, officer, dao.id, terms(parameters={}, start_month=date(2024, 7, 1)), clock=clock
        )
    assert {p["column"] for p in refused.value.extra["problems"]} == {"parameters", "start_month"}


def test_what_we_knew_on_a_date_is_answered_from_versions(session, officer, dao):
    enrol_clock = fixed_clock(datetime(2024, 8, 21, tzinfo=UTC))
    enrolment = enrolments.enrol(session, officer, dao.id, terms(), clock=enrol_clock)
    amend_clock = fixed_clock(datetime(2025, 3, 10, tzinfo=UTC))
    enrolments.amend_enrolment(
        session,
        officer,
        enrolment.id,
        {"parameters": {"injury_rate": 81}},
        effective_date=date(2025, 1, 1),
        clock=amend_clock,
    )
    before = repository.enrolment_as_known(
        session, enrolment.id, date(2025, 2, 1), datetime(2025, 3, 1, tzinfo=UTC)
    )
    after = repository.enrolment_as_known(session, enrolment.id, date(2025, 2, 1))
    assert before.parameters == {"injury_rate": 61}
    assert after.parameters == {"injury_rate": 81}
    assert repository.enrolment_as_known(session, enrolment.id, date(2024, 12, 1)).version == 1
    assert repository.enrolment_as_known(session, enrolment.id, date(2024, 1, 1)) is None


def test_suspend_resume_terminate_each_add_a_version_with_the_reason(session, officer, dao, clock):
    enrolment = enrolments.enrol(session, officer, dao.id, terms(), clock=clock)
    for change in ("suspended", "resumed", "terminated"):
        enrolments.change_status(
            session,
            officer,
            enrolment.id,
            change,
            f"{change} by test",
            effective_date=date(2025, 9, 1),
            clock=clock,
        )
    versions = repository.enrolment_versions(session, enrolment.id)
    assert [(v.status, v.status_reason) for v in versions] == [
        ("active", None),
        ("suspended", "suspended by test"),
        ("active", "resumed by test"),
        ("terminated", "terminated by test"),
    ]


def test_status_changes_the_state_does_not_allow_are_refused(session, officer, dao, clock):
    enrolment = enrolments.enrol(session, officer, dao.id, terms(), clock=clock)
    with pytest.raises(RuleViolation):
        enrolments.change_status(
            session, officer, enrolment.id, "resumed", "why", effective_date=date(2025, 9, 1)
        )
    with pytest.raises(RuleViolation, match="reason"):
        enrolments.change_status(
            session, officer, enrolment.id, "suspended", " ", effective_date=date(2025, 9, 1)
        )
    with pytest.raises(RuleViolation, match="before the latest"):
        enrolments.change_status(
            session, officer, enrolment.id, "suspended", "x", effective_date=date(2024, 1, 1)
        )
    enrolments.change_status(
        session, officer, enrolment.id, "terminated", "moved", effective_date=date(2025, 9, 1)
    )
    with pytest.raises(RuleViolation):
        enrolments.amend_enrolment(
            session, officer, enrolment.id, {"end_month": date(2025, 9, 1)}, effective_date=date(2025, 9, 1)
        )


def test_version_rows_cannot_be_updated_or_deleted(session, officer, dao, clock):
    from sqlalchemy import text

    enrolments.enrol(session, officer, dao.id, terms(), clock=clock)
    for statement in (
        "UPDATE enrolment_versions SET status = 'terminated'",
        "DELETE FROM beneficiary_versions",
    ):
        with pytest.raises(Exception, match=r"(?i)append-only|refused"), session.begin_nested():
            session.execute(text(statement))


def test_enrolment_facts_carry_terms_person_and_current_commune(session):
    person_row = BeneficiaryFactory(commune_code="22960", date_of_birth=date(1940, 1, 1))
    enrolment = EnrolmentFactory(beneficiary_id=person_row.id)
    EnrolmentVersionFactory(enrolment_id=enrolment.id)
    facts = enrolment_facts(session, enrolment.id, date(2025, 8, 1))
    assert (facts.commune_code, facts.current_commune_code) == ("22960", "22900")
    assert facts.start_month == date(2024, 8, 1)
    pages = list(iter_enrolment_facts(session, date(2025, 8, 1), chunk=1))
    assert enrolment.id in [f.enrolment_id for page in pages for f in page]


def test_enrolment_rows_hold_the_facts_fields_in_order(session):
    # EnrolmentFacts are built from these rows by position, not by name.
    person_row = BeneficiaryFactory()
    enrolment = EnrolmentFactory(beneficiary_id=person_row.id)
    EnrolmentVersionFactory(enrolment_id=enrolment.id)
    (row,) = repository.enrolment_rows_as_known(session, [enrolment.id], date(2025, 8, 1), None)
    names = [field.name for field in fields(EnrolmentFacts)]
    assert [*row._fields, "current_commune_code"] == names


def test_a_new_instrument_closes_the_old_one_and_history_is_kept(session, officer, cipher, dao, clock):
    first = instruments.set_instrument(
        session, officer, cipher, dao.id, bank(), effective_from=date(2025, 1, 1), clock=clock
    )
    instruments.set_instrument(
        session, officer, cipher, dao.id, bank(), effective_from=date(2025, 2, 1), clock=clock
    )
    wallet = Instrument(kind="ewallet", wallet_provider="MOMO", wallet_phone="+84 987 654 321")
    instruments.set_instrument(
        session, officer, cipher, dao.id, wallet, effective_from=date(2025, 6, 1), clock=clock
    )
    history = repository.instrument_history(session, dao.id)
    assert [(i.kind, i.effective_to) for i in history] == [("bank", date(2025, 6, 1)), ("ewallet", None)]
    assert first.id == history[0].id
    assert instruments.active_instrument(session, cipher, dao.id, date(2025, 5, 1)).account == "0123456789"
    assert instruments.active_instrument(session, cipher, dao.id, date(2025, 6, 1)).account == "0987654321"
    assert instruments.active_instrument(session, cipher, dao.id, date(2024, 6, 1)) is None


def test_an_unknown_bank_or_backdated_instrument_is_refused(session, officer, cipher, dao, clock):
    bad = Instrument(kind="bank", bank_bin="111111", account_number="0123456789", holder_name="X")
    with pytest.raises(InvalidInput):
        instruments.set_instrument(
            session, officer, cipher, dao.id, bad, effective_from=date(2025, 1, 1), clock=clock
        )
    instruments.set_instrument(
        session, officer, cipher, dao.id, bank(), effective_from=date(2025, 3, 1), clock=clock
    )
    with pytest.raises(RuleViolation):
        instruments.set_instrument(
            session, officer, cipher, dao.id, bank("999999999"), effective_from=date(2025, 2, 1), clock=clock
        )


def _holds(session, beneficiary_id, on=date(2025, 9, 20)):
    return [h.code for h in instruments.payout_holds(session, beneficiary_id, on, hold_days=30)]


def test_a_clean_person_has_no_holds(session, officer, cipher, dao, clock):
    instruments.set_instrument(
        session, officer, cipher, dao.id, bank(), effective_from=date(2025, 1, 1), clock=clock
    )
    assert _holds(session, dao.id) == []


def test_a_recent_change_of_account_holds_the_payout_until_the_window_passes(session, officer, cipher, dao):
    old_clock = fixed_clock(datetime(2025, 1, 1, tzinfo=UTC))
    instruments.set_instrument(
        session, officer, cipher, dao.id, bank(), effective_from=date(2025, 1, 1), clock=old_clock
    )
    instruments.set_instrument(
        session,
        officer,
        cipher,
        dao.id,
        bank("5555555555"),
        effective_from=date(2025, 9, 1),
        clock=fixed_clock(NOW - timedelta(days=20)),
    )
    assert _holds(session, dao.id, date(2025, 9, 20)) == ["instrument_changed"]
    assert _holds(session, dao.id, date(2025, 10, 30)) == []


def test_a_shared_account_a_wrong_holder_and_a_death_each_hold(session, officer, cipher, dao, clock):
    instruments.set_instrument(
        session,
        officer,
        cipher,
        dao.id,
        bank(holder="TRAN VAN DONG"),
        effective_from=date(2025, 1, 1),
        clock=clock,
    )
    other = BeneficiaryFactory(full_name="Trần Văn Đông")
    PaymentInstrumentFactory(beneficiary_id=other.id, account="0123456789", holder_name="TRAN VAN DONG")
    services.record_death(session, officer, dao.id, date(2025, 9, 3), clock=clock)
    assert set(_holds(session, dao.id)) == {"shared_account", "holder_name_mismatch", "deceased"}
    assert _holds(session, other.id) == ["shared_account"]


def test_no_instrument_is_a_hold_and_an_unknown_person_is_not_found(session, dao):
    from payments.errors import NotFound

    assert _holds(session, dao.id) == ["no_instrument"]
    with pytest.raises(NotFound):
        instruments.payout_holds(session, 999_999, date(2025, 9, 1), hold_days=30)
