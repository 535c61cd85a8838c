from marshmallow import fields

from payments.api.schemas.common import PageArgs, StrictSchema


class AuditQueryArgs(PageArgs):
    actor = fields.String()
    action = fields.String()
    target_type = fields.String()
    target_id = fields.String()
    since = fields.AwareDateTime(default_timezone=None)
    until = fields.AwareDateTime(default_timezone=None)


class AuditEventSchema(StrictSchema):
    seq = fields.Integer()
    occurred_at = fields.AwareDateTime()
    actor = fields.String()
    role = fields.String()
    action = fields.String()
    target_type = fields.String()
    target_id = fields.String()
    summary = fields.Dict()
    request_id = fields.String(allow_none=True)
    prev_hash = fields.String()
    hash = fields.String()


class AuditPageSchema(StrictSchema):
    items = fields.List(fields.Nested(AuditEventSchema))
    next_cursor = fields.String(allow_none=True)


class AuditVerifySchema(StrictSchema):
    ok = fields.Boolean()
    events = fields.Integer()
    first_bad_seq = fields.Integer(allow_none=True)
    problem = fields.String(allow_none=True)
