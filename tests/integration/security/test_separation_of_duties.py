"""The separation-of-duties rules in the services, whoever calls them: a person never mints a
token for someone else who makes or approves batches; the operator at the server may."""

import pytest

from payments.context import Actor
from payments.security.duties import DutyRefused
from payments.security.services import authenticate, create_user, issue_token, set_roles
from tests.factories import UserFactory

OPERATOR = Actor(username="cli:ops", role="system")  # `payments users token`: no user id


def _admin_actor(session) -> Actor:
    admin = UserFactory(roles=["admin"])
    session.flush()
    return Actor(username=admin.username, role="admin", user_id=admin.id)


@pytest.mark.parametrize("roles", [["officer"], ["approver"], ["officer", "approver", "auditor"]])
def test_only_the_owner_or_the_operator_mints_a_token_for_someone_who_makes_or_approves(session, roles):
    target = UserFactory(roles=roles)
    with pytest.raises(DutyRefused, match=f"under {target.username}'s name"):
        issue_token(session, _admin_actor(session), target, ttl_days=1)
    by_operator = issue_token(session, OPERATOR, target, ttl_days=1)  # `payments users token`
    own = Actor(username=target.username, role=roles[0], user_id=target.id)
    by_owner = issue_token(session, own, target, ttl_days=1)
    assert {authenticate(session, t.token).user_id for t in (by_operator, by_owner)} == {target.id}


def test_the_operator_too_cannot_give_one_person_admin_and_approving_powers(session):
    with pytest.raises(DutyRefused, match="cannot hold the admin role together with approver"):
        create_user(session, OPERATOR, "ca.hai", ["approver", "admin"])
    approver = UserFactory(roles=["approver"])
    with pytest.raises(DutyRefused):
        set_roles(session, OPERATOR, approver, ["approver", "admin"])
    assert approver.roles == {"approver"}
