"""Every /api/v1 route answers 401 without a token and 403 to each role it does not admit.

A new route that forgets to declare its roles is refused for everyone, and fails here.
"""

import re

import pytest

from payments.api.auth import admitted_roles
from payments.security.roles import Role
from tests.conftest import bearer

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _api_routes(app) -> list[tuple[str, str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        url = re.sub(r"<(?:int:)?[^>]+>", "1", rule.rule)
        for method in sorted(rule.methods & set(METHODS)):
            routes.append((rule.endpoint, method, url))
    return routes


def test_the_api_has_routes_to_walk(app):
    assert len(_api_routes(app)) >= 5


def test_every_api_route_declares_its_roles(app):
    with app.test_request_context():
        undeclared = [(m, u) for e, m, u in _api_routes(app) if not admitted_roles(e, m)]
    assert undeclared == []


def test_every_api_route_refuses_a_caller_without_a_token(app, client):
    for _endpoint, method, url in _api_routes(app):
        response = client.open(url, method=method, json={})
        assert response.status_code == 401, (method, url)
        assert response.mimetype == "application/problem+json"


def test_every_api_route_refuses_a_bad_token(app, client):
    for _endpoint, method, url in _api_routes(app):
        response = client.open(url, method=method, json={}, headers=bearer("pay_not-a-real-token"))
        assert response.status_code == 401, (method, url)


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_every_api_route_refuses_roles_it_does_not_admit(app, client, token_for, role):
    token = token_for(role)
    with app.test_request_context():
        routes = [(m, u, admitted_roles(e, m)) for e, m, u in _api_routes(app)]
    for method, url, roles in routes:
        if role in roles:
            continue
        response = client.open(url, method=method, json={}, headers=bearer(token))
        assert response.status_code == 403, (role, method, url)
        assert response.get_json()["status"] == 403
