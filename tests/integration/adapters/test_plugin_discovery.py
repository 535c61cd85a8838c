"""A new adapter kind installed from another package is found without editing this one."""

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from payments.adapters.creditors import BankAccount
from payments.adapters.messages import PayoutInstruction
from payments.adapters.registry import AdapterRegistry, discover
from payments.adapters.vocabulary import PayoutStatus
from payments.commands.simulate import simulate

PYPROJECT = """
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "payments-plugtest-adapter"
version = "0.0.1"

[project.entry-points."payments.adapters"]
plugtest = "payments_plugtest_adapter:create"

[project.entry-points."payments.simulators"]
plugtest = "payments_plugtest_adapter:simulator"

[tool.setuptools]
py-modules = ["payments_plugtest_adapter"]
"""

MODULE = '''
"""An adapter written against the adapter contract's modules only (messages, vocabulary)."""

import click

from payments.adapters.messages import SendResult, StatusResult
from payments.adapters.vocabulary import Capability, PayoutStatus


class PlugtestAdapter:
    capabilities = frozenset({Capability.SEND, Capability.STATUS, Capability.BANK_ACCOUNTS})

    def __init__(self, name, prefix):
        self.name = name
        self.prefix = prefix
        self.sent = {}

    def send(self, chunk):
        for payout in chunk:
            self.sent.setdefault(payout.payout_key, f"{self.prefix}-{len(self.sent) + 1}")
        return [SendResult(payout_key=p.payout_key, status=PayoutStatus.SETTLED,
                           provider_reference=self.sent[p.payout_key]) for p in chunk]

    def status(self, payout_key):
        if payout_key not in self.sent:
            return StatusResult(payout_key=payout_key, status=PayoutStatus.NOT_FOUND)
        return StatusResult(payout_key=payout_key, status=PayoutStatus.SETTLED)

    def parse_callback(self, headers, body):
        raise NotImplementedError

    def fetch_statement(self, day):
        raise NotImplementedError

    def lookup_name(self, creditor):
        raise NotImplementedError


def create(name, settings, services):
    return PlugtestAdapter(name, settings["prefix"])


@click.command()
def simulator():
    """The plugtest provider's simulator."""
    click.echo("plugtest simulator running")
'''


@pytest.fixture(scope="module")
def installed_plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package built from its pyproject and pip-installed into a private target directory."""
    source = tmp_path_factory.mktemp("plugtest-src")
    (source / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (source / "payments_plugtest_adapter.py").write_text(textwrap.dedent(MODULE), encoding="utf-8")
    target = tmp_path_factory.mktemp("plugtest-site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return target


@pytest.fixture
def plugin_on_path(installed_plugin: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.syspath_prepend(str(installed_plugin))
    yield
    sys.modules.pop("payments_plugtest_adapter", None)


@pytest.mark.slow
def test_an_adapter_kind_from_another_installed_package_is_discovered_and_built(plugin_on_path):
    assert "plugtest" in discover()
    registry = AdapterRegistry()
    first = registry.build("plug-a", {"kind": "plugtest", "prefix": "A"})
    second = registry.build("plug-b", {"kind": "plugtest", "prefix": "B"})
    payout = PayoutInstruction(
        payout_key="K-1",
        amount_vnd=100_000,
        creditor=BankAccount(bin="970436", account_number="0011002233"),
        beneficiary_name="Nguyễn Thị Đào",
    )
    [result] = first.send([payout])
    assert (result.status, result.provider_reference) == (PayoutStatus.SETTLED, "A-1")
    assert second.status("K-1").status is PayoutStatus.NOT_FOUND


@pytest.mark.slow
def test_a_simulator_from_another_installed_package_joins_payments_simulate(plugin_on_path):
    runner = CliRunner()
    assert "plugtest" in runner.invoke(simulate, ["--help"]).output
    result = runner.invoke(simulate, ["plugtest"])
    assert result.exit_code == 0
    assert "plugtest simulator running" in result.output


def test_without_the_package_the_kind_is_unknown():
    assert "plugtest" not in discover()
