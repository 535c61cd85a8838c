"""Signing out ends the session on the server: a copy of the session cookie taken before (from
a shared computer, a proxy log) no longer opens any page."""

from sqlalchemy import select

from payments.audit.model import AuditEvent
from tests.console.support import post_form, sign_in


def test_a_session_cookie_copied_before_sign_out_is_refused_after_it(app, client, user, session):
    name = user("auditor")
    assert sign_in(client, name).status_code == 302
    copied = client.get_cookie("session").value
    assert post_form(client, "/console/", "/console/logout").status_code == 302

    replay = app.test_client()
    replay.set_cookie("session", copied)
    response = replay.get("/console/audit")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/console/login")
    logged_out = session.scalars(select(AuditEvent).where(AuditEvent.action == "login.logged_out")).all()
    assert [event.actor for event in logged_out] == [name]


def test_signing_out_ends_the_users_other_browsers_but_not_a_colleagues(app, client, user):
    name = user("auditor")
    other, colleague = app.test_client(), app.test_client()
    assert sign_in(client, name).status_code == 302
    assert sign_in(other, name).status_code == 302
    assert sign_in(colleague, user("auditor")).status_code == 302
    post_form(client, "/console/", "/console/logout")
    assert other.get("/console/audit").status_code == 302
    assert colleague.get("/console/audit").status_code == 200
    assert sign_in(client, name).status_code == 302
    assert client.get("/console/audit").status_code == 200
