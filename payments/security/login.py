"""Passwords and console sign-in: set a password, check one, lock out repeated failures.

Every outcome (success, wrong password, unknown user, locked, inactive) is written to the
audit log with no password and, for an unknown user, not even the name typed (people type
passwords into the username box). The fifth consecutive failure locks the account for
fifteen minutes; while locked, even the right password is refused.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from payments.audit.services import record_event
from payments.clock import Clock, utcnow
from payments.context import Actor
from payments.security.model import User
from payments.security.passwords import burn_time, hash_password, verify_password

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class LoginResult:
    """`refused` is None on success, else `bad_credentials`, `locked` or `inactive`."""

    refused: str | None
    user_id: int | None = None
    username: str | None = None
    locked_until: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.refused is None


def set_password(session: Session, actor: Actor, user: User, password: str, *, clock: Clock = utcnow) -> None:
    """Store a new scrypt hash for `user` and lift any lockout. Audited without the password.
    Raises InvalidInput for a password shorter than 10 or longer than 256 characters."""
    user.password_hash = hash_password(password)
    user.failed_logins, user.locked_until = 0, None
    session.flush()
    record_event(session, actor, "user.password_set", "user", user.id, clock=clock)


def log_in(
    session: Session, username: str, password: str, *, request_id: str | None = None, clock: Clock = utcnow
) -> LoginResult:
    """Check `password` for `username`. Never raises for bad credentials: the failure count and
    the audit event must be committed by the caller even when the sign-in is refused. Every
    outcome costs one password check (an unknown name, a locked account or one without a
    password included), so the time taken does not tell which usernames exist."""
    user = session.scalar(select(User).where(User.username == username).with_for_update())
    if user is None:
        burn_time(password)
        actor = Actor(username=ANONYMOUS, role="console", request_id=request_id)
        record_event(session, actor, "login.failed", "user", "unknown", after={"reason": "unknown_user"},
                     clock=clock)  # fmt: skip
        return LoginResult("bad_credentials")
    actor = Actor(username=user.username, role="console", user_id=user.id, request_id=request_id)
    now = clock()
    if user.locked_until is not None and user.locked_until > now:
        burn_time(password)
        return _refuse(session, actor, user, "locked", clock)
    if not verify_password(password, user.password_hash):
        return _count_failure(session, actor, user, now, clock)
    if not user.is_active:
        return _refuse(session, actor, user, "inactive", clock)
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    record_event(session, actor, "login.succeeded", "user", user.id, clock=clock)
    return LoginResult(None, user.id, user.username)


def log_out(session: Session, actor: Actor, *, clock: Clock = utcnow) -> None:
    """End every console session of `actor`'s user on the server, not only the cookie of the
    browser that signed out: a copied session cookie stops working too."""
    if actor.user_id is not None:
        bump = User.session_version + 1
        session.execute(update(User).where(User.id == actor.user_id).values(session_version=bump))
    record_event(session, actor, "login.logged_out", "user", actor.user_id or actor.username, clock=clock)


def _count_failure(session: Session, actor: Actor, user: User, now: datetime, clock: Clock) -> LoginResult:
    user.failed_logins = (user.failed_logins or 0) + 1
    after: dict[str, object] = {"reason": "bad_password", "consecutive_failures": user.failed_logins}
    if user.failed_logins >= MAX_FAILURES:
        user.failed_logins, user.locked_until = 0, now + LOCKOUT
        after["locked_until"] = user.locked_until.isoformat()
    record_event(session, actor, "login.failed", "user", user.id, after=after, clock=clock)
    if user.locked_until is not None and user.locked_until > now:
        return LoginResult("locked", user.id, user.username, user.locked_until)
    return LoginResult("bad_credentials", user.id, user.username)


def _refuse(session: Session, actor: Actor, user: User, reason: str, clock: Clock) -> LoginResult:
    record_event(session, actor, "login.refused", "user", user.id, after={"reason": reason}, clock=clock)
    return LoginResult(reason, user.id, user.username, user.locked_until if reason == "locked" else None)
