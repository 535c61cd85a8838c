"""Helpers for console tests: users with passwords, signing in, CSRF tokens, batches to review."""

import re
from itertools import count

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from payments.context import Actor
from payments.security import login
from payments.security import services as security

PASSWORD = "correct horse battery staple"
ADMIN = Actor(username="test", role="system")
_names = count(1)
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_user(session: Session, *roles: str, name: str | None = None) -> str:
    """A user with `roles` and the password PASSWORD; returns the username."""
    username = name or f"{'-'.join(roles)}{next(_names)}"
    user = security.create_user(session, ADMIN, username, roles, display_name=username.title())
    login.set_password(session, ADMIN, user, PASSWORD)
    session.commit()
    return username


def csrf_from(html: str) -> str:
    found = _TOKEN.search(html)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def sign_in(client: FlaskClient, username: str, password: str = PASSWORD):
    page = client.get("/console/login")
    return client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": csrf_from(page.text)},
    )


def post_form(client: FlaskClient, page_path: str, target: str, /, **fields: str):
    """Open `page_path` as a person would, take its CSRF token, and post `fields` to `target`."""
    token = csrf_from(client.get(page_path).text)
    return client.post(target, data={"csrf_token": token, **fields})
