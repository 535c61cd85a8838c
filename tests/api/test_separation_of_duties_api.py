"""Administrators manage accounts but never act under an officer's or approver's name: no token
minted for someone else who makes or checks batches, no admin role beside those roles, and each
refusal on record."""

import pytest
from sqlalchemy import select

from payments.audit.model import AuditEvent
from tests.api.test_batches_api import owed  # noqa: F401 - fixture
from tests.conftest import bearer


@pytest.fixture
def admin(token_for) -> dict[str, str]:
    return bearer(token_for("admin"))


def _create(client, admin, username: str, *roles: str):
    return client.post("/api/v1/users", json={"username": username, "roles": list(roles)}, headers=admin)


def _user_id(client, admin, username: str) -> int:
    users = client.get("/api/v1/users", headers=admin).get_json()
    return next(user["id"] for user in users if user["username"] == username)


def _refusals(session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_an_administrator_cannot_mint_a_token_to_approve_under_an_approvers_name(
    client,
    session,
    owed,  # noqa: F811 - the fixture imported above
    token_for,
    admin,
):
    officer = bearer(token_for("officer"))
    (batch,) = client.post("/api/v1/batches", json={"period": "2024-07"}, headers=officer).get_json()[
        "batches"
    ]
    assert client.post(f"/api/v1/batches/{batch['id']}/submit", headers=officer).status_code == 200
    created = _create(client, admin, "phe.duyet", "approver")  # the first token, to hand over
    assert client.get("/api/v1/me", headers=bearer(created.get_json()["token"]["token"])).status_code == 200

    minted = client.post(
        f"/api/v1/users/{_user_id(client, admin, 'phe.duyet')}/tokens", json={}, headers=admin
    )

    assert minted.status_code == 422
    body = minted.get_json()
    assert body["type"].endswith("/separation_of_duties")
    assert "token" not in body
    assert "phe.duyet" in body["detail"]
    (refusal,) = _refusals(session, "token.issue_refused")
    assert refusal.role == "admin"
    assert refusal.summary["after"] == {
        "user": "phe.duyet", "roles": ["approver"], "reason": "token_for_another_person",
    }  # fmt: skip
    state = client.get(f"/api/v1/batches/{batch['id']}", headers=officer).get_json()["state"]
    assert state == "pending_approval"


def test_an_administrator_mints_tokens_only_for_themselves_and_accounts_that_neither_make_nor_approve(
    client, session, admin
):
    own_id = next(
        u["id"] for u in client.get("/api/v1/users", headers=admin).get_json() if "admin" in u["roles"]
    )
    assert client.post(f"/api/v1/users/{own_id}/tokens", json={}, headers=admin).status_code == 201
    _create(client, admin, "he.thong.doi.soat", "finance", "auditor")
    service = client.post(
        f"/api/v1/users/{_user_id(client, admin, 'he.thong.doi.soat')}/tokens",
        json={"ttl_days": 7},
        headers=admin,
    )
    assert service.status_code == 201
    me = client.get("/api/v1/me", headers=bearer(service.get_json()["token"])).get_json()
    assert me == {"username": "he.thong.doi.soat", "roles": ["auditor", "finance"]}

    _create(client, admin, "can.bo", "officer", "finance")
    officer = client.post(f"/api/v1/users/{_user_id(client, admin, 'can.bo')}/tokens", json={}, headers=admin)
    assert officer.status_code == 422
    assert len(_refusals(session, "token.issue_refused")) == 1


@pytest.mark.parametrize(
    "roles", [["admin", "officer"], ["admin", "approver"], ["admin", "officer", "auditor"]]
)
def test_the_admin_role_beside_making_or_approving_is_refused_at_creation_and_audited(
    client, session, admin, roles
):
    response = _create(client, admin, "hai.vai", *roles)
    assert response.status_code == 422
    assert response.get_json()["type"].endswith("/separation_of_duties")
    assert all(u["username"] != "hai.vai" for u in client.get("/api/v1/users", headers=admin).get_json())
    (refusal,) = _refusals(session, "user.roles_refused")
    assert refusal.summary["after"]["roles"] == sorted(roles)


def test_the_admin_role_beside_making_or_approving_is_refused_on_a_role_change(client, session, admin):
    _create(client, admin, "pho.quan.tri", "admin")
    other = _user_id(client, admin, "pho.quan.tri")
    response = client.put(
        f"/api/v1/users/{other}/roles", json={"roles": ["admin", "approver"]}, headers=admin
    )
    assert response.status_code == 422
    assert "cannot hold the admin role together with approver" in response.get_json()["detail"]
    assert next(u for u in client.get("/api/v1/users", headers=admin).get_json() if u["id"] == other)[
        "roles"
    ] == ["admin"]
    assert len(_refusals(session, "user.roles_refused")) == 1


def test_a_token_minted_for_a_service_account_loses_out_when_it_becomes_an_approver(client, admin):
    """Demote, mint, promote again: the token minted meanwhile must not approve as that person."""
    created = _create(client, admin, "duyet.chi", "approver").get_json()
    own_token, user_id = created["token"]["token"], created["user"]["id"]
    client.put(f"/api/v1/users/{user_id}/roles", json={"roles": ["auditor"]}, headers=admin)
    minted = client.post(f"/api/v1/users/{user_id}/tokens", json={}, headers=admin)
    assert minted.status_code == 201  # an auditor's token: allowed

    promoted = client.put(f"/api/v1/users/{user_id}/roles", json={"roles": ["approver"]}, headers=admin)

    assert promoted.status_code == 200
    assert client.get("/api/v1/me", headers=bearer(minted.get_json()["token"])).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(own_token)).status_code == 401
    # An officer who also becomes an approver keeps their tokens: none could be minted for them.
    lan = _create(client, admin, "lan", "officer").get_json()
    client.put(
        f"/api/v1/users/{lan['user']['id']}/roles", json={"roles": ["officer", "approver"]}, headers=admin
    )
    assert client.get("/api/v1/me", headers=bearer(lan["token"]["token"])).get_json()["roles"] == [
        "approver", "officer",
    ]  # fmt: skip
