from marshmallow import ValidationError, fields, validate, validates_schema

from payments.api.schemas.common import PageArgs, StrictSchema
from payments.ledger.accounts import AccountType

_TYPES = validate.OneOf([t.value for t in AccountType])
_PERIOD = validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="a period looks like 2025-07")


class AccountQueryArgs(PageArgs):
    type = fields.String(validate=_TYPES)


class AccountSchema(StrictSchema):
    code = fields.String()
    type = fields.String()
    owner_ref = fields.String()
    balance_vnd = fields.Integer(metadata={"description": "cached balance, debit positive"})
    created_at = fields.AwareDateTime()


class AccountPageSchema(StrictSchema):
    items = fields.List(fields.Nested(AccountSchema))
    next_cursor = fields.String(allow_none=True)


class StatementLineSchema(StrictSchema):
    seq = fields.Integer()
    line = fields.Integer()
    kind = fields.String()
    effective_date = fields.Date()
    amount_vnd = fields.Integer()
    balance_vnd = fields.Integer(metadata={"description": "running balance after this line"})
    payout_ref = fields.String(allow_none=True)
    enrolment_ref = fields.String(allow_none=True)
    period = fields.String(allow_none=True)


class StatementPageSchema(StrictSchema):
    account = fields.String()
    items = fields.List(fields.Nested(StatementLineSchema))
    next_cursor = fields.String(allow_none=True)


class PostingSchema(StrictSchema):
    line = fields.Integer()
    account = fields.String(attribute="account_code")
    amount_vnd = fields.Integer()


class EntrySchema(StrictSchema):
    seq = fields.Integer()
    kind = fields.String()
    effective_date = fields.Date()
    recorded_at = fields.AwareDateTime()
    actor = fields.String()
    idempotency_key = fields.String()
    postings = fields.List(fields.Nested(PostingSchema))
    reverses_seq = fields.Integer(allow_none=True)
    reversed_by_seq = fields.Integer(allow_none=True)
    payout_ref = fields.String(allow_none=True)
    enrolment_ref = fields.String(allow_none=True)
    period = fields.String(allow_none=True)
    memo = fields.Dict(allow_none=True)
    content_hash = fields.String()
    prev_hash = fields.String()
    hash = fields.String()


class TrialBalanceArgs(PageArgs):
    period = fields.String(required=True, validate=_PERIOD)
    type = fields.String(validate=_TYPES)


class TrialBalanceRowSchema(StrictSchema):
    account = fields.String()
    type = fields.String()
    opening_vnd = fields.Integer()
    debit_vnd = fields.Integer()
    credit_vnd = fields.Integer()
    closing_vnd = fields.Integer()


class TrialBalanceSchema(StrictSchema):
    period = fields.String()
    total_debit_vnd = fields.Integer(metadata={"description": "over every account, not just this page"})
    total_credit_vnd = fields.Integer()
    items = fields.List(fields.Nested(TrialBalanceRowSchema))
    next_cursor = fields.String(allow_none=True)


class BalancesArgs(PageArgs):
    as_of_date = fields.Date()
    as_of_seq = fields.Integer(validate=validate.Range(min=0))
    type = fields.String(validate=_TYPES)

    @validates_schema
    def _one_bound(self, data: dict, **_: object) -> None:
        if "as_of_date" not in data and "as_of_seq" not in data:
            raise ValidationError("give as_of_date, as_of_seq or both", "as_of_date")


class BalanceSchema(StrictSchema):
    account = fields.String()
    balance_vnd = fields.Integer()


class BalancesPageSchema(StrictSchema):
    items = fields.List(fields.Nested(BalanceSchema))
    next_cursor = fields.String(allow_none=True)


class ExportArgs(StrictSchema):
    from_seq = fields.Integer(load_default=1, validate=validate.Range(min=1))
    to_seq = fields.Integer(validate=validate.Range(min=1))
    account = fields.String()


class CheckpointSchema(StrictSchema):
    id = fields.Integer()
    origin = fields.String()
    size = fields.Integer()
    head_hash = fields.String()
    key_id = fields.String()
    created_at = fields.AwareDateTime()
    actor = fields.String()
    note = fields.String(metadata={"description": "the C2SP signed note, verbatim"})


class CheckpointPageSchema(StrictSchema):
    items = fields.List(fields.Nested(CheckpointSchema))
    next_cursor = fields.String(allow_none=True)


class LedgerVerifySchema(StrictSchema):
    ok = fields.Boolean()
    entries = fields.Integer()
    checkpoints = fields.Integer()
    head_hash = fields.String()
    first_bad_seq = fields.Integer(allow_none=True)
    problem = fields.String(allow_none=True)


class PublicKeySchema(StrictSchema):
    algorithm = fields.String()
    key_name = fields.String()
    key_id = fields.String()
    vkey = fields.String(metadata={"description": "signed-note verifier key: name+keyid+base64(0x01||key)"})
    public_key_pem = fields.String()
