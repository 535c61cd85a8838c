"""The sign-in service: lockout windows, counting, and set_password's refusals."""

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from payments.cli import cli
from payments.clock import fixed_clock
from payments.context import SYSTEM
from payments.errors import InvalidInput
from payments.security import login
from payments.security.passwords import verify_password
from payments.security.services import create_user, find_user

NOON = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


@pytest.fixture
def lan(session):
    user = create_user(session, SYSTEM, "lan", ["officer"])
    login.set_password(session, SYSTEM, user, PASSWORD)
    return user


def _fail(session, times: int, at: datetime) -> login.LoginResult:
    result = None
    for _ in range(times):
        result = login.log_in(session, "lan", "wrong password!", clock=fixed_clock(at))
    return result


def test_four_failures_do_not_lock_and_a_success_clears_the_count(session, lan):
    assert _fail(session, 4, NOON).refused == "bad_credentials"
    assert login.log_in(session, "lan", PASSWORD, clock=fixed_clock(NOON)).ok
    assert lan.failed_logins == 0
    assert _fail(session, 4, NOON).refused == "bad_credentials"


def test_the_lockout_lasts_fifteen_minutes_then_the_right_password_works(session, lan):
    locked = _fail(session, 5, NOON)
    assert locked.refused == "locked"
    assert locked.locked_until == NOON + timedelta(minutes=15)
    almost = NOON + timedelta(minutes=14, seconds=59)
    assert login.log_in(session, "lan", PASSWORD, clock=fixed_clock(almost)).refused == "locked"
    after = NOON + timedelta(minutes=15)
    assert login.log_in(session, "lan", PASSWORD, clock=fixed_clock(after)).ok


def test_attempts_while_locked_do_not_extend_the_lock(session, lan):
    _fail(session, 5, NOON)
    _fail(session, 3, NOON + timedelta(minutes=10))
    assert lan.locked_until == NOON + timedelta(minutes=15)


def test_setting_a_password_lifts_a_lockout(session, lan):
    _fail(session, 5, NOON)
    login.set_password(session, SYSTEM, lan, "another long password")
    assert login.log_in(session, "lan", "another long password", clock=fixed_clock(NOON)).ok


def test_a_user_without_a_password_cannot_sign_in(session):
    create_user(session, SYSTEM, "minh", ["approver"])
    assert login.log_in(session, "minh", "", clock=fixed_clock(NOON)).refused == "bad_credentials"


def test_set_password_refuses_a_short_password_and_keeps_the_old_one(session, lan):
    with pytest.raises(InvalidInput):
        login.set_password(session, SYSTEM, lan, "short")
    assert verify_password(PASSWORD, lan.password_hash)


def test_the_cli_sets_a_password_from_the_prompt(app, session, lan):
    runner = CliRunner()
    result = runner.invoke(
        cli, ["users", "password", "lan"], input="a typed long password\na typed long password\n",
        obj=_script_info(app),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "password set for lan" in result.output
    session.expire_all()
    assert verify_password("a typed long password", find_user(session, "lan").password_hash)


def test_the_cli_refuses_an_unknown_user(app):
    result = CliRunner().invoke(cli, ["users", "password", "nobody", "--password", "long enough pw"],
                                obj=_script_info(app))  # fmt: skip
    assert result.exit_code == 1
    assert "does not exist" in result.output


def _script_info(app):
    from flask.cli import ScriptInfo

    return ScriptInfo(create_app=lambda: app)
