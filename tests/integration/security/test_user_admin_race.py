"""Two administrators, each in their own OS process, try at the same instant to take the other
away: A deactivates B while B deactivates A (or each takes the admin role from the other). On
SQLite and on PostgreSQL exactly one change is committed, the other is refused as leaving no
active administrator, and the office keeps exactly one active admin. Each trial runs on a fresh
database, so the two are the only administrators there are."""

import multiprocessing
from typing import NamedTuple

import pytest
from sqlalchemy import select

from payments import migrate
from payments.audit.model import AuditEvent
from payments.context import Actor
from payments.db import make_engine, make_session_factory
from payments.errors import RuleViolation
from payments.security import services as security
from payments.security.model import User, UserRole
from payments.security.roles import Role

pytestmark = pytest.mark.slow

TRIALS = 5
ADMINS = ("anh", "binh")
SETUP = Actor(username="setup", role="system")


class Change(NamedTuple):
    action: str  # the audit event it writes
    refusal: str  # how the last-administrator refusal names it


DEACTIVATE = Change("user.deactivate", "deactivate them")
TAKE_ADMIN = Change("user.roles", "take the admin role from them")


@pytest.mark.parametrize("trial", range(TRIALS))
def test_two_admins_deactivating_each_other_at_once_leave_exactly_one_active(fresh_database_url, trial):
    _two_admins(fresh_database_url)
    results = _race(fresh_database_url, DEACTIVATE)
    _check_exactly_one_change_held(fresh_database_url, results, DEACTIVATE)


@pytest.mark.parametrize("trial", range(TRIALS))
def test_two_admins_taking_the_admin_role_from_each_other_at_once_leave_exactly_one(
    fresh_database_url, trial
):
    _two_admins(fresh_database_url)
    results = _race(fresh_database_url, TAKE_ADMIN)
    _check_exactly_one_change_held(fresh_database_url, results, TAKE_ADMIN)


def _check_exactly_one_change_held(url: str, results: dict[str, str | None], change: Change) -> None:
    """`results` maps each acting admin to None (committed) or the refusal's message."""
    committed = [admin for admin, refusal in results.items() if refusal is None]
    refused = [admin for admin, refusal in results.items() if refusal is not None]
    assert (len(committed), len(refused)) == (1, 1), results
    (survivor,), (removed,) = committed, refused
    assert results[removed] == (
        f"{survivor} is the last active administrator; give the admin role to another active user "
        f"first, then {change.refusal}"
    )
    assert _active_admins(url) == [survivor]
    assert _audited_changes(url, change.action) == [(survivor, removed)]


def _take_the_other_away(url: str, me: str, change: Change, start, results) -> None:
    """One administrator's request, as the API and CLI run it: read the user, change, commit."""
    (other,) = set(ADMINS) - {me}
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with engine.connect():
        pass  # connect before the start, so neither process is still connecting when the other acts
    start.wait()
    with sessions() as session:
        try:
            user = security.find_user(session, other)
            actor = Actor(username=me, role=Role.ADMIN.value)
            if change == DEACTIVATE:
                security.set_active(session, actor, user, False)
            else:
                security.set_roles(session, actor, user, [Role.OFFICER.value])
            session.commit()
            results.put((me, None))
        except RuleViolation as refusal:
            session.rollback()
            results.put((me, refusal.detail))
    engine.dispose()


def _race(url: str, change: Change) -> dict[str, str | None]:
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(len(ADMINS)), context.Queue()
    processes = [
        context.Process(target=_take_the_other_away, args=(url, admin, change, start, results))
        for admin in ADMINS
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [process.exitcode for process in processes] == [0] * len(ADMINS)
    return dict(results.get(timeout=10) for _ in ADMINS)


def _two_admins(url: str) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    with make_session_factory(engine)() as session:
        for username in ADMINS:
            security.create_user(session, SETUP, username, [Role.ADMIN.value])
        session.commit()
    engine.dispose()


def _active_admins(url: str) -> list[str]:
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        admins = session.scalars(
            select(User.username)
            .join(UserRole)
            .where(UserRole.role == Role.ADMIN.value, User.is_active.is_(True))
            .order_by(User.username)
        )
        names = list(admins)
    engine.dispose()
    return names


def _audited_changes(url: str, action: str) -> list[tuple[str, str]]:
    """(who acted, on whom) for each `action` in the audit log."""
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        )
        changes = [(event.actor, event.summary["after"]["username"]) for event in events]
    engine.dispose()
    return changes
