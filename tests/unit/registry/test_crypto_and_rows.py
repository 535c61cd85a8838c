import base64
from datetime import date

import pytest

from payments.config import PiiKey
from payments.errors import ConfigError
from payments.registry.crypto import PiiCipher, mask
from payments.registry.identity import RegisteredPerson, SandboxIdentityChecker
from payments.registry.import_rows import CSV_HEADER, parse_row
from payments.registry.seed import category_rows, commune_rows, province_rows, successors_last
from payments.registry.validation import Reference, coerce_parameters, parameter_problems

OLD, NEW = PiiKey("k1", b"\x01" * 32), PiiKey("k2", b"\x02" * 32)
REF = Reference(
    communes={"24778": (None, None), "22960": (date(2025, 6, 30), "22900")},
    categories={
        "NCC_WAR_INVALID": ("NCC", [{"name": "injury_rate", "type": "int", "min": "21", "max": "100"}]),
        "BTXH_ELDERLY_80_NO_PENSION": ("BTXH", []),
    },
    banks=frozenset({"970436"}),
    wallet_providers=frozenset({"MOMO"}),
)
TODAY = date(2025, 9, 1)


def test_sealed_values_open_with_the_key_that_made_them_and_new_ones_use_the_first_key():
    old = PiiCipher([OLD], b"i" * 32).seal("citizen_id", "068155000123")
    ring = PiiCipher([NEW, OLD], b"i" * 32)
    assert ring.open("citizen_id", old.ciphertext, old.key_id) == "068155000123"
    assert ring.seal("citizen_id", "x").key_id == "k2"


def test_a_ciphertext_moved_to_another_field_or_altered_is_refused():
    cipher = PiiCipher([OLD], b"i" * 32)
    sealed = cipher.seal("citizen_id", "068155000123")
    with pytest.raises(ConfigError):
        cipher.open("phone", sealed.ciphertext, sealed.key_id)
    altered = sealed.ciphertext[:-1] + bytes([sealed.ciphertext[-1] ^ 0x01])  # always a change
    with pytest.raises(ConfigError):
        cipher.open("citizen_id", altered, sealed.key_id)


def test_a_missing_key_is_a_config_error_naming_it():
    sealed = PiiCipher([OLD], b"i" * 32).seal("phone", "0912345678")
    with pytest.raises(ConfigError, match="k1"):
        PiiCipher([NEW], b"i" * 32).open("phone", sealed.ciphertext, sealed.key_id)


def test_blind_index_is_stable_keyed_and_separated_by_field():
    one, other = PiiCipher([OLD], b"i" * 32), PiiCipher([NEW], b"j" * 32)
    assert one.index("citizen_id", "1") == PiiCipher([NEW], b"i" * 32).index("citizen_id", "1")
    assert one.index("citizen_id", "1") != other.index("citizen_id", "1")
    assert one.index("citizen_id", "1") != one.index("phone", "1")


def test_masking_keeps_only_the_last_three_characters():
    assert mask("068155000123") == "*********123"
    assert mask(None) is None


def test_parameters_are_checked_and_coerced_without_floats():
    specs = [
        {"name": "injury_rate", "type": "int", "min": "21", "max": "100"},
        {"name": "coefficient", "type": "decimal", "min": "0.1", "max": "10"},
    ]
    assert parameter_problems(specs, {"injury_rate": "61", "coefficient": "1.50"}) == []
    assert coerce_parameters(specs, {"injury_rate": "61", "coefficient": "1.50"}) == {
        "injury_rate": 61,
        "coefficient": "1.5",
    }
    problems = parameter_problems(specs, {"injury_rate": "20", "coefficient": 1.5, "x": 1})
    assert problems == [
        "unknown parameter 'x'",
        "parameter 'injury_rate' must be between 21 and 100",
        "parameter 'coefficient' must be a decimal",
    ]


def _raw(**values):
    row = dict.fromkeys(CSV_HEADER, "")
    row.update(
        citizen_id="068155000123",
        full_name="Nguyễn Thị Đào",
        date_of_birth="02/04/1955",
        sex="nữ",
        commune_code="24778",
        programme="NCC",
        category="NCC_WAR_INVALID",
        parameters="injury_rate=61",
        decision_number="12/QĐ-UBND",
        decision_date="2024-08-20",
    )
    row.update(values)
    return row


def test_a_good_row_parses_with_vietnamese_dates_and_default_start_month():
    parsed, problems = parse_row(2, _raw(), REF, TODAY)
    assert problems == []
    assert parsed.person.sex == "female"
    assert parsed.person.date_of_birth == date(1955, 4, 2)
    assert parsed.terms.start_month == date(2024, 8, 1)


def test_every_problem_in_a_row_is_reported_with_its_column():
    raw = _raw(
        citizen_id="068055000123",
        commune_code="22960",
        parameters="injury_rate=10",
        start_month="2024-07",
        instrument_kind="bank",
        bank_bin="123456",
        account_number="12",
    )
    parsed, problems = parse_row(7, raw, REF, TODAY)
    assert parsed is None
    columns = {p.column for p in problems}
    assert columns == {
        "citizen_id",
        "commune_code",
        "parameters",
        "start_month",
        "bank_bin",
        "account_number",
        "holder_name",
    }
    assert any("successor 22900" in p.message for p in problems)


def test_missing_required_columns_are_named():
    _, problems = parse_row(3, _raw(full_name="", decision_date=""), REF, TODAY)
    assert {(p.column, p.message) for p in problems} == {
        ("full_name", "this column is required"),
        ("decision_date", "this column is required"),
    }


def test_sandbox_identity_checker_compares_without_diacritics_and_reports_deaths():
    checker = SandboxIdentityChecker()
    checker.register("068155000123", RegisteredPerson("Nguyễn Thị Đào", date(1955, 4, 2)))
    checker.register("068155000124", RegisteredPerson("Lê Văn An", date(1955, 1, 1), date(2025, 1, 5)))
    assert checker.check("068155000123", "NGUYEN THI DAO", date(1955, 4, 2)).status == "match"
    assert checker.check("068155000123", "NGUYEN THI DAO", date(1955, 4, 3)).status == "no_match"
    assert checker.check("068155000124", "Lê Văn An", date(1955, 1, 1)).date_of_death == date(2025, 1, 5)
    assert checker.check("068155999999", "X", date(1955, 1, 1)).status == "no_match"


def test_seed_data_puts_successors_first_and_merges_60_and_67_into_68():
    provinces = province_rows()
    assert next(p["code"] for p in provinces) == "68"
    assert {p["code"]: p["successor_code"] for p in provinces} == {"68": None, "60": "68", "67": "68"}
    codes_seen: set[str] = set()
    for commune in commune_rows():
        assert commune["successor_code"] is None or commune["successor_code"] in codes_seen
        codes_seen.add(commune["code"])
    assert {"NCC_WAR_INVALID", "BTXH_ELDERLY_POOR_60_80"} <= {c["code"] for c in category_rows()}


def test_successor_ordering_handles_chains():
    rows = [
        {"code": "a", "successor_code": "b"},
        {"code": "b", "successor_code": "c"},
        {"code": "c", "successor_code": None},
    ]
    assert [r["code"] for r in successors_last(rows)] == ["c", "b", "a"]


def test_keys_are_32_bytes():
    with pytest.raises(ConfigError):
        PiiCipher([OLD], base64.b64decode("AAAA"))
