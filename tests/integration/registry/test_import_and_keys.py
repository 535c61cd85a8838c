import csv
import io
from datetime import date

import pytest
from sqlalchemy import func, select

from payments import migrate
from payments.config import PiiKey, Settings
from payments.context import SYSTEM
from payments.db import make_engine, make_session_factory
from payments.errors import InvalidInput, NotFound
from payments.registry import repository, units
from payments.registry.crypto import PiiCipher
from payments.registry.import_rows import CSV_HEADER
from payments.registry.importer import import_beneficiaries
from payments.registry.model import Beneficiary, EnrolmentVersion, PaymentInstrument
from payments.registry.rotation import rotate_keys, rows_to_rotate


def csv_text(*rows: dict[str, str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_HEADER, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        full = dict.fromkeys(CSV_HEADER, "")
        full.update(row)
        writer.writerow(full)
    return out.getvalue()


def row(n: int = 123, **changes) -> dict[str, str]:
    values = {
        "citizen_id": f"068155000{n:03d}",
        "full_name": "Nguyễn Thị Đào",
        "date_of_birth": "1955-04-02",
        "sex": "female",
        "commune_code": "24778",
        "phone": "0912345678",
        "programme": "NCC",
        "category": "NCC_WAR_INVALID",
        "parameters": "injury_rate=61",
        "decision_number": "12/QĐ-UBND",
        "decision_date": "2024-08-20",
        "instrument_kind": "bank",
        "bank_bin": "970436",
        "account_number": f"0123456{n:03d}",
        "holder_name": "NGUYEN THI DAO",
    }
    values.update(changes)
    return values


def run(session, cipher, text, clock, **options):
    return import_beneficiaries(session, SYSTEM, cipher, lambda: io.StringIO(text), clock=clock, **options)


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_a_clean_file_is_imported_and_re_importing_it_changes_nothing(session, cipher, clock):
    text = csv_text(
        row(1), row(2), row(2, programme="BTXH", category="BTXH_ELDERLY_POOR_60_80", parameters="")
    )
    first = run(session, cipher, text, clock)
    assert (first.written, first.beneficiaries_created, first.enrolments_created, first.instruments_set) == (
        True,
        2,
        3,
        2,
    )
    before = (
        count(session, Beneficiary),
        count(session, EnrolmentVersion),
        count(session, PaymentInstrument),
    )
    again = run(session, cipher, text, clock)
    assert again.unchanged_rows == 3
    assert again.counts()["enrolment_versions_added"] == 0
    assert (
        count(session, Beneficiary),
        count(session, EnrolmentVersion),
        count(session, PaymentInstrument),
    ) == before


def test_an_updated_row_adds_versions_instead_of_overwriting(session, cipher, clock):
    run(session, cipher, csv_text(row(1)), clock)
    report = run(
        session,
        cipher,
        csv_text(row(1, parameters="injury_rate=81", phone="0987654321", account_number="9999999999")),
        clock,
    )
    assert (report.beneficiaries_updated, report.enrolment_versions_added, report.instruments_set) == (
        1,
        1,
        1,
    )
    beneficiary = repository.beneficiary_by_citizen_index(session, cipher.index("citizen_id", "068155000001"))
    enrolment = repository.enrolments_of(session, beneficiary.id)[0]
    assert [v.parameters for v in repository.enrolment_versions(session, enrolment.id)] == [
        {"injury_rate": 61},
        {"injury_rate": 81},
    ]
    assert len(repository.instrument_history(session, beneficiary.id)) == 2


def test_a_move_to_another_commune_closes_the_enrolment_until_the_new_commune_decides(session, cipher, clock):
    """DOMAIN rule 6, through the province's file: the old decision is closed at the month of the
    move; a later file with the new commune's decision enrols the person again."""
    run(session, cipher, csv_text(row(1)), clock)
    moved = run(session, cipher, csv_text(row(1, commune_code="24781", effective_date="2025-08-14")), clock)
    assert moved.ok, moved.problems
    assert (moved.beneficiaries_updated, moved.enrolments_closed_by_move) == (1, 1)
    beneficiary = repository.beneficiary_by_citizen_index(session, cipher.index("citizen_id", "068155000001"))
    (closed,) = repository.enrolments_of(session, beneficiary.id)
    last = repository.enrolment_versions(session, closed.id)[-1]
    assert (closed.status, last.end_month, last.change) == ("terminated", date(2025, 8, 1), "moved")
    assert "moved from commune 24778 to 24781 on 2025-08-14" in last.status_reason
    assert "DOMAIN rule 6" in last.status_reason

    decided = row(1, commune_code="24781", decision_number="88/QĐ-UBND", decision_date="2025-09-02")
    resumed = run(session, cipher, csv_text(decided), clock)
    assert resumed.ok, resumed.problems
    assert resumed.enrolments_created == 1
    statuses = sorted(e.status for e in repository.enrolments_of(session, beneficiary.id))
    assert statuses == ["active", "terminated"]


def test_a_commune_recoded_by_a_merger_is_not_a_move(session, cipher, clock):
    run(session, cipher, csv_text(row(1, commune_code="22960")), clock)
    recoded = run(session, cipher, csv_text(row(1, commune_code="22900", effective_date="2025-07-01")), clock)
    assert recoded.ok, recoded.problems
    assert recoded.enrolments_closed_by_move == 0
    beneficiary = repository.beneficiary_by_citizen_index(session, cipher.index("citizen_id", "068155000001"))
    assert [e.status for e in repository.enrolments_of(session, beneficiary.id)] == ["active"]


def test_any_invalid_row_means_nothing_is_written_and_every_problem_is_reported(session, cipher, clock):
    other_programme = {"programme": "BTXH", "category": "BTXH_ELDERLY_POOR_60_80", "parameters": ""}
    text = csv_text(
        row(1), row(2, sex="male", bank_bin="000000"), row(1, full_name="Lê Văn An", **other_programme)
    )
    report = run(session, cipher, text, clock)
    assert not report.written
    assert [(p.row, p.column) for p in report.problems] == [
        (3, "citizen_id"),
        (3, "bank_bin"),
        (4, "citizen_id"),
    ]
    assert "line 2" in report.problems[-1].message
    assert count(session, Beneficiary) == 0


def test_skip_invalid_writes_the_good_rows(session, cipher, clock):
    report = run(
        session, cipher, csv_text(row(1), row(2, decision_date="2999-01-01")), clock, skip_invalid=True
    )
    assert report.written
    assert report.beneficiaries_created == 1
    assert len(report.problems) == 1


def test_a_dry_run_counts_exactly_and_writes_nothing(session, cipher, clock):
    report = run(session, cipher, csv_text(row(1), row(2)), clock, dry_run=True)
    assert (report.written, report.beneficiaries_created) == (False, 2)
    assert count(session, Beneficiary) == 0


def test_a_wrong_header_is_reported_on_line_one(session, cipher, clock):
    report = run(session, cipher, "citizen_id,name\n1,2\n", clock)
    assert report.problems[0].row == 1
    assert "missing" in report.problems[0].message


def test_a_row_the_csv_reader_cannot_read_is_reported_on_its_line_and_nothing_is_written(
    session, cipher, clock
):
    text = csv_text(row(1), row(2, full_name="x" * 200_000), row(3))  # over the csv module's field limit
    report = run(session, cipher, text, clock)
    assert not report.written
    assert [(p.row, p.column) for p in report.problems] == [(3, "row")]
    assert "field larger than field limit" in report.problems[0].message
    assert count(session, Beneficiary) == 0


def test_key_rotation_re_encrypts_every_row_and_a_second_run_finds_nothing(
    session, session_factory, cipher, clock
):
    run(session, cipher, csv_text(row(1), row(2, legacy_id="123456789")), clock)
    session.commit()
    development = Settings.from_env({})
    ring = PiiCipher([PiiKey("k-new", b"\x07" * 32), *development.pii_keys], development.pii_index_key)
    assert rows_to_rotate(session, ring) == 4
    done = rotate_keys(session_factory, SYSTEM, ring, chunk=1)
    assert done == 4
    assert rows_to_rotate(session, ring) == 0
    assert rotate_keys(session_factory, SYSTEM, ring, chunk=1) == 0
    session.expire_all()
    beneficiary = repository.beneficiary_by_citizen_index(session, cipher.index("citizen_id", "068155000002"))
    assert beneficiary.citizen_id_key == "k-new"
    assert ring.open("legacy_id", beneficiary.legacy_id_ct, beneficiary.legacy_id_key) == "123456789"


def test_merged_units_resolve_to_their_current_successor(session):
    assert units.current_successor(session, "60", date(2025, 7, 1)) == "68"
    assert units.current_successor(session, "60", date(2025, 6, 30)) == "60"
    assert units.current_successor(session, "22960", date(2025, 9, 1)) == "22900"
    with pytest.raises(NotFound):
        units.current_successor(session, "99999", date(2025, 9, 1))


def test_the_official_unit_list_is_imported_idempotently(session):
    text = (
        "level,code,name,province_code,valid_from,valid_to,successor_code\n"
        "commune,23001,Xã Mới,68,2025-07-01,,\n"
        "commune,23000,Xã Cũ,60,,2025-06-30,23001\n"
    )
    assert units.import_units(session, SYSTEM, text) == {"added": 2, "changed": 0, "unchanged": 0}
    assert units.import_units(session, SYSTEM, text) == {"added": 0, "changed": 0, "unchanged": 2}
    assert units.current_successor(session, "23000", date(2025, 8, 1)) == "23001"
    with pytest.raises(InvalidInput):
        units.import_units(session, SYSTEM, "level,code\nprovince,1\n")


def test_the_sqlite_file_never_holds_clear_citizen_ids_accounts_or_phones(tmp_path, cipher, clock):
    engine = make_engine(f"sqlite:///{tmp_path / 'grep.db'}")
    migrate.upgrade(engine)
    rows = [row(n, phone=f"09876{n:05d}", legacy_id=f"98765{n:04d}") for n in range(1, 40)]
    with make_session_factory(engine)() as session:
        assert run(session, cipher, csv_text(*rows), clock).written
        session.commit()
    engine.dispose()
    raw = b"".join(path.read_bytes() for path in tmp_path.glob("grep.db*"))
    assert b"NGUYEN THI DAO" in raw  # the file is readable: the check below is meaningful
    for values in rows:
        for field in ("citizen_id", "account_number", "phone", "legacy_id"):
            assert values[field].encode() not in raw, field
