from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from payments.api.schemas.common import PageArgs, StrictSchema
from payments.entitlements.rateset import coefficient_text

_DECIMAL = validate.Regexp(r"^\d{1,6}(\.\d{1,3})?$", error="a decimal such as 1.5, at most three decimals")
_VALUE_FIELDS = ("amount_vnd", "coefficient", "years")


class RateQueryArgs(PageArgs):
    code = fields.String(metadata={"description": "code or code prefix, e.g. ncc.war_invalid"})
    scope = fields.String(metadata={"description": "'national' or a 2-digit province code"})
    on = fields.Date(metadata={"description": "only rows in force on this day"})
    include_superseded = fields.Boolean(load_default=False)


class _ValueSchema(StrictSchema):
    """Exactly one value, in the field that names the rate's unit."""

    amount_vnd = fields.Integer(validate=validate.Range(min=0))
    coefficient = fields.String(validate=_DECIMAL)
    years = fields.Integer(validate=validate.Range(min=0, max=150))
    source = fields.String(required=True, validate=validate.Length(min=1, max=500))
    unverified = fields.Boolean(load_default=False)

    @validates_schema
    def _one_value(self, data: dict[str, Any], **_: Any) -> None:
        given = [name for name in _VALUE_FIELDS if data.get(name) is not None]
        if len(given) != 1:
            raise ValidationError("give exactly one of amount_vnd, coefficient or years", "_schema")


class RateCreateSchema(_ValueSchema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=60))
    scope = fields.String(load_default="national", validate=validate.Length(min=2, max=10))
    valid_from = fields.Date(required=True, metadata={"description": "first day of a month"})
    valid_to = fields.Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "last day of a month, inclusive; null: open"},
    )
    close_previous = fields.Boolean(
        load_default=False,
        metadata={
            "description": "end the open-ended row before this one on the day before, in the same change"
        },
    )


class RateCorrectionSchema(_ValueSchema):
    pass


class RateCloseSchema(StrictSchema):
    valid_to = fields.Date(required=True, metadata={"description": "last day in force, a month's last day"})


class RateSchema(StrictSchema):
    id = fields.Integer()
    code = fields.String()
    scope = fields.String()
    valid_from = fields.Date()
    valid_to = fields.Date(allow_none=True)
    unit = fields.String()
    amount_vnd = fields.Integer(allow_none=True)
    coefficient = fields.Method("_coefficient", allow_none=True)
    years = fields.Integer(allow_none=True)
    source = fields.String()
    unverified = fields.Boolean()
    created_at = fields.AwareDateTime()
    created_by = fields.String()
    superseded_at = fields.AwareDateTime(allow_none=True)
    superseded_by_id = fields.Integer(allow_none=True)

    def _coefficient(self, rate: Any) -> str | None:
        return None if rate.coefficient_milli is None else coefficient_text(rate.coefficient_milli)


class RatePageSchema(StrictSchema):
    items = fields.List(fields.Nested(RateSchema))
    next_cursor = fields.String(allow_none=True)
