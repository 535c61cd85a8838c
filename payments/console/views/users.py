"""Users for administrators: who holds which roles and API tokens; create a user with roles
(and its first API token, shown once, as the API's POST /users does); deactivate or activate a
user; change a user's roles; revoke a token.

Only what `payments.security.services` offers, with its refusals (the last active administrator
stays one) flashed as they are. A console password is set with `payments users password NAME`.
"""

import re
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from payments.api.session import db_session, unit_of_work
from payments.clock import utcnow
from payments.console import guard
from payments.console.blueprint import bp
from payments.console.labels import label
from payments.errors import PaymentsError
from payments.security import services
from payments.security.model import ApiToken, User
from payments.security.roles import Role

USERNAME = re.compile(r"^[a-z0-9._-]{2,64}$")  # as the API's UserCreateSchema
DISPLAY_NAME_MAX = 200


@bp.get("/users")
@guard.requires(Role.ADMIN)
def users() -> str:
    return render_template("console/users.html", **_listing())


@bp.post("/users")
@guard.requires(Role.ADMIN)
def create_user() -> Response | tuple[str, int]:
    """Create the user and issue its first token; the token is shown on this answer only (never
    in a flash message, which travels in the session cookie)."""
    form = request.form
    username, display_name = form.get("username", "").strip(), form.get("display_name", "").strip()
    problem = _problem(username, display_name)
    if problem is not None:
        flash(problem, "error")
        return redirect(url_for("console.users"))
    ttl_days = current_app.extensions["payments"].settings.token_ttl_days
    try:
        with unit_of_work() as session:
            _user, issued = services.create_user_with_token(
                session,
                guard.console_actor(),
                username,
                form.getlist("roles"),
                ttl_days=ttl_days,
                display_name=display_name or None,
            )
    except PaymentsError as error:
        flash(error.detail, "error")
        return redirect(url_for("console.users"))
    return render_template("console/users.html", created=username, issued=issued, **_listing()), 201


@bp.post("/tokens/<int:token_id>/revoke")
@guard.requires(Role.ADMIN)
def revoke_token(token_id: int) -> Response:
    """Revoke an API token at once; revoking twice is harmless (as the API)."""
    try:
        with unit_of_work() as session:
            token = services.revoke_token(session, guard.console_actor(), token_id)
            owner, prefix = token.user.username, token.prefix
    except PaymentsError as error:
        flash(error.detail, "error")
    else:
        flash(_("Token %(prefix)s… of %(user)s is revoked.", prefix=prefix, user=owner), "ok")
    return redirect(url_for("console.users"))


@bp.post("/users/<int:user_id>/deactivate")
@guard.requires(Role.ADMIN)
def deactivate_user(user_id: int) -> Response:
    """Deactivate a user: their API tokens and console sessions are refused from their next request."""
    return _set_active(user_id, active=False)


@bp.post("/users/<int:user_id>/activate")
@guard.requires(Role.ADMIN)
def activate_user(user_id: int) -> Response:
    return _set_active(user_id, active=True)


@bp.post("/users/<int:user_id>/roles")
@guard.requires(Role.ADMIN)
def set_user_roles(user_id: int) -> Response:
    """Give the user exactly the roles ticked; an empty form is refused by the service."""
    try:
        with unit_of_work() as session:
            user = services.get_user(session, user_id)
            services.set_roles(session, guard.console_actor(), user, request.form.getlist("roles"))
            name, roles = user.username, ", ".join(label(role) for role in sorted(user.roles))
    except PaymentsError as error:
        flash(error.detail, "error")
    else:
        flash(_("%(user)s now has the roles: %(roles)s.", user=name, roles=roles), "ok")
    return redirect(url_for("console.users"))


def _set_active(user_id: int, *, active: bool) -> Response:
    try:
        with unit_of_work() as session:
            user = services.get_user(session, user_id)
            services.set_active(session, guard.console_actor(), user, active)
            name = user.username
    except PaymentsError as error:
        flash(error.detail, "error")
        return redirect(url_for("console.users"))
    if active:
        flash(_("%(user)s is active again.", user=name), "ok")
    else:
        flash(_("%(user)s is deactivated: their tokens and sessions are refused.", user=name), "ok")
    return redirect(url_for("console.users"))


def _problem(username: str, display_name: str) -> str | None:
    """The API schema's checks on the form; the roles are checked by the service itself."""
    if not USERNAME.match(username):
        return _("A username is 2 to 64 characters: lower-case letters, digits, dot, dash, underscore.")
    if len(display_name) > DISPLAY_NAME_MAX:
        return _("A display name has at most %(n)s characters.", n=DISPLAY_NAME_MAX)
    return None


def _listing() -> dict[str, Any]:
    """Every user with their roles, and the tokens still usable (to revoke), by owner."""
    session = db_session()
    people = list(session.scalars(select(User).order_by(User.username)))
    live = session.scalars(
        select(ApiToken)
        .where(ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow())
        .order_by(ApiToken.user_id, ApiToken.id)
    )
    tokens: dict[int, list[ApiToken]] = {}
    for token in live:
        tokens.setdefault(token.user_id, []).append(token)
    return {"users": people, "tokens": tokens, "roles": list(Role)}
