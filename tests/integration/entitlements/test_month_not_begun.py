"""A month is accrued from its first day in Vietnam, never ahead of it (the allowances would
become payable, and be paid, early): refused by the service, the API and the command."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from payments.audit.model import AuditEvent
from payments.cli import cli
from payments.clock import local_date, utcnow
from payments.entitlements.accrual import accrue
from payments.entitlements.period import Period
from payments.entitlements.rates import load_rate_set
from payments.errors import InvalidInput
from payments.ledger.model import Entry
from tests.conftest import bearer
from tests.support.people import OFFICER, enrol_person


def _entries(session) -> int:
    return session.scalar(select(func.count()).select_from(Entry))


def _next_month() -> Period:
    return Period.of(local_date(utcnow())).next()


@pytest.mark.parametrize(
    ("now", "allowed"),
    [
        (datetime(2026, 11, 30, 16, 59, tzinfo=UTC), False),  # 23:59 on 30 November in Hanoi
        (datetime(2026, 11, 30, 17, 0, tzinfo=UTC), True),  # midnight, 1 December in Hanoi
    ],
)
def test_december_can_be_accrued_from_its_first_day_in_vietnam(session, session_factory, now, allowed):
    enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 8, 20))
    session.commit()
    rates = load_rate_set(session, "68")

    def run():
        return accrue(session_factory, Period(2026, 12), rates, actor=OFFICER, clock=lambda: now)

    if allowed:
        assert run().accrued_vnd > 0
        return
    with pytest.raises(InvalidInput, match=r"2026-12 has not begun \(today is 2026-11-30 in Vietnam\)"):
        run()
    assert _entries(session) == 0


def test_the_api_refuses_next_month_and_writes_nothing(client, session, token_for):
    enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 8, 20))
    officer = bearer(token_for("officer"))
    session.commit()
    audit_before = session.scalar(select(func.count()).select_from(AuditEvent))
    response = client.post(f"/api/v1/periods/{_next_month()}/accrual", json={}, headers=officer)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert f"{_next_month()} has not begun" in response.get_json()["detail"]
    assert _entries(session) == 0
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == audit_before


def test_the_command_says_why_in_one_line_and_exits_non_zero(app, session):
    enrol_person(session, "BTXH_ELDERLY_POOR_60_80", date(2024, 8, 20))
    session.commit()
    result = app.test_cli_runner().invoke(cli, ["accrue", str(_next_month())])
    assert result.exit_code == 1
    assert f"Error: {_next_month()} has not begun" in result.output
    assert "Traceback" not in result.output
    assert _entries(session) == 0


def test_a_malformed_month_at_the_command_line_is_one_line_too(app):
    result = app.test_cli_runner().invoke(cli, ["accrue", "2024-13"])
    assert result.exit_code == 1
    assert "Error: 2024-13 is not a month" in result.output
