"""Users and bearer tokens.

A token is 32 random bytes, shown once; only its SHA-256 is kept (the token has full
entropy, so a slow hash would add nothing). Every change is written to the audit log.
A user can be deactivated and their roles changed, but never so that no active
administrator is left: nobody could then manage users at all.
"""

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from payments.audit.services import record_event
from payments.clock import Clock, utcnow
from payments.context import Actor
from payments.db import serialize_writers
from payments.errors import Conflict, InvalidInput, NotFound, RuleViolation, Unauthorized
from payments.security import duties
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
    """Create a user with one or more roles. Raises Conflict if the name is taken, DutyRefused
    for the admin role beside officer or approver (see payments.security.duties)."""
    role_set = _parse_roles(roles)
    duties.check_role_set(actor, username, username, role_set)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"user {username!r} already exists", field="username")
    user = User(username=username, display_name=display_name or username, created_at=clock())
    user.role_rows = [UserRole(role=role.value) for role in sorted(role_set)]
    session.add(user)
    session.flush()
    after = {"username": username, "roles": sorted(role_set)}
    record_event(session, actor, "user.create", "user", user.id, after=after, clock=clock)
    return user


def set_active(session: Session, actor: Actor, user: User, active: bool, *, clock: Clock = utcnow) -> User:
    """Activate or deactivate `user`. Tokens and console sessions are checked against the user on
    every request, so an inactive user is refused from their next request on; nothing is revoked,
    so activating again restores the tokens still valid. Setting the state the user already has
    changes nothing and writes no event. Raises RuleViolation for the last active administrator."""
    _read_again_in_turn(session, user)
    if user.is_active == active:
        return user
    if not active and Role.ADMIN in user.roles:
        _keep_an_active_admin(session, user, "deactivate them")
    user.is_active = active
    session.flush()
    action, name = ("user.activate" if active else "user.deactivate"), {"username": user.username}
    before, after = {**name, "is_active": not active}, {**name, "is_active": active}
    record_event(session, actor, action, "user", user.id, before=before, after=after, clock=clock)
    return user


def set_roles(
    session: Session, actor: Actor, user: User, roles: Iterable[str], *, clock: Clock = utcnow
) -> User:
    """Give `user` exactly `roles`. Roles are read again on every request, so the change holds from
    the user's next request. Giving the roles the user already has changes nothing and writes no
    event. Raises InvalidInput for no roles or an unknown one (as create_user), RuleViolation for
    taking the admin role from the last active administrator, DutyRefused for the admin role
    beside officer or approver. Gaining officer or approver authority while holding neither
    revokes the user's tokens (see payments.security.duties)."""
    wanted = _parse_roles(roles)
    duties.check_role_set(actor, user.username, user.id, wanted)
    _read_again_in_turn(session, user)
    held = user.roles
    if wanted == held:
        return user
    if user.is_active and Role.ADMIN in held - wanted:
        _keep_an_active_admin(session, user, "take the admin role from them")
    kept = [row for row in user.role_rows if Role(row.role) in wanted]
    user.role_rows = kept + [UserRole(role=role.value) for role in sorted(wanted - held)]
    session.flush()
    name = {"username": user.username}
    before, after = {**name, "roles": sorted(held)}, {**name, "roles": sorted(wanted)}
    record_event(session, actor, "user.roles", "user", user.id, before=before, after=after, clock=clock)
    duties.revoke_on_gaining_authority(session, actor, user, held=held, wanted=wanted, clock=clock)
    return user


def issue_token(
    session: Session, actor: Actor, user: User, *, ttl_days: int, clock: Clock = utcnow
) -> IssuedToken:
    """Mint a bearer token for `user`, valid for `ttl_days`. Raises InvalidInput for fewer than
    one day, DutyRefused when `actor` is another person and `user` makes or checks batches."""
    _read_again_in_turn(session, user)  # the roles checked are the roles a concurrent change left
    duties.check_token_for(actor, user)
    return _mint(session, actor, user, ttl_days=ttl_days, clock=clock)


def create_user_with_token(
    session: Session,
    actor: Actor,
    username: str,
    roles: Iterable[str],
    *,
    ttl_days: int,
    display_name: str | None = None,
    clock: Clock = utcnow,
) -> tuple[User, IssuedToken]:
    """Create a user (as create_user) with its first token, to hand over to that person. A new
    account has acted under no one's name yet, so whoever creates it may carry its first token."""
    user = create_user(session, actor, username, roles, display_name=display_name, clock=clock)
    return user, _mint(session, actor, user, ttl_days=ttl_days, clock=clock)


def _mint(session: Session, actor: Actor, user: User, *, ttl_days: int, clock: Clock) -> IssuedToken:
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


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist")
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


def _read_again_in_turn(session: Session, user: User) -> None:
    """Wait for our turn among the audit chain's writers (every user change writes an event, so
    this only takes that lock earlier), then read the user again: two administrators changing
    users at once cannot both see the other as the remaining active administrator."""
    serialize_writers(session, "audit_events")
    session.refresh(user)


def _keep_an_active_admin(session: Session, user: User, change: str) -> None:
    """Refuse a change that would take away the last active administrator."""
    others = session.scalar(
        select(func.count())
        .select_from(User)
        .join(UserRole)
        .where(UserRole.role == Role.ADMIN.value, User.is_active.is_(True), User.id != user.id)
    )
    if not others:
        raise RuleViolation(
            f"{user.username} is the last active administrator; give the admin role to another active "
            f"user first, then {change}"
        )
