"""Administrators deactivate and activate users and change their roles from the users page;
the change holds from the user's next request, and the last active administrator stays one."""

from sqlalchemy import func, select

from payments.audit.model import AuditEvent
from payments.security.model import User
from tests.console.support import post_form, sign_in

USERS = "/console/users"


def _user(session, username: str) -> User:
    session.expire_all()
    return session.scalar(select(User).where(User.username == username))


def _row(page: str, username: str) -> str:
    return page.split('id="users"')[1].split(f"<td>{username}</td>")[1].split("</tr>", maxsplit=1)[0]


def _flash(page: str, category: str) -> str:
    return page.split(f'class="flash {category}"')[1].split("</p>", maxsplit=1)[0]


def _signed_in_elsewhere(app, username: str):
    """A second browser, signed in as `username`."""
    other = app.test_client()
    assert sign_in(other, username).status_code == 302
    return other


def test_each_row_offers_to_deactivate_and_shows_the_roles_held(signed_in, session, user):
    lan = _user(session, user("finance", "auditor", name="lan"))
    page = signed_in("admin").get(USERS).text
    row = _row(page, "lan")
    assert f'id="deactivate-user-{lan.id}">Vô hiệu hóa</button>' in row
    assert f'action="/console/users/{lan.id}/roles"' in row
    assert 'value="finance" checked' in row
    assert 'value="auditor" checked' in row
    assert 'value="officer">' in row


def test_a_deactivated_colleague_is_signed_out_until_activated_again(app, signed_in, session, user):
    lan = _user(session, user("officer", name="lan"))
    colleague = _signed_in_elsewhere(app, "lan")
    client = signed_in("admin")

    post_form(client, USERS, f"/console/users/{lan.id}/deactivate")
    page = client.get(USERS).text
    assert "Đã vô hiệu hóa lan" in _flash(page, "ok")
    assert f'id="activate-user-{lan.id}">Kích hoạt lại</button>' in _row(page, "lan")
    assert _user(session, "lan").is_active is False
    assert colleague.get("/console/").status_code == 302  # back to the sign-in page

    post_form(client, USERS, f"/console/users/{lan.id}/activate")
    assert "Đã kích hoạt lại lan." in _flash(client.get(USERS).text, "ok")
    assert _user(session, "lan").is_active is True
    assert sign_in(colleague, "lan").status_code == 302


def test_a_role_change_holds_from_the_colleagues_next_request(app, signed_in, session, user):
    lan = _user(session, user("officer", name="lan"))
    colleague = _signed_in_elsewhere(app, "lan")
    assert colleague.get(USERS).status_code == 403
    client = signed_in("admin")

    post_form(client, USERS, f"/console/users/{lan.id}/roles", roles=["admin", "auditor"])
    assert "lan nay có các vai trò: quản trị, kiểm toán." in _flash(client.get(USERS).text, "ok")
    assert colleague.get(USERS).status_code == 200
    events = select(func.count()).where(AuditEvent.action == "user.roles", AuditEvent.role == "admin")
    assert session.scalar(events) == 1


def test_no_role_ticked_is_refused_and_the_roles_are_kept(signed_in, session, user):
    lan = _user(session, user("officer", name="lan"))
    client = signed_in("admin")
    post_form(client, USERS, f"/console/users/{lan.id}/roles")
    assert "a user needs at least one role" in _flash(client.get(USERS).text, "error")
    assert _user(session, "lan").roles == {"officer"}


def test_the_last_active_administrator_stays_one(client, session, user):
    boss = _user(session, user("admin", name="boss"))
    sign_in(client, "boss")
    post_form(client, USERS, f"/console/users/{boss.id}/deactivate")
    assert "boss is the last active administrator" in _flash(client.get(USERS).text, "error")
    post_form(client, USERS, f"/console/users/{boss.id}/roles", roles=["auditor"])
    assert "boss is the last active administrator" in _flash(client.get(USERS).text, "error")
    boss = _user(session, "boss")
    assert (boss.is_active, boss.roles) == (True, {"admin"})


def test_an_unknown_user_is_named_in_the_error(signed_in):
    client = signed_in("admin")
    post_form(client, USERS, "/console/users/999999/deactivate")
    assert "user 999999 does not exist" in _flash(client.get(USERS).text, "error")


def test_only_administrators_change_users_and_only_with_the_csrf_token(signed_in, session, user):
    lan = _user(session, user("officer", name="lan"))
    officer = signed_in("officer", "approver", "finance", "auditor")
    for action, fields in (("deactivate", {}), ("roles", {"roles": ["admin"]})):
        refused = post_form(officer, "/console/", f"/console/users/{lan.id}/{action}", **fields)
        assert refused.status_code == 403
    admin = signed_in("admin")
    assert admin.post(f"/console/users/{lan.id}/deactivate").status_code == 400
    assert admin.post(f"/console/users/{lan.id}/roles", data={"roles": ["admin"]}).status_code == 400
    lan = _user(session, "lan")
    assert (lan.is_active, lan.roles) == (True, {"officer"})
