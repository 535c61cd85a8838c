"""`payments simulate h2h`: the watched-folder bank from the command line."""

import json

from click.testing import CliRunner

from payments.adapters.iso20022.pain001 import build_pain001
from payments.cli import cli
from tests.unit.adapters.iso20022.samples import message


def run(*args: str):
    return CliRunner().invoke(cli, ["simulate", *args], catch_exceptions=False)


def test_simulate_lists_the_h2h_bank():
    assert "h2h" in run("--help").output


def test_the_h2h_bank_answers_files_dropped_in_its_outbox_and_reports_credits(tmp_path):
    (tmp_path / "outbox").mkdir()
    (tmp_path / "outbox" / "pain001-M-1.xml").write_bytes(build_pain001(message(message_id="M-1")))
    settings = tmp_path / "h2h.json"
    result = run("h2h", "--folder", str(tmp_path), "--poll", "0.02", "--duration", "0.4",
                 "--close-day-every", "0.2", "--settings-out", str(settings))  # fmt: skip
    assert result.exit_code == 0
    assert "2 payout keys credited, 0 more than once" in result.output
    assert len(list((tmp_path / "inbox").glob("pain002-*.xml"))) == 1
    assert list((tmp_path / "inbox").glob("camt053-*.xml"))
    credits = json.loads((tmp_path / "credits.json").read_text())["credits"]
    assert credits == {"P-LD-2024-08-000001": 1, "P-LD-2024-08-000002": 1}
    written = json.loads(settings.read_text())
    assert (written["kind"], written["outbox"]) == ("iso20022", str(tmp_path / "outbox"))


def test_with_an_accounts_file_unknown_accounts_are_rejected(tmp_path):
    accounts = tmp_path / "accounts.json"
    accounts.write_text(json.dumps([{"bin": "970415", "account_number": "102200330001", "holder_name": "A"}]))
    (tmp_path / "outbox").mkdir()
    (tmp_path / "outbox" / "pain001-M-1.xml").write_bytes(build_pain001(message(message_id="M-1")))
    result = run(
        "h2h", "--folder", str(tmp_path), "--poll", "0.02", "--duration", "0.3", "--accounts", str(accounts)
    )
    assert "1 payout keys credited" in result.output


def test_faults_a_file_exchange_cannot_have_are_refused(tmp_path):
    result = CliRunner().invoke(
        cli, ["simulate", "h2h", "--folder", str(tmp_path), "--bad-signatures", "0.5"]
    )
    assert result.exit_code == 2
    assert "no bad_signatures" in result.output
