from marshmallow import fields, validate

from payments.api.schemas.common import PageArgs, StrictSchema
from payments.disbursements.states import BatchState, PayoutState

MONTH = validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="a month as YYYY-MM, e.g. 2025-07")
STATES = [state.value for state in BatchState]
PAYOUT_STATES = [state.value for state in PayoutState]


class BuildSchema(StrictSchema):
    period = fields.String(required=True, validate=MONTH)


class BatchQueryArgs(PageArgs):
    period = fields.String(validate=MONTH)
    state = fields.String(validate=validate.OneOf(STATES))


class BatchApproveSchema(StrictSchema):
    manifest_hash = fields.String(required=True, validate=validate.Length(equal=64))
    comment = fields.String(load_default="approved", validate=validate.Length(max=2000))


class CommentSchema(StrictSchema):
    comment = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ReasonSchema(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=300))


class BatchSchema(StrictSchema):
    id = fields.Integer()
    period = fields.String()
    programme = fields.String()
    adapter = fields.String()
    state = fields.String()
    parent_batch_id = fields.Integer(allow_none=True)
    total_vnd = fields.Integer()
    payout_count = fields.Integer()
    manifest_hash = fields.String()
    created_by = fields.String()
    created_at = fields.AwareDateTime()
    submitted_by = fields.String(allow_none=True)
    submitted_at = fields.AwareDateTime(allow_none=True)
    state_changed_at = fields.AwareDateTime()


class ApprovalSchema(StrictSchema):
    approver = fields.String()
    decision = fields.String()
    comment = fields.String()
    manifest_hash = fields.String()
    created_at = fields.AwareDateTime()


class BatchDetailSchema(BatchSchema):
    totals = fields.Dict(metadata={"description": "by commune, category and channel"})
    payouts_by_state = fields.Dict()
    approvals = fields.List(fields.Nested(ApprovalSchema))
    approvals_needed = fields.Integer()


class BatchPageSchema(StrictSchema):
    items = fields.List(fields.Nested(BatchSchema))
    next_cursor = fields.String(allow_none=True)


class BuildResultSchema(StrictSchema):
    batches = fields.List(fields.Nested(BatchSchema))
    held = fields.Integer()


class BatchHoldSchema(StrictSchema):
    id = fields.Integer()
    period = fields.String()
    programme = fields.String()
    adapter = fields.String(allow_none=True)
    beneficiary_id = fields.Integer()
    amount_vnd = fields.Integer()
    reasons = fields.List(fields.Dict())
    created_at = fields.AwareDateTime()


class RetryResultSchema(StrictSchema):
    parent_batch_id = fields.Integer(metadata={"description": "the dispatched batch retried"})
    batches = fields.List(
        fields.Nested(BatchSchema), metadata={"description": "the follow-up drafts, for approval as usual"}
    )
    holds = fields.List(
        fields.Nested(BatchHoldSchema), metadata={"description": "people to retry held for an officer"}
    )


class PayoutQueryArgs(PageArgs):
    state = fields.String(validate=validate.OneOf(PAYOUT_STATES))


class PayoutSchema(StrictSchema):
    id = fields.Integer()
    payout_key = fields.String()
    beneficiary_id = fields.Integer()
    amount_vnd = fields.Integer()
    attempt = fields.Integer()
    state = fields.String()
    channel = fields.String()
    instrument = fields.Dict(attribute="instrument_masked", metadata={"description": "masked"})
    commune_code = fields.String()
    category_code = fields.String()
    reason_code = fields.String(allow_none=True)
    reason_text = fields.String(allow_none=True)
    original_payout_id = fields.Integer(allow_none=True)
    updated_at = fields.AwareDateTime()


class PayoutPageSchema(StrictSchema):
    items = fields.List(fields.Nested(PayoutSchema))
    next_cursor = fields.String(allow_none=True)


class DispatchResultSchema(StrictSchema):
    batch_id = fields.Integer()
    state = fields.String()
    sent = fields.Integer()
    outcomes = fields.Dict()
    stopped_because = fields.String(allow_none=True)
