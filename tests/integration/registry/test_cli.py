from payments.cli import cli
from payments.registry import repository
from tests.integration.registry.test_import_and_keys import csv_text, row


def _run(app, *args):
    return app.test_cli_runner().invoke(cli, list(args))


def test_the_import_command_reports_problems_and_exits_non_zero_writing_nothing(
    app, session, tmp_path, cipher
):
    path = tmp_path / "list.csv"
    path.write_text(csv_text(row(1), row(2, decision_date="31/02/2024")), encoding="utf-8")
    result = _run(app, "registry", "import", str(path))
    assert result.exit_code == 1
    assert "row 3, decision_date: '31/02/2024' is not a date" in result.output
    assert "nothing written" in result.output
    assert (
        repository.beneficiary_by_citizen_index(session, cipher.index("citizen_id", "068155000001")) is None
    )


def test_the_import_command_dry_runs_then_imports_with_a_summary(app, session, tmp_path, cipher):
    path = tmp_path / "list.csv"
    path.write_text(csv_text(row(1), row(2)), encoding="utf-8")
    dry = _run(app, "registry", "import", str(path), "--dry-run")
    assert dry.exit_code == 0
    assert "beneficiaries created: 2" in dry.output
    assert "dry run: nothing written." in dry.output
    done = _run(app, "registry", "import", str(path))
    assert done.exit_code == 0
    assert "written." in done.output
    again = _run(app, "registry", "import", str(path))
    assert "unchanged rows: 2" in again.output
    assert (
        repository.beneficiary_by_citizen_index(session, cipher.index("citizen_id", "068155000001"))
        is not None
    )


def test_keys_rotate_reports_nothing_left(app, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(csv_text(row(1)), encoding="utf-8")
    _run(app, "registry", "import", str(path))
    result = _run(app, "keys", "rotate")
    assert result.exit_code == 0
    assert "0 left under old keys" in result.output
