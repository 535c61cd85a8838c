from marshmallow import fields

from payments.api.schemas.common import PageArgs, StrictSchema


class JobRunQueryArgs(PageArgs):
    job = fields.String()


class JobRunSchema(StrictSchema):
    id = fields.Integer()
    job = fields.String()
    holder = fields.String()
    started_at = fields.AwareDateTime()
    finished_at = fields.AwareDateTime(allow_none=True)
    outcome = fields.String()
    counts = fields.Dict()
    error = fields.String(allow_none=True)


class JobRunPageSchema(StrictSchema):
    items = fields.List(fields.Nested(JobRunSchema))
    next_cursor = fields.String(allow_none=True)
