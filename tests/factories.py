"""factory-boy factories for every model, bound to the test's session by conftest."""

from datetime import UTC, datetime

import factory
from factory.alchemy import SQLAlchemyModelFactory
from sqlalchemy.orm import Session

from payments.security.model import ApiToken, User, UserRole
from payments.security.services import hash_token

_session: Session | None = None


def use_session(session: Session | None) -> None:
    global _session  # noqa: PLW0603 - one test at a time binds its session here
    _session = session


def current_session() -> Session:
    if _session is None:
        raise RuntimeError("factories need the `session` fixture")
    return _session


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = current_session
        sqlalchemy_session_persistence = "flush"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Faker("name", locale="vi_VN")
    is_active = True
    created_at = factory.LazyFunction(lambda: datetime.now(UTC))

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **_: object) -> None:
        for role in extracted or ["officer"]:
            self.role_rows.append(UserRole(role=role))
        if create:
            current_session().flush()


class ApiTokenFactory(BaseFactory):
    class Meta:
        model = ApiToken

    user = factory.SubFactory(UserFactory)
    token_hash = factory.Sequence(lambda n: hash_token(f"pay_factory_{n}"))
    prefix = factory.Sequence(lambda n: f"pay_f{n:07d}"[:12])
    created_at = factory.LazyFunction(lambda: datetime.now(UTC))
    expires_at = factory.LazyFunction(lambda: datetime(2099, 1, 1, tzinfo=UTC))
    revoked_at = None
