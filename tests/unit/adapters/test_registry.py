"""The registry builds named, separately configured instances of installed adapter kinds."""

import json
from datetime import UTC, datetime
from importlib.metadata import EntryPoint

import pytest

from payments.adapters.base import AdapterServices
from payments.adapters.errors import AdapterConfigError
from payments.adapters.registry import AdapterRegistry, discover, load_instances, resolve_setting
from payments.adapters.sandbox.adapter import SandboxAdapter, create


def test_the_built_in_kinds_are_installed_entry_points():
    assert {"sandbox", "bank_api", "ewallet"} <= set(discover())


def test_two_instances_of_one_kind_keep_their_own_settings_and_state():
    registry = AdapterRegistry()
    first = registry.build("province-a", {"kind": "sandbox", "opening_balance_vnd": 1_000})
    second = registry.build("province-b", {"kind": "sandbox", "opening_balance_vnd": 2_000})
    assert (first.name, second.name) == ("province-a", "province-b")
    day = datetime.now(UTC).date()
    assert first.fetch_statement(day).opening_balance_vnd == 1_000
    assert second.fetch_statement(day).opening_balance_vnd == 2_000


def test_build_all_names_every_configured_instance():
    adapters = AdapterRegistry().build_all({"a": {"kind": "sandbox"}, "b": {"kind": "sandbox"}})
    assert sorted(adapters) == ["a", "b"]
    assert adapters["a"] is not adapters["b"]


def test_an_unknown_kind_is_a_configuration_error_naming_the_known_ones():
    with pytest.raises(AdapterConfigError, match=r"no adapter kind 'swift'.*sandbox"):
        AdapterRegistry().build("x", {"kind": "swift"})


def test_an_instance_without_a_kind_is_a_configuration_error():
    with pytest.raises(AdapterConfigError, match="no 'kind'"):
        AdapterRegistry().build("x", {"base_url": "http://127.0.0.1"})


def test_a_kind_that_fails_to_import_is_a_configuration_error():
    broken = EntryPoint("broken", "payments_no_such_module:create", "payments.adapters")
    with pytest.raises(AdapterConfigError, match="failed to load"):
        AdapterRegistry({"broken": broken}).build("x", {"kind": "broken"})


def test_a_factory_that_does_not_build_an_adapter_is_refused():
    registry = AdapterRegistry({"odd": lambda name, settings, services: object()})
    with pytest.raises(AdapterConfigError, match="did not build"):
        registry.build("x", {"kind": "odd"})


def test_factories_receive_the_host_services():
    seen = []

    def factory(name, settings, services):
        seen.append(services)
        return create(name, settings, services)

    services = AdapterServices()
    AdapterRegistry({"sandbox": factory}, services).build("x", {"kind": "sandbox"})
    assert seen == [services]


def test_secrets_are_read_from_the_environment_or_a_file(tmp_path):
    key_file = tmp_path / "key.pem"
    key_file.write_text("PEM DATA", encoding="utf-8")
    env = {"WALLET_SECRET": "s3cret"}
    assert resolve_setting("w", "secret", "env:WALLET_SECRET", env) == "s3cret"
    assert resolve_setting("w", "private_key", f"file:{key_file}", env) == "PEM DATA"
    assert resolve_setting("w", "timeout", 5, env) == 5
    assert resolve_setting("w", "base_url", "http://x", env) == "http://x"


def test_a_missing_secret_is_a_configuration_error_not_a_fallback(tmp_path):
    with pytest.raises(AdapterConfigError, match="NOPE is not set"):
        resolve_setting("w", "secret", "env:NOPE", {})
    with pytest.raises(AdapterConfigError, match="cannot read"):
        resolve_setting("w", "secret", f"file:{tmp_path / 'absent'}", {})


def test_instances_load_from_toml_or_json(tmp_path):
    toml = tmp_path / "adapters.toml"
    toml.write_text(
        '[vcb]\nkind = "bank_api"\nread_timeout = 10\n[momo]\nkind = "ewallet"\n', encoding="utf-8"
    )
    assert load_instances(toml) == {
        "vcb": {"kind": "bank_api", "read_timeout": 10},
        "momo": {"kind": "ewallet"},
    }
    as_json = tmp_path / "adapters.json"
    as_json.write_text(json.dumps({"sb": {"kind": "sandbox"}}), encoding="utf-8")
    assert load_instances(as_json) == {"sb": {"kind": "sandbox"}}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("adapters.yaml", "a: 1", "must be .toml or .json"),
        ("adapters.json", "[1, 2]", "maps instance names"),
        ("adapters.toml", "not = [valid", "cannot read"),
    ],
)
def test_a_bad_configuration_file_is_refused(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(AdapterConfigError, match=message):
        load_instances(path)


def test_the_sandbox_refuses_an_unknown_default_outcome():
    with pytest.raises(AdapterConfigError, match="default_outcome"):
        AdapterRegistry().build("x", {"kind": "sandbox", "default_outcome": "reject"})
    assert isinstance(AdapterRegistry().build("x", {"kind": "sandbox"}), SandboxAdapter)
