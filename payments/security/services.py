"""Users and bearer tokens.

A token is 32 random bytes, shown once; only its SHA-256 is kept (the token has full
entropy, so a slow hash would add nothing). Every change is written to the audit log.
"""

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from payments.audit.services import record_event
from payments.clock import Clock, utcnow
from payments.context import Actor
from payments.errors import Conflict, InvalidInput, NotFound, Unauthorized
from payments.security.model import ApiToken, User, UserRole
from payments.security.roles import Role

TOKEN_PREFIX = "pay_"  # noqa: S105 - a prefix, not a secret


@dataclass(frozen=True)
class Principal:
    """An authenticated caller."""

    user_id: int
    username: str
    roles: frozenset[Role]
    token_id: int


@dataclass(frozen=True)
class IssuedToken:
    token_id: int
    token: str  # shown once, never stored
    expires_at: object


def create_user(
    session: Session,
    actor: Actor,
    username: str,
    roles: Iterable[str],
    *,
    display_name: str | None = None,
    clock: Clock = utcnow,
) -> User:
    """Create a user with one or more roles. Raises Conflict if the name is taken."""
    role_set = _parse_roles(roles)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"user {username!r} already exists", field="username")
    user = User(username=username, display_name=display_name or username, created_at=clock())
    user.role_rows = [UserRole(role=role.value) for role in sorted(role_set)]
    session.add(user)
    session.flush()
    after = {"username": username, "roles": sorted(role_set)}
    record_event(session, actor, "user.create", "user", user.id, after=after, clock=clock)
    return user


def issue_token(
    session: Session, actor: Actor, user: User, *, ttl_days: int, clock: Clock = utcnow
) -> IssuedToken:
    """Mint a bearer token for `user`, valid for `ttl_days`."""
    if ttl_days < 1:
        raise InvalidInput("a token must be valid for at least one day", field="ttl_days")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = clock()
    row = ApiToken(
        user_id=user.id,
        token_hash=hash_token(token),
        prefix=token[:12],
        created_at=now,
        expires_at=now + timedelta(days=ttl_days),
    )
    session.add(row)
    session.flush()
    after = {"user": user.username, "prefix": row.prefix, "expires_at": row.expires_at.isoformat()}
    record_event(session, actor, "token.issue", "api_token", row.id, after=after, clock=clock)
    return IssuedToken(row.id, token, row.expires_at)


def revoke_token(session: Session, actor: Actor, token_id: int, *, clock: Clock = utcnow) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"token {token_id} does not exist")
    if row.revoked_at is None:
        row.revoked_at = clock()
        after = {"revoked_at": row.revoked_at.isoformat()}
        record_event(session, actor, "token.revoke", "api_token", row.id, after=after, clock=clock)
    return row


def authenticate(session: Session, token: str, *, clock: Clock = utcnow) -> Principal:
    """The principal behind a bearer token. Raises Unauthorized for unknown, expired or revoked."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or not row.is_usable(clock()):
        raise Unauthorized("the token is unknown, expired or revoked")
    return Principal(row.user.id, row.user.username, row.user.roles, row.id)


def find_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"user {username!r} does not exist")
    return user


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _parse_roles(roles: Iterable[str]) -> frozenset[Role]:
    role_set = frozenset(roles)
    unknown = sorted(role_set - {role.value for role in Role})
    if unknown:
        known = ", ".join(role.value for role in Role)
        raise InvalidInput(f"unknown role(s) {', '.join(unknown)}; known roles: {known}", field="roles")
    if not role_set:
        raise InvalidInput("a user needs at least one role", field="roles")
    return frozenset(Role(role) for role in role_set)
