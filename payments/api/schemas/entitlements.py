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


class GiftSchema(StrictSchema):
    code = fields.String(metadata={"description": "the gift run's code, e.g. tet-2027"})
    date = fields.String(metadata={"description": "the gift's date (YYYY-MM-DD)"})
    decision = fields.String()
    programme = fields.String()
    amount_vnd = fields.Integer()


def _term(description: str) -> fields.Integer:
    return fields.Integer(metadata={"description": description})


class ExplainSchema(StrictSchema):
    """owed_now_vnd = accrued_vnd + arrears_vnd + gifts_vnd - recovered_vnd - offset_vnd
    - paid_vnd - in_flight_vnd + corrected_vnd, over the person's whole history; each month
    also lists the payouts built for it (`payouts`, with `paid_vnd`, `in_flight_vnd` and
    `returned_vnd`)."""

    beneficiary_id = fields.Integer()
    months = fields.List(fields.Dict())
    owed_now_vnd = _term("what the person is owed now (their payable balance)")
    receivable_vnd = _term("what the person owes back (overpaid), offset against later amounts")
    accrued_vnd = _term("monthly allowances accrued, on time")
    arrears_vnd = _term("allowances accrued late, and increases for months already accrued")
    gifts_vnd = _term("one-off gifts (listed in `gifts`)")
    recovered_vnd = _term("decreases for months already accrued, taken back from what was owed")
    offset_vnd = _term("what was owed and went to settle the receivable")
    paid_vnd = _term("payouts the provider settled")
    in_flight_vnd = _term("payouts sent and not yet settled or returned")
    corrected_vnd = _term("the net of reversal entries")
    returned_vnd = _term("payouts rejected or returned: owed again, so in neither paid nor in flight")
    gifts = fields.List(fields.Nested(GiftSchema))
