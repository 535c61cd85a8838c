"""Administrators deactivate and activate users and change their roles: each change is audited
with before and after, doing it twice changes nothing, and the office never loses its last
active administrator."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from payments.audit.model import AuditEvent
from payments.audit.services import verify_chain
from payments.clock import fixed_clock
from payments.context import Actor
from payments.errors import InvalidInput, NotFound, RuleViolation, Unauthorized
from payments.security.model import User, UserRole
from payments.security.services import authenticate, get_user, hash_token, set_active, set_roles
from tests.factories import ApiTokenFactory, UserFactory

ADMIN = Actor(username="quan.tri", role="admin", user_id=1)
NOON = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)
CLOCK = fixed_clock(NOON)


def _events(session, user: User, action: str) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == action, AuditEvent.target_id == str(user.id))
            .order_by(AuditEvent.seq)
        )
    )


def _stored_roles(session, user: User) -> list[str]:
    return sorted(session.scalars(select(UserRole.role).where(UserRole.user_id == user.id)))


def test_deactivating_a_user_is_audited_and_their_token_is_refused_at_once(session):
    lan = UserFactory(username="lan", roles=["officer"])
    ApiTokenFactory(user=lan, token_hash=hash_token("pay_lan"))
    assert authenticate(session, "pay_lan").username == "lan"

    assert set_active(session, ADMIN, lan, False, clock=CLOCK) is lan

    assert lan.is_active is False
    (event,) = _events(session, lan, "user.deactivate")
    assert event.summary == {
        "before": {"username": "lan", "is_active": True},
        "after": {"username": "lan", "is_active": False},
    }
    assert (event.actor, event.role, event.occurred_at) == ("quan.tri", "admin", NOON)
    with pytest.raises(Unauthorized):
        authenticate(session, "pay_lan")
    assert verify_chain(session).ok


def test_activating_again_restores_the_token_still_valid(session):
    lan = UserFactory(username="lan", roles=["officer"], is_active=False)
    ApiTokenFactory(user=lan, token_hash=hash_token("pay_lan"))

    set_active(session, ADMIN, lan, True, clock=CLOCK)

    assert authenticate(session, "pay_lan").username == "lan"
    (event,) = _events(session, lan, "user.activate")
    assert event.summary["after"] == {"username": "lan", "is_active": True}


@pytest.mark.parametrize("active", [False, True])
def test_setting_the_same_state_twice_writes_one_event(session, active):
    lan = UserFactory(roles=["officer"], is_active=not active)
    set_active(session, ADMIN, lan, active)
    set_active(session, ADMIN, lan, active)
    assert lan.is_active is active
    assert len(_events(session, lan, "user.activate" if active else "user.deactivate")) == 1


def test_the_state_a_user_already_has_writes_no_event(session):
    lan = UserFactory(roles=["officer"])
    set_active(session, ADMIN, lan, True)
    assert _events(session, lan, "user.activate") == []


def test_the_last_active_administrator_cannot_be_deactivated(session):
    boss = UserFactory(username="boss", roles=["admin", "auditor"])
    UserFactory(roles=["admin"], is_active=False)  # an inactive admin does not count
    with pytest.raises(RuleViolation, match="boss is the last active administrator; give the admin role"):
        set_active(session, ADMIN, boss, False)
    assert boss.is_active is True
    assert _events(session, boss, "user.deactivate") == []


def test_an_administrator_is_deactivated_while_another_stays_active(session):
    leaving, staying = UserFactory(roles=["admin"]), UserFactory(roles=["admin"])
    set_active(session, ADMIN, leaving, False)
    assert (leaving.is_active, staying.is_active) == (False, True)
    with pytest.raises(RuleViolation, match="last active administrator"):
        set_active(session, ADMIN, staying, False)


def test_roles_are_replaced_and_audited_with_before_and_after(session):
    lan = UserFactory(username="lan", roles=["officer", "approver"])

    set_roles(session, ADMIN, lan, ["finance", "approver"], clock=CLOCK)

    assert lan.roles == {"approver", "finance"}
    session.expire_all()
    assert _stored_roles(session, lan) == ["approver", "finance"]
    (event,) = _events(session, lan, "user.roles")
    assert event.summary == {
        "before": {"username": "lan", "roles": ["approver", "officer"]},
        "after": {"username": "lan", "roles": ["approver", "finance"]},
    }
    assert verify_chain(session).ok


def test_a_role_change_is_seen_on_the_next_authentication(session):
    lan = UserFactory(roles=["officer"])
    ApiTokenFactory(user=lan, token_hash=hash_token("pay_lan"))
    set_roles(session, ADMIN, lan, ["auditor"])
    assert authenticate(session, "pay_lan").roles == {"auditor"}


def test_giving_the_roles_a_user_already_has_writes_no_event(session):
    lan = UserFactory(roles=["officer", "approver"])
    set_roles(session, ADMIN, lan, ["approver", "officer", "officer"])
    assert _events(session, lan, "user.roles") == []


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        ([], "a user needs at least one role"),
        (["officer", "superuser"], "unknown role\\(s\\) superuser; known roles: officer"),
    ],
)
def test_no_roles_or_an_unknown_role_is_refused_and_the_roles_are_kept(session, roles, message):
    lan = UserFactory(roles=["officer"])
    with pytest.raises(InvalidInput, match=message):
        set_roles(session, ADMIN, lan, roles)
    assert _stored_roles(session, lan) == ["officer"]
    assert _events(session, lan, "user.roles") == []


def test_the_admin_role_cannot_be_taken_from_the_last_active_administrator(session):
    boss = UserFactory(username="boss", roles=["admin"])
    UserFactory(roles=["admin"], is_active=False)
    with pytest.raises(RuleViolation, match="boss is the last active administrator"):
        set_roles(session, ADMIN, boss, ["officer"])
    assert _stored_roles(session, boss) == ["admin"]
    set_roles(session, ADMIN, boss, ["admin", "auditor"])  # keeping admin is fine
    assert _stored_roles(session, boss) == ["admin", "auditor"]


def test_the_admin_role_moves_to_another_user_before_it_leaves_the_first(session):
    first, second = UserFactory(roles=["admin"]), UserFactory(roles=["officer"])
    set_roles(session, ADMIN, second, ["admin"])
    set_roles(session, ADMIN, first, ["auditor"])
    assert (first.roles, second.roles) == ({"auditor"}, {"admin"})


def test_an_unknown_user_id_is_not_found(session):
    with pytest.raises(NotFound, match="user 999999 does not exist"):
        get_user(session, 999_999)
