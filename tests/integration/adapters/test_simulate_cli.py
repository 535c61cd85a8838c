"""`payments simulate bank|ewallet|vnpost`: simulators from the command line, with fault flags."""

import json
import os
import stat

from click.testing import CliRunner

from payments.adapters.simkit import Faults
from payments.cli import cli
from payments.commands.simulate import faults_from_options


def run(*args: str):
    return CliRunner().invoke(cli, ["simulate", *args], catch_exceptions=False)


def test_simulate_lists_the_bank_ewallet_and_vnpost_simulators():
    output = run("--help").output
    assert "bank" in output
    assert "ewallet" in output
    assert "vnpost" in output


def test_the_bank_simulator_runs_with_faults_and_writes_owner_only_adapter_settings(tmp_path):
    accounts = tmp_path / "accounts.json"
    accounts.write_text(json.dumps([{"bin": "970436", "account_number": "0011", "holder_name": "A"}]))
    settings = tmp_path / "bank.json"
    result = run(
        "bank", "--duration", "0.1", "--seed", "5", "--reject-closed", "0.2", "--accounts", str(accounts),
        "--settings-out", str(settings),
    )  # fmt: skip
    assert result.exit_code == 0
    assert "bank simulator at http://127.0.0.1:" in result.output
    assert "0 payout keys credited, 0 more than once" in result.output
    written = json.loads(settings.read_text())
    assert written["kind"] == "bank_api"
    assert "BEGIN PRIVATE KEY" in written["private_key"]
    assert stat.S_IMODE(os.stat(settings).st_mode) == 0o600


def test_the_ewallet_simulator_runs_with_callback_faults(tmp_path):
    wallets = tmp_path / "wallets.json"
    wallets.write_text(json.dumps([{"phone": "+84912345678", "holder_name": "A"}]))
    result = run("ewallet", "--duration", "0.1", "--duplicate-callbacks", "1", "--accounts", str(wallets))
    assert result.exit_code == 0
    assert "e-wallet simulator at http://127.0.0.1:" in result.output


def test_the_vnpost_simulator_runs_with_scripts_and_writes_vnpost_settings(tmp_path):
    scripts = tmp_path / "scripts.json"
    scripts.write_text(json.dumps([{"citizen_id": "001190012345", "outcome": "uncollected"}]))
    settings = tmp_path / "vnpost.json"
    result = run(
        "vnpost", "--duration", "0.1", "--uncollected-rate", "0.05", "--unserved-commune", "99999",
        "--duplicate-callbacks", "0.5", "--scripts", str(scripts), "--settings-out", str(settings),
    )  # fmt: skip
    assert result.exit_code == 0
    assert "vnpost simulator at http://127.0.0.1:" in result.output
    written = json.loads(settings.read_text())
    assert (written["kind"], written["client_id"]) == ("vnpost", "PAYMENTS")
    assert stat.S_IMODE(os.stat(settings).st_mode) == 0o600


def test_faults_that_cannot_happen_to_cash_are_refused_by_the_vnpost_simulator():
    result = CliRunner().invoke(
        cli, ["simulate", "vnpost", "--return-after-settlement", "0.1", "--duration", "0"]
    )
    assert result.exit_code == 2
    assert "uncollected-rate" in result.output


def test_a_vnpost_script_with_an_unknown_outcome_is_refused(tmp_path):
    scripts = tmp_path / "scripts.json"
    scripts.write_text(json.dumps([{"payout_key": "K-1", "outcome": "vanish"}]))
    result = CliRunner().invoke(cli, ["simulate", "vnpost", "--scripts", str(scripts), "--duration", "0"])
    assert result.exit_code == 2
    assert "--scripts" in result.output


def test_a_fault_rate_outside_zero_to_one_is_refused():
    result = CliRunner().invoke(cli, ["simulate", "bank", "--server-errors", "1.5"])
    assert result.exit_code == 2
    assert "1.5" in result.output


def test_callback_faults_are_refused_for_the_bank_which_has_no_callbacks():
    result = CliRunner().invoke(cli, ["simulate", "bank", "--late-callbacks", "0.5", "--duration", "0"])
    assert result.exit_code == 2
    assert "no callbacks" in result.output


def test_fault_flags_become_simulator_faults():
    options = dict.fromkeys(Faults.RATES, 0.0)
    options |= {"late_callbacks": 0.25, "hang_seconds": 2.0, "port": 0}
    faults = faults_from_options(options)
    assert (faults.late_callbacks, faults.hang_seconds) == (0.25, 2.0)
    assert options == {"port": 0}
