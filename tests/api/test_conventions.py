"""One error shape (problem+json), request ids, OpenAPI and health."""

from tests.conftest import bearer


def test_health_reports_the_database_reachable(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json()["database"] == "ok"


def test_openapi_document_and_swagger_ui_are_served(client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/audit/events" in spec["paths"]
    assert "bearerAuth" in spec["components"]["securitySchemes"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert b"swagger" in docs.data.lower()


def test_every_response_carries_a_request_id_and_echoes_a_valid_one(client):
    assert len(client.get("/health").headers["X-Request-Id"]) >= 8
    response = client.get("/health", headers={"X-Request-Id": "trace-abc-123"})
    assert response.headers["X-Request-Id"] == "trace-abc-123"
    forged = client.get("/health", headers={"X-Request-Id": "<script>"})
    assert forged.headers["X-Request-Id"] != "<script>"


def test_unknown_fields_are_refused_with_per_field_messages(client, token_for):
    token = token_for("admin")
    response = client.post(
        "/api/v1/users",
        json={"username": "lan", "roles": ["officer"], "colour": "red"},
        headers=bearer(token),
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert "colour" in body["errors"]["json"]
    assert body["request_id"] == response.headers["X-Request-Id"]


def test_an_invalid_value_names_the_field(client, token_for):
    token = token_for("admin")
    response = client.post(
        "/api/v1/users", json={"username": "lan", "roles": ["king"]}, headers=bearer(token)
    )
    assert response.status_code == 422
    assert "roles" in response.get_json()["errors"]["json"]


def test_unknown_route_is_a_problem_404(client):
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.get_json()["title"] == "Not Found"


def test_a_business_conflict_is_a_problem_409(client, token_for):
    token = token_for("admin")
    body = {"username": "lan", "roles": ["officer"]}
    assert client.post("/api/v1/users", json=body, headers=bearer(token)).status_code == 201
    again = client.post("/api/v1/users", json=body, headers=bearer(token))
    assert again.status_code == 409
    assert "already exists" in again.get_json()["detail"]


def test_an_unexpected_error_is_a_500_without_internals(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internal detail")

    response = client.get("/boom")
    assert response.status_code == 500
    assert b"secret internal detail" not in response.data
    assert response.get_json()["request_id"]


def test_a_bad_cursor_is_a_422_with_a_plain_message(client, token_for):
    response = client.get("/api/v1/audit/events?cursor=%%%", headers=bearer(token_for("auditor")))
    assert response.status_code == 422
    assert "cursor" in response.get_json()["detail"]
