"""Separation of duties: nobody acts with another person's authority to make or check batches.

A batch is built and submitted by an officer and approved by an approver who is not that
officer (disbursements.approval); the approval carries the approver's name. Administrators
manage accounts, so three rules keep them from borrowing that authority:

- A person may mint an API token only for themselves, or for an account that holds neither
  the officer nor the approver role (a service account, finance staff, an auditor). Whoever
  holds a token acts under its owner's name. Officers' and approvers' further tokens come
  from the operator at the server (`payments users token NAME`: an actor with no user id);
  a new account's first token comes with its creation (`create_user_with_token`).
- Nobody holds the admin role beside the officer or approver role: an administrator who
  also made batches could lend themselves the approving half through the accounts they run.
- An account that gains the officer or approver role while holding neither loses the API
  tokens it held: one minted for it by an administrator under the first rule must not gain
  that authority afterwards.

A refusal is audited although the change is not made: `DutyRefused.record` is called by the
unit of work after its rollback.
"""

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from payments.audit.services import EventSpec, record_event
from payments.clock import Clock, utcnow
from payments.context import Actor
from payments.errors import RuleViolation
from payments.security.model import ApiToken, User
from payments.security.roles import Role

ACCOUNTABLE_ROLES = frozenset({Role.OFFICER, Role.APPROVER})  # acts bound to a person's name


class DutyRefused(RuleViolation):
    """A change refused because it would let someone act with another person's authority, or
    hold the powers that check each other. Carries its audit event, recorded after rollback."""

    code = "separation_of_duties"
    title = "Separation of duties"

    def __init__(self, detail: str, actor: Actor, event: EventSpec) -> None:
        super().__init__(detail)
        self.actor, self.event = actor, event

    def record(self, session: Session, *, clock: Clock = utcnow) -> None:
        """Write the refusal to the audit log (in a transaction of its own: call after rollback)."""
        spec = self.event
        record_event(
            session, self.actor, spec.action, spec.target_type, spec.target_id, after=spec.after, clock=clock
        )


def check_token_for(actor: Actor, user: User) -> None:
    """Raise DutyRefused when `actor`, a person, mints a token for someone else who makes or
    checks batches. The operator at the server (no user id) and the owner themselves may."""
    if actor.user_id is None or actor.user_id == user.id or not user.roles & ACCOUNTABLE_ROLES:
        return
    roles = sorted(user.roles & ACCOUNTABLE_ROLES)
    after = {"user": user.username, "roles": roles, "reason": "token_for_another_person"}
    raise DutyRefused(
        f"a token for {user.username} would let its holder act as {' and '.join(roles)} under "
        f"{user.username}'s name; only {user.username} (or the operator, with `payments users token`) "
        "may obtain one",
        actor,
        EventSpec("token.issue_refused", "user", user.id, after=after),
    )


def check_role_set(actor: Actor, username: str, target_id: int | str, roles: Iterable[Role]) -> None:
    """Raise DutyRefused when `roles` give one person administration with making or checking."""
    wanted = frozenset(roles)
    if Role.ADMIN not in wanted or not wanted & ACCOUNTABLE_ROLES:
        return
    clash = sorted(wanted & ACCOUNTABLE_ROLES)
    after = {"username": username, "roles": sorted(wanted), "reason": "admin_with_" + "_".join(clash)}
    raise DutyRefused(
        f"{username} cannot hold the admin role together with {' and '.join(clash)}: whoever manages "
        "accounts must not also make or approve batches; give these roles to different people",
        actor,
        EventSpec("user.roles_refused", "user", target_id, after=after),
    )


def revoke_on_gaining_authority(
    session: Session,
    actor: Actor,
    user: User,
    *,
    held: frozenset[Role],
    wanted: frozenset[Role],
    clock: Clock,
) -> None:
    """Revoke `user`'s live tokens when they gain officer or approver authority holding neither
    (each revocation audited): the tokens may have been minted for them by someone else."""
    if held & ACCOUNTABLE_ROLES or not wanted & ACCOUNTABLE_ROLES:
        return
    now = clock()
    live = session.scalars(
        select(ApiToken).where(
            ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > now
        )
    )
    for token in live:
        token.revoked_at = now
        after = {"revoked_at": now.isoformat(), "reason": "gained_officer_or_approver"}
        record_event(session, actor, "token.revoke", "api_token", token.id, after=after, clock=clock)
