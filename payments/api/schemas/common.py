from marshmallow import Schema, fields, validate

from payments.api.pagination import MAX_LIMIT


class StrictSchema(Schema):
    """Unknown fields are refused (marshmallow's default RAISE, stated here once)."""

    class Meta:
        ordered = True


class PageArgs(StrictSchema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_LIMIT))
    cursor = fields.String(load_default=None)


class ProblemSchema(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String(allow_none=True)
    instance = fields.String()
    request_id = fields.String(allow_none=True)
    errors = fields.Dict(metadata={"description": "per-field messages on 422"})
