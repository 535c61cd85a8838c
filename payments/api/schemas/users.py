from marshmallow import fields, validate

from payments.api.schemas.common import StrictSchema
from payments.security.roles import Role

ROLE_NAMES = [role.value for role in Role]


def _roles_field() -> fields.List:
    return fields.List(
        fields.String(validate=validate.OneOf(ROLE_NAMES)), required=True, validate=validate.Length(min=1)
    )


class UserCreateSchema(StrictSchema):
    username = fields.String(
        required=True, validate=validate.Regexp(r"^[a-z0-9._-]{2,64}$", error="2 to 64 of a-z 0-9 . _ -")
    )
    display_name = fields.String(validate=validate.Length(max=200))
    roles = _roles_field()


class UserRolesSchema(StrictSchema):
    roles = _roles_field()


class TokenCreateSchema(StrictSchema):
    ttl_days = fields.Integer(validate=validate.Range(min=1, max=366))


class UserSchema(StrictSchema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    roles = fields.Method("_roles")
    is_active = fields.Boolean()
    created_at = fields.AwareDateTime()

    def _roles(self, user: object) -> list[str]:
        return sorted(getattr(user, "roles", []))


class IssuedTokenSchema(StrictSchema):
    token_id = fields.Integer()
    token = fields.String(metadata={"description": "shown once; store it now"})
    expires_at = fields.AwareDateTime()


class UserWithTokenSchema(StrictSchema):
    user = fields.Nested(UserSchema)
    token = fields.Nested(IssuedTokenSchema)


class MeSchema(StrictSchema):
    username = fields.String()
    roles = fields.List(fields.String())
