"""`payments users deactivate|activate|roles NAME`: a one-line confirmation, or the service's
refusal as a one-line error with exit status 1."""

import pytest
from sqlalchemy import select

from payments.audit.repository import search_events
from payments.cli import cli
from payments.security.model import User
from payments.security.services import authenticate, find_user
from tests.factories import UserFactory


@pytest.fixture
def lan(session):
    UserFactory(username="lan", roles=["officer"])
    session.commit()


def _run(app, *args: str):
    return app.test_cli_runner().invoke(cli, ["users", *args])


def _user(session, username: str):
    session.expire_all()
    return find_user(session, username)


def test_deactivate_then_activate_a_user(app, session, lan):
    result = _run(app, "deactivate", "lan")
    assert (result.exit_code, result.output) == (0, "lan is deactivated\n")
    assert _user(session, "lan").is_active is False
    result = _run(app, "activate", "lan")
    assert (result.exit_code, result.output) == (0, "lan is active\n")
    assert _user(session, "lan").is_active is True


def test_roles_gives_exactly_the_roles_named(app, session, lan):
    result = _run(app, "roles", "lan", "--role", "finance", "--role", "auditor")
    assert (result.exit_code, result.output) == (0, "lan now has the roles auditor, finance\n")
    assert _user(session, "lan").roles == {"auditor", "finance"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("deactivate", "nobody"), "Error: user 'nobody' does not exist"),
        (("activate", "nobody"), "Error: user 'nobody' does not exist"),
        (("roles", "nobody", "--role", "officer"), "Error: user 'nobody' does not exist"),
        (("roles", "lan", "--role", "king"), "Error: unknown role(s) king; known roles: officer"),
    ],
)
def test_an_unknown_user_or_role_is_refused(app, session, lan, args, message):
    result = _run(app, *args)
    assert result.exit_code == 1
    assert result.output.startswith(message)
    assert _user(session, "lan").roles == {"officer"}


def test_roles_needs_at_least_one_role(app, lan):
    result = _run(app, "roles", "lan")
    assert result.exit_code == 2
    assert "Missing option '--role'" in result.output


def test_the_last_active_administrator_stays_one(app, session):
    UserFactory(username="boss", roles=["admin"])
    session.commit()
    for args in (("deactivate", "boss"), ("roles", "boss", "--role", "officer")):
        result = _run(app, *args)
        assert result.exit_code == 1
        assert result.output.startswith("Error: boss is the last active administrator")
    boss = _user(session, "boss")
    assert (boss.is_active, boss.roles) == (True, {"admin"})


def _actions(session) -> list[str]:
    session.expire_all()
    return [e.action for e in search_events(session, target_type="user")]


def test_an_administrator_who_would_also_make_batches_is_refused_and_the_refusal_audited(app, session):
    result = app.test_cli_runner().invoke(
        cli, ["users", "create", "boss", "--role", "admin", "--role", "officer"]
    )
    assert result.exit_code == 1
    assert result.output.startswith("Error: boss cannot hold the admin role together with officer")
    assert _user_or_none(session, "boss") is None
    assert "user.roles_refused" in _actions(session)


def test_the_operator_mints_a_token_for_an_approver_on_the_command_line(app, session):
    UserFactory(username="duyet", roles=["approver"])
    session.commit()
    result = app.test_cli_runner().invoke(cli, ["users", "token", "duyet"])
    assert result.exit_code == 0
    assert authenticate(session, result.output.strip()).username == "duyet"


def _user_or_none(session, username: str):
    session.expire_all()
    return session.scalar(select(User).where(User.username == username))
