"""Names for the codes that pages show: communes, categories, programmes; and who holds a role. Read-only."""

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from payments.registry.model import Category, Commune
from payments.security.model import User, UserRole
from payments.security.roles import Role


def commune_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    wanted = list(set(codes))
    rows = session.execute(select(Commune.code, Commune.name).where(Commune.code.in_(wanted)))
    return {row.code: row.name for row in rows}


def category_names(session: Session, codes: Iterable[str], language: str) -> dict[str, str]:
    wanted = list(set(codes))
    name = Category.name_en if language == "en" else Category.name_vi
    rows = session.execute(select(Category.code, name.label("name")).where(Category.code.in_(wanted)))
    return {row.code: row.name for row in rows}


def active_usernames_with(session: Session, role: Role) -> list[str]:
    """Usernames of active users holding `role`, sorted: the people a task can be given to."""
    rows = session.scalars(
        select(User.username)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == role.value, User.is_active.is_(True))
        .order_by(User.username)
    )
    return list(rows)
