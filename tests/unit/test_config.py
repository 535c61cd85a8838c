import base64
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from payments.config import DEV_PII_KEYS, DEV_SECRET_KEY, Settings, development_signing_key
from payments.errors import ConfigError


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _write_key(path, key: Ed25519PrivateKey) -> str:
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.write_bytes(pem)
    return str(path)


@pytest.fixture
def production_env(tmp_path) -> dict[str, str]:
    return {
        "PAYMENTS_ENV": "production",
        "PAYMENTS_DATABASE_URL": "postgresql+psycopg://payments@db/payments",
        "PAYMENTS_SECRET_KEY": "a-real-secret-" + _key(),
        "PAYMENTS_PII_KEYS": f"k2:{_key()},k1:{_key()}",
        "PAYMENTS_PII_INDEX_KEY": _key(),
        "PAYMENTS_LEDGER_SIGNING_KEY": _write_key(tmp_path / "ledger.pem", Ed25519PrivateKey.generate()),
        "PAYMENTS_ADAPTERS_FILE": str(tmp_path / "adapters.toml"),
    }


def test_development_starts_with_development_keys():
    settings = Settings.from_env({})
    assert settings.env == "development"
    assert settings.secret_key == DEV_SECRET_KEY
    assert settings.pii_keys[0].key_id == "dev1"
    assert settings.database_url.startswith("sqlite:///")


def test_production_starts_with_real_secrets(production_env):
    settings = Settings.from_env(production_env)
    assert settings.is_production
    assert [k.key_id for k in settings.pii_keys] == ["k2", "k1"]


@pytest.mark.parametrize(
    "variable",
    [
        "PAYMENTS_SECRET_KEY",
        "PAYMENTS_PII_KEYS",
        "PAYMENTS_PII_INDEX_KEY",
        "PAYMENTS_LEDGER_SIGNING_KEY",
        "PAYMENTS_ADAPTERS_FILE",
    ],
)
def test_production_refuses_a_missing_secret_and_names_it(production_env, variable):
    del production_env[variable]
    with pytest.raises(ConfigError, match=variable):
        Settings.from_env(production_env)


def test_production_refuses_the_development_secret_key(production_env):
    production_env["PAYMENTS_SECRET_KEY"] = DEV_SECRET_KEY
    with pytest.raises(ConfigError, match="PAYMENTS_SECRET_KEY holds a development key"):
        Settings.from_env(production_env)


def test_production_refuses_the_development_pii_key_even_beside_a_real_one(production_env):
    production_env["PAYMENTS_PII_KEYS"] = f"k9:{_key()},{DEV_PII_KEYS}"
    with pytest.raises(ConfigError, match="PAYMENTS_PII_KEYS"):
        Settings.from_env(production_env)


def test_production_refuses_the_development_signing_key(production_env, tmp_path):
    production_env["PAYMENTS_LEDGER_SIGNING_KEY"] = _write_key(
        tmp_path / "dev.pem", development_signing_key()
    )
    with pytest.raises(ConfigError, match="development key"):
        Settings.from_env(production_env)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("nokeyid", "keyid:base64"),
        ("k1:not-base64!!", "not valid base64"),
        (f"k1:{base64.b64encode(b'short').decode()}", "32 bytes"),
        (f"k1:{_key()},k1:{_key()}", "repeated key id"),
    ],
)
def test_malformed_pii_keys_are_refused_with_a_plain_message(raw, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({"PAYMENTS_PII_KEYS": raw})


def test_unknown_environment_is_refused():
    with pytest.raises(ConfigError, match="PAYMENTS_ENV"):
        Settings.from_env({"PAYMENTS_ENV": "staging"})


def test_settings_are_frozen():
    settings = Settings.from_env({})
    with pytest.raises(AttributeError):
        settings.env = "production"  # type: ignore[misc]


def test_numbers_are_read_from_the_environment():
    settings = Settings.from_env(
        {"PAYMENTS_UNCONFIRMED_PAYOUT_DAYS": "5", "PAYMENTS_UNCLAIMED_CASH_MONTHS": "4"}
    )
    assert (settings.unconfirmed_payout_days, settings.unclaimed_cash_months) == (5, 4)


@pytest.mark.parametrize(
    ("variable", "raw", "message"),
    [
        ("PAYMENTS_UNCONFIRMED_PAYOUT_DAYS", "0", "_UNCONFIRMED_PAYOUT_DAYS must be at least 1, not 0"),
        ("PAYMENTS_UNCLAIMED_CASH_MONTHS", "-3", "_UNCLAIMED_CASH_MONTHS must be at least 1, not -3"),
        ("PAYMENTS_DISPATCH_LEASE_SECONDS", "0", "_DISPATCH_LEASE_SECONDS must be at least 1, not 0"),
        ("PAYMENTS_TWO_APPROVER_THRESHOLD_VND", "-1", "_TWO_APPROVER_THRESHOLD_VND must be at least 0"),
        ("PAYMENTS_TOKEN_TTL_DAYS", "ninety", "_TOKEN_TTL_DAYS must be an integer, not 'ninety'"),
    ],
)
def test_a_number_that_would_turn_a_safeguard_off_is_refused_by_name(variable, raw, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({variable: raw})


def test_zero_is_allowed_where_it_is_the_strict_choice():
    settings = Settings.from_env(
        {"PAYMENTS_TWO_APPROVER_THRESHOLD_VND": "0", "PAYMENTS_INSTRUMENT_CHANGE_HOLD_DAYS": "0"}
    )
    assert (settings.two_approver_threshold_vnd, settings.instrument_change_hold_days) == (0, 0)
