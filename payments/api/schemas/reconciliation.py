from marshmallow import fields, validate

from payments.api.schemas.common import PageArgs, StrictSchema
from payments.reconcile.exceptions import ACTIONS, KINDS, STATES
from payments.reconcile.report import FORMATS
from payments.reconcile.sources import FILE_KINDS

ADAPTER = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,59}$", error="an adapter instance name")


class FileImportArgs(StrictSchema):
    adapter = fields.String(required=True, validate=ADAPTER)
    file_name = fields.String(load_default="upload", validate=validate.Length(min=1, max=200))
    kind = fields.String(load_default=None, validate=validate.OneOf(FILE_KINDS))
    day = fields.Date(load_default=None, metadata={"description": "for a CSV report without entries"})
    dry_run = fields.Boolean(load_default=False)


class RunArgs(StrictSchema):
    adapter = fields.String(load_default=None, validate=ADAPTER)
    dry_run = fields.Boolean(load_default=False)


class ReportArgs(StrictSchema):
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS))


class RunSchema(StrictSchema):
    id = fields.Integer()
    kind = fields.String()
    dry_run = fields.Boolean()
    state = fields.String()
    adapter = fields.String(allow_none=True)
    started_by = fields.String()
    started_at = fields.AwareDateTime()
    finished_at = fields.AwareDateTime(allow_none=True)


class RunPageSchema(StrictSchema):
    items = fields.List(fields.Nested(RunSchema))
    next_cursor = fields.String(allow_none=True)


class ReportSchema(StrictSchema):
    run = fields.Dict()
    imports = fields.List(fields.Dict())
    lines = fields.Integer()
    posted_entries = fields.Integer()
    outcomes = fields.Dict(metadata={"description": "{outcome: {count, amount_vnd}}"})
    exceptions = fields.Dict(metadata={"description": "{class: {count, amount_vnd}} raised by this run"})
    tie_outs = fields.Dict()


class ImportSchema(StrictSchema):
    id = fields.Integer()
    adapter = fields.String()
    kind = fields.String()
    sha256 = fields.String()
    file_name = fields.String()
    size_bytes = fields.Integer()
    line_count = fields.Integer()
    state = fields.String()
    first_day = fields.Date(allow_none=True)
    last_day = fields.Date(allow_none=True)
    opening_vnd = fields.Integer(allow_none=True)
    closing_vnd = fields.Integer(allow_none=True)
    booked_vnd = fields.Integer()
    imported_by = fields.String()
    imported_at = fields.AwareDateTime()


class ImportPageSchema(StrictSchema):
    items = fields.List(fields.Nested(ImportSchema))
    next_cursor = fields.String(allow_none=True)


class ExceptionQueryArgs(PageArgs):
    kind = fields.String(validate=validate.OneOf(KINDS))
    state = fields.String(validate=validate.OneOf(STATES))
    adapter = fields.String(validate=ADAPTER)
    assignee = fields.String(validate=validate.Length(min=1, max=64))


class ExceptionSchema(StrictSchema):
    id = fields.Integer()
    kind = fields.String()
    state = fields.String()
    adapter = fields.String()
    payout_id = fields.Integer(allow_none=True)
    line_id = fields.Integer(allow_none=True)
    import_id = fields.Integer(allow_none=True)
    amount_vnd = fields.Integer(allow_none=True)
    detail = fields.String()
    data = fields.Dict()
    assignee = fields.String(allow_none=True)
    resolution = fields.String(allow_none=True)
    resolution_reason = fields.String(allow_none=True)
    proposed_by = fields.String(allow_none=True)
    resolved_by = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class ExceptionEventSchema(StrictSchema):
    action = fields.String()
    actor = fields.String()
    note = fields.String(allow_none=True)
    data = fields.Dict(allow_none=True)
    at = fields.AwareDateTime()


class ExceptionDetailSchema(ExceptionSchema):
    history = fields.List(fields.Nested(ExceptionEventSchema))


class ExceptionPageSchema(StrictSchema):
    items = fields.List(fields.Nested(ExceptionSchema))
    next_cursor = fields.String(allow_none=True)


class AssignSchema(StrictSchema):
    assignee = fields.String(required=True, validate=validate.Length(min=1, max=64))


class ResolveSchema(StrictSchema):
    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    payout_id = fields.Integer(load_default=None)
    reason_code = fields.String(load_default=None, validate=validate.Regexp(r"^[A-Z0-9]{4}$"))


class WriteOffApprovalSchema(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class TieOutSchema(StrictSchema):
    adapters = fields.Dict()
    holds = fields.Boolean()


class CallbackAnswerSchema(StrictSchema):
    received = fields.Boolean()
    duplicate = fields.Boolean()
    outcomes = fields.Dict()
    exceptions = fields.Dict()
