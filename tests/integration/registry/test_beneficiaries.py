from datetime import date

import pytest
from sqlalchemy import select, text

from payments.audit.model import AuditEvent
from payments.errors import Conflict, InvalidInput, NotFound, RuleViolation
from payments.registry import repository, services
from payments.registry.identity import RegisteredPerson, SandboxIdentityChecker
from payments.registry.model import Beneficiary
from tests.factories import BeneficiaryFactory
from tests.integration.registry.conftest import NOW, person


def test_registering_stores_ciphertext_blind_index_and_a_first_version(session, officer, cipher, clock):
    beneficiary = services.register_beneficiary(session, officer, cipher, person(), clock=clock)
    assert b"068155000123" not in beneficiary.citizen_id_ct
    assert beneficiary.citizen_id_bidx == cipher.index("citizen_id", "068155000123")
    assert services.current_person(beneficiary, cipher).phone == "0912345678"
    assert beneficiary.search_name == "NGUYEN THI DAO"
    assert [v.change for v in repository.beneficiary_versions(session, beneficiary.id)] == ["registered"]


def test_the_audit_record_holds_only_masked_identifiers(session, officer, cipher, clock):
    beneficiary = services.register_beneficiary(session, officer, cipher, person(), clock=clock)
    event = session.scalars(
        select(AuditEvent).where(
            AuditEvent.target_type == "beneficiary", AuditEvent.target_id == str(beneficiary.id)
        )
    ).one()
    assert event.summary["after"]["citizen_id"] == "*********123"
    assert "0912345678" not in str(event.summary)


def test_a_second_person_with_the_same_citizen_id_is_a_conflict(session, officer, cipher, clock):
    services.register_beneficiary(session, officer, cipher, person(), clock=clock)
    with pytest.raises(Conflict):
        services.register_beneficiary(session, officer, cipher, person(full_name="Lê Thị Đào"), clock=clock)


def test_the_database_itself_refuses_a_duplicate_blind_index(session):
    first = BeneficiaryFactory(citizen_id="068155000777")
    with pytest.raises(Exception, match=r"(?i)unique"), session.begin_nested():
        BeneficiaryFactory(citizen_id="068155000777")
    assert first.id


def test_an_id_inconsistent_with_birth_and_sex_is_refused_with_every_problem(session, officer, cipher, clock):
    with pytest.raises(InvalidInput) as refused:
        services.register_beneficiary(
            session, officer, cipher, person(sex="male", phone="12", commune_code="00000"), clock=clock
        )
    columns = {p["column"] for p in refused.value.extra["problems"]}
    assert columns == {"citizen_id", "phone", "commune_code"}


def test_an_update_adds_a_version_and_keeps_the_old_commune(session, officer, cipher, clock):
    beneficiary = services.register_beneficiary(
        session, officer, cipher, person(commune_code="24781"), effective_date=date(2025, 7, 1), clock=clock
    )
    services.update_beneficiary(
        session,
        officer,
        cipher,
        beneficiary.id,
        {"commune_code": "24787"},
        effective_date=date(2025, 9, 1),
        clock=clock,
    )
    versions = repository.beneficiary_versions(session, beneficiary.id)
    assert [(v.version, v.commune_code) for v in versions] == [(1, "24781"), (2, "24787")]
    assert repository.beneficiary_as_known(session, beneficiary.id, date(2025, 8, 1)).commune_code == "24781"
    assert beneficiary.commune_code == "24787"


def test_an_update_that_changes_nothing_adds_no_version(session, officer, cipher, clock):
    beneficiary = services.register_beneficiary(session, officer, cipher, person(), clock=clock)
    services.update_beneficiary(
        session, officer, cipher, beneficiary.id, {"phone": "0912 345 678"}, clock=clock
    )
    assert beneficiary.version == 1


def test_an_update_of_an_unknown_field_or_person_is_refused(session, officer, cipher, clock):
    beneficiary = services.register_beneficiary(session, officer, cipher, person(), clock=clock)
    with pytest.raises(InvalidInput):
        services.update_beneficiary(session, officer, cipher, beneficiary.id, {"colour": "red"}, clock=clock)
    with pytest.raises(NotFound):
        services.update_beneficiary(session, officer, cipher, 999_999, {"full_name": "A"}, clock=clock)


def test_a_death_is_recorded_once_and_a_different_date_is_a_conflict(session, officer, cipher, clock):
    beneficiary = services.register_beneficiary(session, officer, cipher, person(), clock=clock)
    services.record_death(session, officer, beneficiary.id, date(2025, 9, 3), clock=clock)
    services.record_death(session, officer, beneficiary.id, date(2025, 9, 3), clock=clock)
    assert beneficiary.life_status == "deceased"
    assert beneficiary.version == 2
    with pytest.raises(Conflict):
        services.record_death(session, officer, beneficiary.id, date(2025, 9, 4), clock=clock)


def test_a_death_in_the_future_is_refused(session, officer, cipher, clock):
    beneficiary = services.register_beneficiary(session, officer, cipher, person(), clock=clock)
    with pytest.raises(RuleViolation):
        services.record_death(session, officer, beneficiary.id, date(2030, 1, 1), clock=clock)


def test_the_identity_check_result_and_time_are_stored(session, officer, cipher, clock):
    beneficiary = services.register_beneficiary(session, officer, cipher, person(), clock=clock)
    checker = SandboxIdentityChecker()
    checker.register("068155000123", RegisteredPerson("Nguyễn Thị Đào", date(1955, 4, 2), date(2025, 8, 1)))
    services.check_identity(session, officer, cipher, beneficiary.id, checker, clock=clock)
    assert (beneficiary.identity_status, beneficiary.identity_checked_at) == ("deceased", NOW)


def test_search_by_name_without_diacritics_and_by_exact_citizen_id(session, officer, cipher, clock):
    dao = services.register_beneficiary(session, officer, cipher, person(), clock=clock)
    BeneficiaryFactory(full_name="Trần Văn Đông")
    assert [b.id for b in repository.search_beneficiaries(session, name="thi dao")] == [dao.id]
    found = repository.search_beneficiaries(
        session, citizen_id_bidx=cipher.index("citizen_id", "068155000123")
    )
    assert [b.id for b in found] == [dao.id]
    assert repository.search_beneficiaries(session, name="100%_") == []


def test_the_raw_rows_hold_no_clear_identifiers(session, officer, cipher, clock):
    beneficiary = services.register_beneficiary(
        session, officer, cipher, person(legacy_id="123456789"), clock=clock
    )
    row = session.execute(text("SELECT * FROM beneficiaries WHERE id = :id"), {"id": beneficiary.id}).one()
    flat = " ".join(str(value) for value in row)
    assert "068155000123" not in flat
    assert "0912345678" not in flat
    assert "123456789" not in flat
    assert session.get(Beneficiary, beneficiary.id).legacy_id_ct is not None
