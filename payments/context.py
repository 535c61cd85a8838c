"""Who is acting: passed explicitly from the API or CLI down to services and the audit log."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    username: str
    role: str  # the role the action was admitted under, or "system"
    user_id: int | None = None
    request_id: str | None = None


SYSTEM = Actor(username="system", role="system")
