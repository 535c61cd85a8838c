from datetime import UTC, datetime, timedelta

from payments.security.model import ApiToken
from tests.conftest import bearer
from tests.factories import ApiTokenFactory, UserFactory


def test_an_admin_creates_a_user_whose_token_works_once_shown(client, token_for):
    admin = token_for("admin")
    response = client.post(
        "/api/v1/users",
        json={"username": "thu.nguyen", "roles": ["approver", "officer"]},
        headers=bearer(admin),
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["user"]["roles"] == ["approver", "officer"]
    token = body["token"]["token"]
    me = client.get("/api/v1/me", headers=bearer(token)).get_json()
    assert me == {"username": "thu.nguyen", "roles": ["approver", "officer"]}


def test_tokens_are_stored_only_as_hashes(client, token_for, session):
    admin = token_for("admin")
    body = client.post(
        "/api/v1/users", json={"username": "hoa", "roles": ["finance"]}, headers=bearer(admin)
    ).get_json()
    token = body["token"]["token"]
    stored = session.get(ApiToken, body["token"]["token_id"])
    assert token not in (stored.token_hash, stored.prefix)
    assert len(stored.token_hash) == 64


def test_a_revoked_token_is_refused(client, token_for):
    admin = token_for("admin")
    body = client.post(
        "/api/v1/users", json={"username": "minh", "roles": ["auditor"]}, headers=bearer(admin)
    ).get_json()
    token, token_id = body["token"]["token"], body["token"]["token_id"]
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    assert client.post(f"/api/v1/tokens/{token_id}/revoke", headers=bearer(admin)).status_code == 204
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_an_expired_token_is_refused(client, session):
    user = UserFactory(roles=["auditor"])
    ApiTokenFactory(
        user=user, token_hash=_hash("pay_expired"), expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    session.commit()
    assert client.get("/api/v1/me", headers=bearer("pay_expired")).status_code == 401


def test_a_token_of_a_deactivated_user_is_refused(client, session):
    user = UserFactory(roles=["auditor"], is_active=False)
    ApiTokenFactory(user=user, token_hash=_hash("pay_inactive"))
    session.commit()
    assert client.get("/api/v1/me", headers=bearer("pay_inactive")).status_code == 401


def test_user_and_token_changes_are_audited_and_listed_for_auditors(client, token_for):
    admin = token_for("admin")
    client.post("/api/v1/users", json={"username": "an", "roles": ["officer"]}, headers=bearer(admin))
    auditor = token_for("auditor")
    page = client.get("/api/v1/audit/events?action=user.create&limit=50", headers=bearer(auditor)).get_json()
    created = [e for e in page["items"] if e["summary"]["after"]["username"] == "an"]
    assert len(created) == 1
    assert created[0]["role"] == "admin"
    assert created[0]["request_id"]


def test_audit_events_page_by_cursor_without_repeats(client, token_for):
    auditor = token_for("auditor")
    for i in range(5):
        token_for("officer") if i % 2 else token_for("finance")
    seen, cursor = [], None
    while True:
        url = "/api/v1/audit/events?limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url, headers=bearer(auditor)).get_json()
        seen += [e["seq"] for e in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(set(seen))
    assert len(seen) >= 12


def test_audit_verify_is_served(client, token_for):
    body = client.get("/api/v1/audit/verify", headers=bearer(token_for("auditor"))).get_json()
    assert body["ok"] is True


def _hash(token: str) -> str:
    from payments.security.services import hash_token

    return hash_token(token)
