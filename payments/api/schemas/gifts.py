from marshmallow import fields, validate

from payments.api.schemas.common import StrictSchema
from payments.api.schemas.entitlements import TallySchema
from payments.entitlements.gifts import MAX_CODE_LENGTH, MAX_DECISION_LENGTH, RUN_CODE_PATTERN
from payments.ledger.draft import MAX_AMOUNT_VND

RUN_CODE = validate.Regexp(
    RUN_CODE_PATTERN, error="lower-case letters and digits joined by '-', e.g. tet-2027"
)


class GiftRunRequestSchema(StrictSchema):
    code = fields.String(required=True, validate=[validate.Length(max=MAX_CODE_LENGTH), RUN_CODE])
    date = fields.Date(
        required=True, metadata={"description": "the gift's date: people must be eligible on it"}
    )
    decision = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_DECISION_LENGTH),
        metadata={"description": "the decision granting the gift, e.g. QĐ 123/QĐ-UBND"},
    )
    # Integers only (strict: no "500000", no 500000.0, no true), whole đồng, above zero.
    amounts = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1)),
        values=fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_AMOUNT_VND)),
        required=True,
        validate=validate.Length(min=1),
        metadata={"description": '{programme code: gift in VND}, e.g. {"BTXH": 500000, "NCC": 600000}'},
    )
    dry_run = fields.Boolean(load_default=False)


class GiftRunSummarySchema(StrictSchema):
    code = fields.String()
    gift_date = fields.String()
    decision = fields.String()
    amounts_vnd = fields.Dict(keys=fields.String(), values=fields.Integer())
    dry_run = fields.Boolean()
    people = fields.Integer()
    given = fields.Integer()
    given_vnd = fields.Integer()
    already_given = fields.Integer()
    already_given_vnd = fields.Integer()
    not_eligible = fields.Integer()
    by_programme = fields.Dict(keys=fields.String(), values=fields.Nested(TallySchema))
    problems = fields.List(fields.Dict())
