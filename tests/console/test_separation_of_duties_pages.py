"""The users page refuses to give one person the admin role beside officer or approver, says
why, and the refusal is on record."""

from sqlalchemy import select

from payments.audit.model import AuditEvent
from payments.security.model import User
from tests.console.support import post_form

USERS = "/console/users"


def _user(session, username: str) -> User | None:
    session.expire_all()
    return session.scalar(select(User).where(User.username == username))


def _refusals(session) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == "user.roles_refused")))


def test_giving_an_administrator_the_approver_role_is_refused_and_recorded(signed_in, session, user):
    colleague = _user(session, user("admin", name="pho.quan.tri"))
    client = signed_in("admin")

    post_form(client, USERS, f"/console/users/{colleague.id}/roles", roles=["admin", "approver"])

    error = client.get(USERS).text.split('class="flash error"')[1]
    assert "cannot hold the admin role together with approver" in error
    assert _user(session, "pho.quan.tri").roles == {"admin"}
    (refusal,) = _refusals(session)
    assert (refusal.role, refusal.target_id) == ("admin", str(colleague.id))


def test_creating_an_officer_who_is_also_administrator_is_refused(signed_in, session):
    client = signed_in("admin")
    response = post_form(client, USERS, USERS, username="ca.hai", roles=["officer", "admin"])
    assert response.status_code == 302
    assert "cannot hold the admin role together with officer" in client.get(USERS).text
    assert _user(session, "ca.hai") is None
    assert len(_refusals(session)) == 1
