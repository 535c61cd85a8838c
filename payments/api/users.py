from typing import Any

from flask import current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from payments.api.auth import admits, current_actor
from payments.api.schemas.users import (
    IssuedTokenSchema,
    MeSchema,
    TokenCreateSchema,
    UserCreateSchema,
    UserRolesSchema,
    UserSchema,
    UserWithTokenSchema,
)
from payments.api.session import db_session, unit_of_work
from payments.security import services
from payments.security.model import User
from payments.security.roles import ALL_ROLES, Role

blp = Blueprint("users", __name__, url_prefix="/api/v1", description="Users, roles and API tokens")


def _ttl(args: dict[str, Any]) -> int:
    return int(args.get("ttl_days") or current_app.extensions["payments"].settings.token_ttl_days)


@blp.route("/users")
class Users(MethodView):
    @admits(Role.ADMIN)
    @blp.response(200, UserSchema(many=True))
    def get(self) -> Any:
        """All users with their roles."""
        return db_session().scalars(select(User).order_by(User.username)).all()

    @admits(Role.ADMIN)
    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserWithTokenSchema)
    def post(self, args: dict[str, Any]) -> Any:
        """Create a user and issue the first token (shown once), to hand over to that person.
        The admin role is never given beside officer or approver (422, separation_of_duties)."""
        with unit_of_work() as session:
            user, token = services.create_user_with_token(
                session,
                current_actor(),
                args["username"],
                args["roles"],
                ttl_days=_ttl({}),
                display_name=args.get("display_name"),
            )
        return {"user": user, "token": token}


@blp.route("/users/<int:user_id>/tokens")
class UserTokens(MethodView):
    @admits(Role.ADMIN)
    @blp.arguments(TokenCreateSchema)
    @blp.response(201, IssuedTokenSchema)
    def post(self, args: dict[str, Any], user_id: int) -> Any:
        """Issue another token for a user (shown once): for yourself, or for an account that is
        neither officer nor approver (a service account). A token for someone else who makes or
        approves batches is refused (422, separation_of_duties) and the refusal audited:
        whoever held it could act under that person's name."""
        with unit_of_work() as session:
            user = services.get_user(session, user_id)
            return services.issue_token(session, current_actor(), user, ttl_days=_ttl(args))


@blp.route("/users/<int:user_id>/deactivate")
class UserDeactivate(MethodView):
    @admits(Role.ADMIN)
    @blp.response(200, UserSchema)
    def post(self, user_id: int) -> Any:
        """Deactivate a user: their tokens are refused from their next request. Deactivating twice
        is harmless. The last active administrator cannot be deactivated (422)."""
        with unit_of_work() as session:
            return services.set_active(session, current_actor(), services.get_user(session, user_id), False)


@blp.route("/users/<int:user_id>/activate")
class UserActivate(MethodView):
    @admits(Role.ADMIN)
    @blp.response(200, UserSchema)
    def post(self, user_id: int) -> Any:
        """Activate a user again; their tokens still valid work again. Activating twice is harmless."""
        with unit_of_work() as session:
            return services.set_active(session, current_actor(), services.get_user(session, user_id), True)


@blp.route("/users/<int:user_id>/roles")
class UserRoles(MethodView):
    @admits(Role.ADMIN)
    @blp.arguments(UserRolesSchema)
    @blp.response(200, UserSchema)
    def put(self, args: dict[str, Any], user_id: int) -> Any:
        """Replace a user's roles; they hold from the user's next request. The admin role cannot be
        taken from the last active administrator (422), nor held beside officer or approver (422,
        separation_of_duties; the refusal is audited). A user who gains officer or approver
        holding neither loses their API tokens."""
        with unit_of_work() as session:
            user = services.get_user(session, user_id)
            return services.set_roles(session, current_actor(), user, args["roles"])


@blp.route("/tokens/<int:token_id>/revoke")
class TokenRevoke(MethodView):
    @admits(Role.ADMIN)
    @blp.response(204)
    def post(self, token_id: int) -> None:
        """Revoke a token at once. Revoking twice is harmless."""
        with unit_of_work() as session:
            services.revoke_token(session, current_actor(), token_id)


@blp.route("/me")
class Me(MethodView):
    @admits(*ALL_ROLES)
    @blp.response(200, MeSchema)
    def get(self) -> Any:
        """Who the token belongs to, and its roles."""
        return {"username": g.principal.username, "roles": sorted(g.principal.roles)}
