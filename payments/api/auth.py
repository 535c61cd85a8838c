"""Role checks, fail closed.

Each view declares the roles it admits with `@admits(...)`. A hook that runs before any
argument parsing authenticates the bearer token and refuses callers without one of those
roles; an /api/v1 view that declares nothing is refused for everyone (and the route-walk
test fails), so a new route cannot ship without a check.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, g, request

from payments.api.session import db_session
from payments.context import Actor
from payments.errors import Forbidden, Unauthorized
from payments.security.roles import Role
from payments.security.services import Principal, authenticate

F = TypeVar("F", bound=Callable[..., Any])
API_PREFIX = "/api/v1"
ROLES_ATTR = "_admitted_roles"


def admits(*roles: Role) -> Callable[[F], F]:
    """Declare the roles that may call this view."""

    def mark(view: F) -> F:
        setattr(view, ROLES_ATTR, frozenset(roles))
        return view

    return mark


def admitted_roles(endpoint: str, method: str) -> frozenset[Role] | None:
    view = current_app.view_functions.get(endpoint)
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        view = getattr(view_class, method.lower(), None)
    return getattr(view, ROLES_ATTR, None)


def check_request() -> None:
    """before_request hook for everything under /api/v1."""
    if not request.path.startswith(API_PREFIX) or request.endpoint is None:
        return
    if request.method == "OPTIONS":
        return
    roles = admitted_roles(request.endpoint, request.method)
    principal = _authenticate()
    if roles is None:
        raise Forbidden("this route declares no roles, so nobody may call it")
    allowed = principal.roles & roles
    if not allowed:
        needed = ", ".join(sorted(roles))
        raise Forbidden(f"this action needs one of the roles: {needed}")
    g.principal = principal
    g.acting_role = sorted(allowed)[0]


def _authenticate() -> Principal:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send an API token as 'Authorization: Bearer <token>'")
    session = db_session()
    principal = authenticate(session, token.strip())
    session.rollback()  # end the read: no transaction idles open while the view works
    return principal


def current_actor() -> Actor:
    principal: Principal = g.principal
    return Actor(
        username=principal.username,
        role=g.acting_role,
        user_id=principal.user_id,
        request_id=g.get("request_id"),
    )


def has_role(role: Role) -> bool:
    return role in g.principal.roles
