"""Administrators deactivate, activate and change the roles of users over the API; the change
holds from the user's very next request."""

import pytest
from sqlalchemy import func, select

from payments.audit.model import AuditEvent
from tests.conftest import bearer


@pytest.fixture
def admin(token_for) -> str:
    return token_for("admin")


def _create(client, admin: str, username: str, *roles: str) -> tuple[int, str]:
    """A user made through the API: (its id, its first token)."""
    body = client.post(
        "/api/v1/users", json={"username": username, "roles": list(roles)}, headers=bearer(admin)
    ).get_json()
    return body["user"]["id"], body["token"]["token"]


def _me(client, token: str):
    return client.get("/api/v1/me", headers=bearer(token))


def _events(session, action: str, user_id: int) -> int:
    where = (AuditEvent.action == action, AuditEvent.target_id == str(user_id))
    return session.scalar(select(func.count()).select_from(AuditEvent).where(*where))


def test_a_deactivated_users_token_is_refused_until_they_are_activated_again(client, admin):
    user_id, token = _create(client, admin, "lan", "officer")
    assert _me(client, token).status_code == 200

    response = client.post(f"/api/v1/users/{user_id}/deactivate", headers=bearer(admin))
    assert response.status_code == 200
    assert response.get_json() | {"created_at": None} == {
        "id": user_id, "username": "lan", "display_name": "lan", "roles": ["officer"],
        "is_active": False, "created_at": None,
    }  # fmt: skip
    assert _me(client, token).status_code == 401

    response = client.post(f"/api/v1/users/{user_id}/activate", headers=bearer(admin))
    assert (response.status_code, response.get_json()["is_active"]) == (200, True)
    assert _me(client, token).status_code == 200


def test_deactivating_twice_answers_the_same_and_is_audited_once(client, admin, session):
    user_id, _token = _create(client, admin, "lan", "officer")
    for _ in range(2):
        response = client.post(f"/api/v1/users/{user_id}/deactivate", headers=bearer(admin))
        assert (response.status_code, response.get_json()["is_active"]) == (200, False)
    assert _events(session, "user.deactivate", user_id) == 1


def test_a_role_change_takes_effect_on_the_next_request(client, admin, session):
    user_id, token = _create(client, admin, "lan", "officer")
    assert client.get("/api/v1/users", headers=bearer(token)).status_code == 403

    response = client.put(f"/api/v1/users/{user_id}/roles", json={"roles": ["admin", "auditor"]},
                          headers=bearer(admin))  # fmt: skip
    assert response.status_code == 200
    assert response.get_json()["roles"] == ["admin", "auditor"]
    assert _me(client, token).get_json()["roles"] == ["admin", "auditor"]
    assert client.get("/api/v1/users", headers=bearer(token)).status_code == 200

    client.put(f"/api/v1/users/{user_id}/roles", json={"roles": ["auditor"]}, headers=bearer(admin))
    assert client.get("/api/v1/users", headers=bearer(token)).status_code == 403
    assert _events(session, "user.roles", user_id) == 2


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/users/999999/deactivate", None),
        ("POST", "/api/v1/users/999999/activate", None),
        ("PUT", "/api/v1/users/999999/roles", {"roles": ["officer"]}),
    ],
)
def test_an_unknown_user_is_a_problem_404(client, admin, method, path, body):
    response = client.open(path, method=method, json=body, headers=bearer(admin))
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["detail"] == "user 999999 does not exist"


def test_the_last_active_administrator_is_neither_deactivated_nor_demoted(client, admin):
    me = client.get("/api/v1/users", headers=bearer(admin)).get_json()
    (own_id,) = [user["id"] for user in me if "admin" in user["roles"]]

    for response in (
        client.post(f"/api/v1/users/{own_id}/deactivate", headers=bearer(admin)),
        client.put(f"/api/v1/users/{own_id}/roles", json={"roles": ["officer"]}, headers=bearer(admin)),
    ):
        assert response.status_code == 422
        body = response.get_json()
        assert body["type"].endswith("/rule_violation")
        assert "last active administrator" in body["detail"]
    assert _me(client, admin).get_json()["roles"] == ["admin"]


def test_once_another_administrator_exists_an_administrator_may_step_down(client, admin):
    other_id, other = _create(client, admin, "pho.quan.tri", "admin")
    own_id = next(u["id"] for u in client.get("/api/v1/users", headers=bearer(admin)).get_json()
                  if u["id"] != other_id)  # fmt: skip
    response = client.put(f"/api/v1/users/{own_id}/roles", json={"roles": ["auditor"]}, headers=bearer(admin))
    assert response.status_code == 200
    assert client.post(f"/api/v1/users/{other_id}/deactivate", headers=bearer(other)).status_code == 422


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"roles": ["officer"], "colour": "red"}, "colour"),
        ({"roles": ["king"]}, "roles"),
        ({"roles": []}, "roles"),
        ({}, "roles"),
    ],
)
def test_a_bad_roles_body_is_refused_with_the_field_named(client, admin, body, field):
    user_id, _token = _create(client, admin, "lan", "officer")
    response = client.put(f"/api/v1/users/{user_id}/roles", json=body, headers=bearer(admin))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


def test_only_administrators_change_users(client, admin, token_for):
    user_id, token = _create(client, admin, "lan", "officer")
    officer = token_for("officer", "approver", "finance", "auditor")
    assert client.post(f"/api/v1/users/{user_id}/deactivate", headers=bearer(officer)).status_code == 403
    assert client.put(f"/api/v1/users/{user_id}/roles", json={"roles": ["admin"]},
                      headers=bearer(officer)).status_code == 403  # fmt: skip
    assert _me(client, token).get_json()["roles"] == ["officer"]
