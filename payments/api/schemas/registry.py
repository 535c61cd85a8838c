"""Registry request and response schemas, by hand. Personal data is masked unless `unmask`."""

from marshmallow import fields, validate

from payments.api.schemas.common import PageArgs, StrictSchema

SEX = validate.OneOf(["male", "female"])
MONTH = validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="a month is YYYY-MM")


def _person_fields(required: bool) -> dict[str, fields.Field]:
    return {
        "citizen_id": fields.String(
            required=required, validate=validate.Regexp(r"^\d{12}$", error="12 digits")
        ),
        "legacy_id": fields.String(allow_none=True, validate=validate.Regexp(r"^\d{9}$", error="9 digits")),
        "full_name": fields.String(required=required, validate=validate.Length(min=1, max=200)),
        "date_of_birth": fields.Date(required=required),
        "sex": fields.String(required=required, validate=SEX),
        "commune_code": fields.String(
            required=required, validate=validate.Regexp(r"^\d{5}$", error="5 digits")
        ),
        "phone": fields.String(allow_none=True, validate=validate.Length(max=20)),
        "effective_date": fields.Date(metadata={"description": "when this takes effect; default today"}),
    }


BeneficiaryCreateSchema = StrictSchema.from_dict(_person_fields(True), name="BeneficiaryCreate")
BeneficiaryUpdateSchema = StrictSchema.from_dict(_person_fields(False), name="BeneficiaryUpdate")


class UnmaskArgs(StrictSchema):
    unmask = fields.Boolean(load_default=False, metadata={"description": "officer or auditor only; audited"})


class BeneficiarySearchArgs(PageArgs):
    name = fields.String(metadata={"description": "any part of the name, with or without diacritics"})
    citizen_id = fields.String(validate=validate.Regexp(r"^\d{12}$", error="12 digits"))
    commune_code = fields.String()
    programme = fields.String()
    category = fields.String()
    status = fields.String(validate=validate.OneOf(["active", "suspended", "terminated"]))


class EnrolmentBriefSchema(StrictSchema):
    id = fields.Integer()
    programme = fields.String(attribute="programme_code")
    category = fields.String(attribute="category_code")
    status = fields.String()
    current_version = fields.Integer()


class BeneficiarySchema(StrictSchema):
    id = fields.Integer()
    citizen_id = fields.String()
    legacy_id = fields.String(allow_none=True)
    full_name = fields.String()
    date_of_birth = fields.Date()
    sex = fields.String()
    commune_code = fields.String()
    phone = fields.String(allow_none=True)
    life_status = fields.String()
    death_date = fields.Date(allow_none=True)
    identity_status = fields.String(allow_none=True)
    identity_checked_at = fields.AwareDateTime(allow_none=True)
    version = fields.Integer()
    masked = fields.Boolean()
    enrolments = fields.List(fields.Nested(EnrolmentBriefSchema))


class BeneficiaryPageSchema(StrictSchema):
    items = fields.List(fields.Nested(BeneficiarySchema))
    next_cursor = fields.String(allow_none=True)


class BeneficiaryVersionSchema(StrictSchema):
    version = fields.Integer()
    effective_date = fields.Date()
    recorded_at = fields.AwareDateTime()
    recorded_by = fields.String()
    change = fields.String()
    full_name = fields.String()
    date_of_birth = fields.Date()
    sex = fields.String()
    commune_code = fields.String()
    death_date = fields.Date(allow_none=True)


class DeathSchema(StrictSchema):
    death_date = fields.Date(required=True)


def _terms_fields(required: bool) -> dict[str, fields.Field]:
    return {
        "category": fields.String(required=required, validate=validate.Length(min=1, max=60)),
        "parameters": fields.Dict(
            keys=fields.String(), metadata={"description": "ints, or decimals as strings"}
        ),
        "decision_number": fields.String(required=required, validate=validate.Length(min=1, max=60)),
        "decision_date": fields.Date(required=required),
        "start_month": fields.String(
            validate=MONTH, metadata={"description": "default: the decision's month"}
        ),
        "end_month": fields.String(allow_none=True, validate=MONTH),
    }


EnrolmentCreateSchema = StrictSchema.from_dict(
    {
        **_terms_fields(True),
        "programme": fields.String(required=True, validate=validate.OneOf(["BTXH", "NCC"])),
    },
    name="EnrolmentCreate",
)
EnrolmentAmendSchema = StrictSchema.from_dict(
    {**_terms_fields(False), "effective_date": fields.Date(required=True)}, name="EnrolmentAmend"
)


class StatusChangeSchema(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=300))
    effective_date = fields.Date(metadata={"description": "default: today"})


class AsOfArgs(StrictSchema):
    as_of = fields.Date(metadata={"description": "the terms in force on this date (default: today)"})
    known_at = fields.AwareDateTime(metadata={"description": "as recorded by this time (default: now)"})


class EnrolmentVersionSchema(StrictSchema):
    version = fields.Integer()
    effective_date = fields.Date()
    recorded_at = fields.AwareDateTime()
    recorded_by = fields.String()
    change = fields.String()
    category = fields.String(attribute="category_code")
    parameters = fields.Dict()
    decision_number = fields.String()
    decision_date = fields.Date()
    start_month = fields.Date()
    end_month = fields.Date(allow_none=True)
    status = fields.String()
    status_reason = fields.String(allow_none=True)


class EnrolmentSchema(StrictSchema):
    id = fields.Integer()
    beneficiary_id = fields.Integer()
    programme = fields.String()
    status = fields.String()
    in_force = fields.Nested(EnrolmentVersionSchema, allow_none=True)
    versions = fields.List(fields.Nested(EnrolmentVersionSchema))


class InstrumentDetailsSchema(StrictSchema):
    """A bank account, an e-wallet or cash at the post office, as given to be recorded."""

    kind = fields.String(required=True, validate=validate.OneOf(["bank", "ewallet", "cash"]))
    bank_bin = fields.String(validate=validate.Regexp(r"^\d{6}$", error="6 digits"))
    account_number = fields.String(validate=validate.Length(max=40))
    holder_name = fields.String(validate=validate.Length(max=200))
    wallet_provider = fields.String(validate=validate.Length(max=20))
    wallet_phone = fields.String(validate=validate.Length(max=20))


class InstrumentSetSchema(InstrumentDetailsSchema):
    effective_from = fields.Date(metadata={"description": "default: today"})


class InstrumentSchema(StrictSchema):
    id = fields.Integer()
    kind = fields.String()
    bank_bin = fields.String(allow_none=True)
    wallet_provider = fields.String(allow_none=True)
    account = fields.String(allow_none=True, metadata={"description": "masked unless unmask"})
    holder_name = fields.String(allow_none=True)
    effective_from = fields.Date()
    effective_to = fields.Date(allow_none=True)
    recorded_at = fields.AwareDateTime()


class DeathRecipientCreateSchema(StrictSchema):
    recipient_type = fields.String(required=True, validate=validate.OneOf(["person", "organisation"]))
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    relationship = fields.String(
        required=True,
        validate=validate.Length(min=1, max=60),
        metadata={"description": "to the person who died: 'con', 'vợ/chồng', or the organisation's role"},
    )
    citizen_id = fields.String(
        allow_none=True,
        validate=validate.Regexp(r"^\d{12}$", error="12 digits"),
        metadata={"description": "a person's (required); an organisation has none"},
    )
    decision_reference = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "the decision or document that names the recipient"},
    )
    instrument = fields.Nested(InstrumentDetailsSchema, required=True)


class RecipientInstrumentSchema(StrictSchema):
    kind = fields.String()
    bank_bin = fields.String(allow_none=True)
    wallet_provider = fields.String(allow_none=True)
    account = fields.String(allow_none=True, metadata={"description": "masked unless unmask"})
    holder_name = fields.String(allow_none=True)


class DeathRecipientSchema(StrictSchema):
    id = fields.Integer()
    beneficiary_id = fields.Integer()
    supersedes_id = fields.Integer(allow_none=True)
    in_force = fields.Boolean(metadata={"description": "the latest record: batches pay this one"})
    recipient_type = fields.String()
    full_name = fields.String()
    relationship = fields.String()
    citizen_id = fields.String(allow_none=True, metadata={"description": "masked unless unmask"})
    decision_reference = fields.String()
    instrument = fields.Nested(RecipientInstrumentSchema)
    recorded_by = fields.String()
    recorded_at = fields.AwareDateTime()
    masked = fields.Boolean()


class HoldArgs(StrictSchema):
    on = fields.Date(metadata={"description": "the payout date (default: today)"})


class HoldSchema(StrictSchema):
    code = fields.String()
    detail = fields.String()


class HoldsSchema(StrictSchema):
    beneficiary_id = fields.Integer()
    on = fields.Date()
    holds = fields.List(fields.Nested(HoldSchema))


class CategorySchema(StrictSchema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Z0-9_]{2,60}$", error="A-Z 0-9 _"))
    programme = fields.String(
        attribute="programme_code", required=True, validate=validate.OneOf(["BTXH", "NCC"])
    )
    name_vi = fields.String(required=True, validate=validate.Length(min=1, max=300))
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=300))
    parameters = fields.List(fields.Dict(), load_default=list)
    unverified = fields.Boolean(load_default=False)


class ProgrammeSchema(StrictSchema):
    code = fields.String()
    name_vi = fields.String()
    name_en = fields.String()
    categories = fields.List(fields.Nested(CategorySchema))


class UnitArgs(StrictSchema):
    on = fields.Date(metadata={"description": "default: today"})


class UnitSchema(StrictSchema):
    code = fields.String()
    current_code = fields.String(metadata={"description": "the unit standing for it on the date asked"})
    on = fields.Date()


class ImportArgs(StrictSchema):
    dry_run = fields.Boolean(load_default=False)
    skip_invalid = fields.Boolean(load_default=False)


class RowProblemSchema(StrictSchema):
    row = fields.Integer()
    column = fields.String()
    message = fields.String()


class ImportReportSchema(StrictSchema):
    rows = fields.Integer()
    beneficiaries_created = fields.Integer()
    beneficiaries_updated = fields.Integer()
    enrolments_created = fields.Integer()
    enrolment_versions_added = fields.Integer()
    instruments_set = fields.Integer()
    unchanged_rows = fields.Integer()
    dry_run = fields.Boolean()
    written = fields.Boolean()
    sha256 = fields.String()
    problems = fields.List(fields.Nested(RowProblemSchema))
