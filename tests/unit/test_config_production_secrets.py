"""Production refuses every published development key by its bytes, whatever id or setting it
is filed under, a short secret key, and the sandbox adapter with its published callback secret."""

import base64
import json
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from payments.config import _DEV_PII_KEY, DEV_PII_INDEX_KEY, Settings
from payments.errors import ConfigError


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture
def production_env(tmp_path) -> dict[str, str]:
    pem = tmp_path / "ledger.pem"
    pem.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    adapters = tmp_path / "adapters.toml"
    adapters.write_text('[vietcombank]\nkind = "bank_api"\nbase_url = "https://bank.example"\n')
    return {
        "PAYMENTS_ENV": "production",
        "PAYMENTS_SECRET_KEY": _key(),
        "PAYMENTS_PII_KEYS": f"k1:{_key()}",
        "PAYMENTS_PII_INDEX_KEY": _key(),
        "PAYMENTS_LEDGER_SIGNING_KEY": str(pem),
        "PAYMENTS_ADAPTERS_FILE": str(adapters),
    }


@pytest.mark.parametrize("dev_key", [_DEV_PII_KEY, DEV_PII_INDEX_KEY], ids=["pii", "index"])
def test_a_development_key_filed_under_another_id_is_refused(production_env, dev_key):
    production_env["PAYMENTS_PII_KEYS"] = f"k2:{_key()},prod1:{dev_key}"
    with pytest.raises(ConfigError, match="PAYMENTS_PII_KEYS holds a development key"):
        Settings.from_env(production_env)


def test_the_development_pii_key_as_the_index_key_is_refused(production_env):
    production_env["PAYMENTS_PII_INDEX_KEY"] = _DEV_PII_KEY
    with pytest.raises(ConfigError, match="PAYMENTS_PII_INDEX_KEY holds a development key"):
        Settings.from_env(production_env)


def test_the_index_key_reused_as_an_encryption_key_is_refused(production_env):
    shared = _key()
    production_env["PAYMENTS_PII_KEYS"] = f"k1:{shared}"
    production_env["PAYMENTS_PII_INDEX_KEY"] = shared
    with pytest.raises(ConfigError, match="PAYMENTS_PII_INDEX_KEY must differ"):
        Settings.from_env(production_env)


@pytest.mark.parametrize("secret", ["x", "a" * 31])
def test_a_secret_key_shorter_than_32_bytes_is_refused(production_env, secret):
    assert (
        Settings.from_env({"PAYMENTS_ENV": "development", "PAYMENTS_SECRET_KEY": secret}).secret_key == secret
    )
    production_env["PAYMENTS_SECRET_KEY"] = secret
    with pytest.raises(ConfigError, match="PAYMENTS_SECRET_KEY must be at least 32 bytes"):
        Settings.from_env(production_env)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("adapters.toml", '[bank]\nkind = "sandbox"\n'),
        ("adapters.toml", '[bank]\nkind = "sandbox"\ncallback_secret = "sandbox callback secret"\n'),
        ("adapters.json", json.dumps({"wallet": {"kind": "sandbox"}})),
    ],
)
def test_a_sandbox_adapter_is_refused_in_production_naming_the_setting(production_env, tmp_path, name, text):
    assert Settings.from_env(production_env).is_production  # a bank_api instance: fine
    adapters = tmp_path / name
    adapters.write_text(text)
    assert Settings.from_env({"PAYMENTS_ADAPTERS_FILE": str(adapters)}).adapters_file == str(adapters)
    production_env["PAYMENTS_ADAPTERS_FILE"] = str(adapters)
    with pytest.raises(
        ConfigError, match=r"PAYMENTS_ADAPTERS_FILE: adapter instance '\w+' is of kind 'sandbox'"
    ):
        Settings.from_env(production_env)
