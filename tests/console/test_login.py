"""Signing in and out of the console: passwords, lockout, sessions, the audit trail."""

from sqlalchemy import select

from payments.audit.model import AuditEvent
from payments.security import login
from payments.security.services import find_user
from tests.console.support import ADMIN, csrf_from, post_form, sign_in


def _events(session, action: str) -> list[AuditEvent]:
    return list(
        session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq))
    )


def test_pages_send_a_signed_out_visitor_to_the_sign_in_form(client):
    response = client.get("/console/batches?period=2024-07")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/console/login?next=/console/batches")


def test_the_right_password_opens_the_page_asked_for_and_is_audited(client, user, session):
    name = user("officer")
    page = client.get("/console/login?next=/console/batches")
    response = client.post("/console/login", data={
        "username": name, "password": "correct horse battery staple", "csrf_token": csrf_from(page.text),
        "next": "/console/batches",
    })  # fmt: skip
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/batches"
    assert client.get("/console/batches").status_code == 200
    (event,) = _events(session, "login.succeeded")
    assert event.actor == name
    assert find_user(session, name).last_login_at is not None


def test_a_wrong_password_is_refused_and_audited_without_the_password(client, user, session):
    name = user("officer")
    response = sign_in(client, name, "not the password at all")
    assert response.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu." in response.text
    (event,) = _events(session, "login.failed")
    assert event.summary["after"] == {"reason": "bad_password", "consecutive_failures": 1}
    assert "not the password" not in str(event.summary)
    assert client.get("/console/").status_code == 302


def test_an_unknown_username_is_refused_like_a_wrong_password_and_not_recorded(client, session):
    response = sign_in(client, "my password typed in the wrong box")
    assert response.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu." in response.text
    (event,) = _events(session, "login.failed")
    assert (event.actor, event.target_id) == ("anonymous", "unknown")
    assert "wrong box" not in str(event.summary)


def test_the_fifth_failure_locks_the_account_even_against_the_right_password(client, user, session):
    name = user("approver")
    for _ in range(4):
        assert "Sai tên đăng nhập" in sign_in(client, name, "guess guess guess").text
    fifth = sign_in(client, name, "guess guess guess")
    assert "Sai tên đăng nhập hoặc mật khẩu." in fifth.text
    refused = sign_in(client, name)
    assert refused.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu." in refused.text
    assert [e.summary["after"]["reason"] for e in _events(session, "login.refused")] == ["locked"]
    assert "locked_until" in _events(session, "login.failed")[-1].summary["after"]


def test_an_inactive_user_cannot_sign_in_with_the_right_password(client, user, session):
    name = user("auditor")
    find_user(session, name).is_active = False
    session.commit()
    assert sign_in(client, name).status_code == 401


def test_signing_out_ends_the_session_and_is_audited(client, user, session):
    name = user("auditor")
    sign_in(client, name)
    response = post_form(client, "/console/", "/console/logout")
    assert response.status_code == 302
    assert client.get("/console/").status_code == 302
    assert _events(session, "login.logged_out")[0].actor == name


def test_a_new_password_signs_out_sessions_opened_with_the_old_one(client, user, session):
    name = user("finance")
    sign_in(client, name)
    assert client.get("/console/").status_code == 200
    login.set_password(session, ADMIN, find_user(session, name), "a brand new long password")
    session.commit()
    assert client.get("/console/").status_code == 302


def test_losing_a_role_takes_effect_on_the_next_page(client, user, session):
    name = user("auditor", "officer")
    sign_in(client, name)
    assert client.get("/console/audit").status_code == 200
    account = find_user(session, name)
    account.role_rows = [row for row in account.role_rows if row.role != "auditor"]
    session.commit()
    assert client.get("/console/audit").status_code == 403


def test_the_next_page_after_sign_in_never_leaves_the_console(client, user):
    name = user("officer")
    for target in ("https://evil.example/console", "//evil.example/console", "/api/v1/users"):
        page = client.get("/console/login")
        response = client.post("/console/login", data={
            "username": name, "password": "correct horse battery staple",
            "csrf_token": csrf_from(page.text), "next": target,
        })  # fmt: skip
        assert response.headers["Location"] == "/console/", target


def test_the_session_cookie_is_http_only_and_same_site_lax(client, user):
    response = sign_in(client, user("officer"))
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_console_pages_forbid_framing_and_caching(client):
    response = client.get("/console/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
