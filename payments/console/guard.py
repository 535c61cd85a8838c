"""Who is signed in, what each page admits, and the CSRF check. Fail closed.

The session cookie (signed, HttpOnly, SameSite=Lax, Secure in production) holds the user id,
a fingerprint of the password hash (so a password change signs out other sessions), the
user's session version (signing out moves it on, so a copy of the cookie taken before is
refused: a cookie alone cannot be revoked), the sign-in time and a CSRF token. Each request
reloads the user, so a role taken away or an account deactivated takes effect at once. A
page that declares no roles is refused to all.
"""

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import abort, current_app, g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from payments.api.session import db_session
from payments.clock import utcnow
from payments.context import Actor
from payments.security.model import User
from payments.security.roles import Role

F = TypeVar("F", bound=Callable[..., Any])
ROLES_ATTR = "_console_roles"
PUBLIC_ENDPOINTS = frozenset({"console.login", "console.language", "console.static"})
SESSION_LIFETIME = timedelta(hours=12)
SESSION_KEYS = ("uid", "pwfp", "sv", "since")


class ConsoleForbidden(Exception):
    """The signed-in user lacks every role the page admits."""


def requires(*roles: Role) -> Callable[[F], F]:
    """Declare the roles that may open this page or post this form."""

    def mark(view: F) -> F:
        setattr(view, ROLES_ATTR, frozenset(roles))
        return view

    return mark


def page_roles(endpoint: str) -> frozenset[Role] | None:
    return getattr(current_app.view_functions.get(endpoint), ROLES_ATTR, None)


def check_request() -> Response | None:
    """before_request for the console: CSRF on every POST, then sign-in, then roles."""
    if request.method == "POST":
        check_csrf()
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    user = _signed_in_user()
    if user is None:
        session.pop("uid", None)
        return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
    admitted = page_roles(request.endpoint or "") or frozenset()
    allowed = user.roles & admitted
    if not allowed:
        raise ConsoleForbidden(", ".join(sorted(admitted)))
    g.console_user = user
    g.acting_role = sorted(allowed)[0]
    return None


def start_session(user: User) -> None:
    """A fresh session after sign-in: nothing from before survives but the language."""
    language = session.get("lang")
    session.clear()
    session.update(
        uid=user.id, pwfp=fingerprint(user.password_hash), sv=user.session_version, since=utcnow().isoformat()
    )
    if language:
        session["lang"] = language
    session["csrf"] = secrets.token_urlsafe(32)


def end_session() -> None:
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


def console_actor() -> Actor:
    user: User = g.console_user
    return Actor(username=user.username, role=g.acting_role, user_id=user.id, request_id=g.get("request_id"))


def has_role(*roles: Role) -> bool:
    user: User | None = g.get("console_user")
    return user is not None and bool(user.roles & set(roles))


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def check_csrf() -> None:
    sent, expected = request.form.get("csrf_token", ""), session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(400, description="csrf")


def safe_next(target: str | None) -> str:
    """Only a path on this site: never another host (an open redirect)."""
    target = target or ""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/console") or "\\" in target:
        return url_for("console.dashboard")
    return target


def fingerprint(password_hash: str | None) -> str:
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


def _signed_in_user() -> User | None:
    if not all(key in session for key in SESSION_KEYS):
        return None
    try:
        since = datetime.fromisoformat(session["since"])
    except (TypeError, ValueError):
        return None
    if utcnow() - since > SESSION_LIFETIME:
        return None
    user = db_session().get(User, session["uid"])
    if user is None or not user.is_active or not user.password_hash or session["sv"] != user.session_version:
        return None
    return user if hmac.compare_digest(fingerprint(user.password_hash), session["pwfp"]) else None
