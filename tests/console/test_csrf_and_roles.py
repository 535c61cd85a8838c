"""Every POST needs the session's CSRF token; every page admits only the roles it declares."""

import re

import pytest

from payments.console.guard import PUBLIC_ENDPOINTS, page_roles
from payments.disbursements.approval import get_batch, submit_batch
from payments.security.roles import Role
from tests.console.support import csrf_from, make_user, post_form, sign_in
from tests.support.people import OFFICER


def _console_routes(app) -> list[tuple[str, str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("console.") and rule.endpoint not in PUBLIC_ENDPOINTS:
            url = re.sub(r"<(?:int:)?[^>]+>", "1", rule.rule)
            routes += [(rule.endpoint, method, url) for method in sorted(rule.methods & {"GET", "POST"})]
    return routes


def test_every_console_page_declares_the_roles_it_admits(app):
    with app.test_request_context():
        undeclared = [endpoint for endpoint, _m, _u in _console_routes(app) if not page_roles(endpoint)]
    assert len(_console_routes(app)) >= 14
    assert undeclared == []


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_every_console_page_refuses_each_role_it_does_not_admit(app, client, session, role):
    sign_in(client, make_user(session, role))
    token = csrf_from(client.get("/console/").text)
    with app.test_request_context():
        routes = [(m, u, page_roles(e)) for e, m, u in _console_routes(app)]
    for method, url, roles in routes:
        if role in roles:
            continue
        response = client.open(url, method=method, data={"csrf_token": token})
        assert response.status_code == 403, (role, method, url)


def test_an_auditor_cannot_approve_even_with_the_right_manifest(signed_in, session, draft_batch):
    submit_batch(session, OFFICER, draft_batch.id)
    session.commit()
    client = signed_in("auditor")
    page = f"/console/batches/{draft_batch.id}"
    assert "approve-batch" not in client.get(page).text
    response = post_form(client, page, f"{page}/approve", manifest_hash=draft_batch.manifest_hash)
    assert response.status_code == 403
    assert "approver" in response.text
    session.expire_all()
    assert get_batch(session, draft_batch.id).state == "pending_approval"


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(signed_in, session, draft_batch):
    client = signed_in("officer")
    response = client.post(f"/console/batches/{draft_batch.id}/submit")
    assert response.status_code == 400
    assert "Biểu mẫu bị từ chối" in response.text
    session.expire_all()
    assert get_batch(session, draft_batch.id).state == "draft"


def test_a_csrf_token_from_another_session_is_refused(app, signed_in, session, draft_batch):
    stranger = app.test_client()
    foreign_token = csrf_from(stranger.get("/console/login").text)
    client = signed_in("officer")
    response = client.post(f"/console/batches/{draft_batch.id}/submit", data={"csrf_token": foreign_token})
    assert response.status_code == 400
    session.expire_all()
    assert get_batch(session, draft_batch.id).state == "draft"


def test_signing_in_without_the_csrf_token_is_refused(client, user):
    name = user("officer")
    response = client.post(
        "/console/login", data={"username": name, "password": "correct horse battery staple"}
    )
    assert response.status_code == 400
    assert client.get("/console/").status_code == 302
