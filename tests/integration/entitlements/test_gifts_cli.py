"""`payments gifts run`: the officer's command line for a one-off gift run."""

import json
from datetime import date

from sqlalchemy import select

from payments.cli import cli
from payments.ledger import accounts
from payments.ledger.model import Entry
from payments.ledger.services import balance
from payments.registry.services import record_death
from tests.support.people import OFFICER, enrol_person

TET = ["--code", "tet-2025", "--date", "2025-01-20", "--decision", "QĐ 123/QĐ-UBND"]
AMOUNTS = ["--amount", "BTXH=500000", "--amount", "NCC=600000"]


def gifts(app, *args: str):
    return app.test_cli_runner().invoke(cli, ["gifts", "run", *args])


def gift_entries(session) -> list[Entry]:
    return list(session.scalars(select(Entry).where(Entry.idempotency_key.like("gift:%"))))


def test_a_gift_run_gives_one_gift_each_and_prints_a_summary(app, session):
    both, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    enrol_person(session, "NCC_WAR_INVALID", date(2024, 7, 1), injury_rate=21)
    died, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    record_death(session, OFFICER, died, date(2025, 1, 2))
    session.commit()

    result = gifts(app, *TET, *AMOUNTS)

    assert result.exit_code == 0, result.output
    assert "gift run tet-2025 (QĐ 123/QĐ-UBND), eligible on 2025-01-20" in result.output
    assert "given now                2             1.100.000 ₫" in result.output
    assert "not eligible             1" in result.output
    assert "NCC                     1 gifts" in result.output
    assert -balance(session, accounts.payable(both)) == 500_000
    again = gifts(app, *TET, *AMOUNTS, "--json")
    assert again.exit_code == 0, again.output
    summary = json.loads(again.output.strip().splitlines()[-1])
    assert (summary["given"], summary["already_given"], summary["already_given_vnd"]) == (0, 2, 1_100_000)


def test_a_dry_run_on_the_command_line_posts_nothing(app, session):
    enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    result = gifts(app, *TET, *AMOUNTS, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "DRY RUN: nothing was posted" in result.output
    assert "would be given           1               500.000 ₫" in result.output
    assert gift_entries(session) == []


def test_an_amount_that_is_not_whole_dong_is_a_usage_error(app, session):
    enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    for amount in ("BTXH=5e5", "BTXH=500000.0", "BTXH=-1", "BTXH", "=500000"):
        result = gifts(app, *TET, "--amount", amount)
        assert result.exit_code == 2, (amount, result.output)
        assert "PROGRAMME=VND" in result.output
    assert gift_entries(session) == []


def test_an_unknown_programme_or_a_malformed_code_is_refused_and_nothing_is_written(app, session):
    enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))

    unknown = gifts(app, *TET, "--amount", "XYZ=100000")
    malformed = gifts(app, "--code", "Tết 2025", *TET[2:], *AMOUNTS)

    assert (unknown.exit_code, malformed.exit_code) == (1, 1)
    assert "unknown programme(s): XYZ" in unknown.output
    assert "run code 'Tết 2025' must be lower-case" in malformed.output
    assert gift_entries(session) == []


def test_another_amount_for_a_run_already_given_names_the_key(app, session):
    person, _ = enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 7, 1))
    assert gifts(app, *TET, *AMOUNTS).exit_code == 0

    result = gifts(app, *TET, "--amount", "BTXH=550000")

    assert result.exit_code == 1
    assert f"gift:tet-2025:{person}" in result.output
    assert -balance(session, accounts.payable(person)) == 500_000
