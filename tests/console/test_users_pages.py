"""Administrators list users and roles, create a user with roles (its first API token shown
once) and revoke tokens; every refusal leaves nothing half-made."""

import pytest
from sqlalchemy import func, select

from payments.audit.model import AuditEvent
from payments.errors import Unauthorized
from payments.security import services as security
from payments.security.model import ApiToken, User
from tests.console.support import ADMIN, post_form

USERS = "/console/users"


def _user(session, username: str) -> User | None:
    session.expire_all()
    return session.scalar(select(User).where(User.username == username))


def _tokens_of(session, username: str) -> list[ApiToken]:
    session.expire_all()
    return list(session.scalars(select(ApiToken).join(User).where(User.username == username)))


def _token_shown(page: str) -> str:
    return page.split('id="issued-token"')[1].split('<code class="hash">')[1].split("</code>", maxsplit=1)[0]


def test_an_administrator_sees_every_user_with_roles_and_tokens(signed_in, session, user):
    colleague = user("finance", "auditor", name="kiem.toan.lan")
    security.issue_token(session, ADMIN, _user(session, colleague), ttl_days=5)
    session.commit()
    client = signed_in("admin")
    assert 'href="/console/users"' in client.get("/console/").text
    page = client.get(USERS).text
    row = page.split('id="users"')[1].split("kiem.toan.lan")[1].split("</tr>")[0]
    assert "kiểm toán, kế toán" in row  # auditor, finance
    (token,) = _tokens_of(session, colleague)
    assert f"{token.prefix}…" in row
    assert f'id="revoke-token-{token.id}"' in row


def test_an_administrator_creates_a_user_and_sees_its_token_once(signed_in, session):
    client = signed_in("admin")
    response = post_form(client, USERS, USERS, username="can.bo.lan", display_name="Cán bộ Lan",
                         roles=["officer", "approver"])  # fmt: skip
    assert response.status_code == 201
    token = _token_shown(response.text)
    assert "Đã tạo người dùng can.bo.lan" in response.text
    created = _user(session, "can.bo.lan")
    assert (created.display_name, sorted(created.roles)) == ("Cán bộ Lan", ["approver", "officer"])
    assert security.authenticate(session, token).username == "can.bo.lan"
    assert token not in client.get(USERS).text  # shown once, never again
    event = session.scalar(
        select(AuditEvent).where(AuditEvent.action == "user.create", AuditEvent.target_id == str(created.id))
    )
    assert event.role == "admin"


def test_a_taken_username_is_refused_and_no_token_is_issued(signed_in, session, user):
    taken = user("officer", name="da.co")
    client = signed_in("admin")
    response = post_form(client, USERS, USERS, username=taken, roles=["finance"])
    assert response.status_code == 302
    assert "already exists" in client.get(USERS).text.split('class="flash error"')[1]
    assert sorted(_user(session, taken).roles) == ["officer"]
    assert _tokens_of(session, taken) == []


def test_a_user_without_a_role_or_with_a_bad_name_is_not_created(signed_in, session):
    client = signed_in("admin")
    post_form(client, USERS, USERS, username="khong.vai.tro")
    assert "a user needs at least one role" in client.get(USERS).text
    post_form(client, USERS, USERS, username="Tên Có Dấu", roles=["officer"])
    assert "Tên đăng nhập gồm 2 đến 64 ký tự" in client.get(USERS).text
    post_form(client, USERS, USERS, username="vai.tro.la", roles=["superuser"])
    assert "unknown role(s) superuser" in client.get(USERS).text
    refused = User.username.in_(["khong.vai.tro", "vai.tro.la"])
    assert session.scalar(select(func.count()).select_from(User).where(refused)) == 0


def test_an_administrator_revokes_a_token_and_it_stops_working(signed_in, session, user):
    owner = _user(session, user("officer"))
    issued = security.issue_token(session, ADMIN, owner, ttl_days=5)
    session.commit()
    client = signed_in("admin")
    post_form(client, USERS, f"/console/tokens/{issued.token_id}/revoke")
    page = client.get(USERS).text
    assert f"Đã thu hồi mã truy cập {issued.token[:12]}… của {owner.username}." in page
    assert f"revoke-token-{issued.token_id}" not in page
    with pytest.raises(Unauthorized):
        security.authenticate(session, issued.token)


def test_revoking_an_unknown_token_says_so(signed_in):
    client = signed_in("admin")
    post_form(client, USERS, "/console/tokens/999999/revoke")
    assert "token 999999 does not exist" in client.get(USERS).text


def test_only_administrators_manage_users(signed_in, session, user):
    owner = _user(session, user("officer"))
    issued = security.issue_token(session, ADMIN, owner, ttl_days=5)
    session.commit()
    client = signed_in("officer", "approver", "finance", "auditor")
    assert 'href="/console/users"' not in client.get("/console/").text
    assert client.get(USERS).status_code == 403
    assert post_form(client, "/console/", USERS, username="ke.gian", roles=["admin"]).status_code == 403
    assert post_form(client, "/console/", f"/console/tokens/{issued.token_id}/revoke").status_code == 403
    assert _user(session, "ke.gian") is None
    assert _tokens_of(session, owner.username)[0].revoked_at is None


def test_user_forms_without_the_csrf_token_are_refused(signed_in, session, user):
    owner = _user(session, user("officer"))
    issued = security.issue_token(session, ADMIN, owner, ttl_days=5)
    session.commit()
    client = signed_in("admin")
    assert client.post(USERS, data={"username": "ke.gian", "roles": ["admin"]}).status_code == 400
    assert client.post(f"/console/tokens/{issued.token_id}/revoke").status_code == 400
    assert _user(session, "ke.gian") is None
    assert _tokens_of(session, owner.username)[0].revoked_at is None
