from marshmallow import fields, validate

from payments.api.schemas.common import StrictSchema

MONTH = validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="a month as YYYY-MM, e.g. 2025-07")


class AccrualRequestSchema(StrictSchema):
    recompute_from = fields.String(validate=MONTH)
    recompute_to = fields.String(validate=MONTH)


class TallySchema(StrictSchema):
    entries = fields.Integer()
    amount_vnd = fields.Integer()


class AccrualSummarySchema(StrictSchema):
    period = fields.String()
    recomputed = fields.List(fields.String())
    people = fields.Integer()
    posted = fields.Integer()
    already_posted = fields.Integer()
    accrued_vnd = fields.Integer()
    arrears_vnd = fields.Integer()
    recovered_vnd = fields.Integer()
    offset_vnd = fields.Integer()
    by_programme = fields.Dict(keys=fields.String(), values=fields.Nested(TallySchema))
    by_category = fields.Dict(keys=fields.String(), values=fields.Nested(TallySchema))
    by_commune = fields.Dict(keys=fields.String(), values=fields.Nested(TallySchema))
    problems = fields.List(fields.Dict())


class ExplainArgs(StrictSchema):
    from_ = fields.String(data_key="from", required=True, validate=MONTH)
    to = fields.String(required=True, validate=MONTH)


class ExplainSchema(StrictSchema):
    beneficiary_id = fields.Integer()
    months = fields.List(fields.Dict())
    owed_now_vnd = fields.Integer()
    receivable_vnd = fields.Integer()
