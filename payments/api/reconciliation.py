"""Reconciliation: import confirmation files, run, read reports and tie-outs, work exceptions.

Finance staff write; auditors read. Imports and runs manage their own transactions (a chunk
at a time), so they use the runtime's session factory rather than the request's session.
"""

from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from payments.api.auth import admits, current_actor
from payments.api.pagination import decode_cursor, page
from payments.api.schemas.common import PageArgs
from payments.api.schemas.reconciliation import (
    AssignSchema,
    ExceptionDetailSchema,
    ExceptionPageSchema,
    ExceptionQueryArgs,
    ExceptionSchema,
    FileImportArgs,
    ImportPageSchema,
    ReportArgs,
    ReportSchema,
    ResolveSchema,
    RunArgs,
    RunPageSchema,
    TieOutSchema,
    WriteOffApprovalSchema,
)
from payments.api.session import db_session, unit_of_work
from payments.reconcile import exceptions, report, runs
from payments.reconcile.model import ReconImport, ReconRun
from payments.reconcile.resolutions import resolve_exception
from payments.reconcile.tieouts import tie_outs
from payments.security.roles import Role

blp = Blueprint("reconciliation", __name__, url_prefix="/api/v1/reconciliation", description="Reconciliation")
READERS = (Role.FINANCE, Role.AUDITOR)
MIMETYPES = {"json": "application/json", "csv": "text/csv", "text": "text/plain"}


def _factory() -> Any:
    return current_app.extensions["payments"].session_factory


@blp.route("/imports")
class Imports(MethodView):
    @admits(*READERS)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, ImportPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Imported files, fetched statements and callbacks, newest first."""
        before = decode_cursor(args.get("cursor")).get("before_id")
        query = select(ReconImport).order_by(ReconImport.id.desc()).limit(args["limit"])
        if before is not None:
            query = query.where(ReconImport.id < int(before))
        found = list(db_session().scalars(query))
        return page(found, args["limit"], lambda row: {"before_id": row.id})

    @admits(Role.FINANCE)
    @blp.arguments(FileImportArgs, location="query")
    @blp.response(201, ReportSchema)
    def post(self, args: dict[str, Any]) -> Any:
        """Import a pain.002, camt.053/054, MT940 or CSV file sent as the raw request body, and
        reconcile it. The same file twice, or a statement already imported from another file,
        is refused (409, naming the earlier import); a malformed one names its line or element
        (422); in each case nothing changes. CSV reports are read through the adapter
        instance's configured `csv_mapping`, else a built-in one."""
        mappings = current_app.extensions["payments"].csv_mappings
        return runs.import_file(
            _factory(), data=request.get_data(), csv_mappings=mappings, actor=current_actor(), **args
        )


@blp.route("/runs")
class Runs(MethodView):
    @admits(*READERS)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, RunPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Runs, newest first."""
        before = decode_cursor(args.get("cursor")).get("before_id")
        query = select(ReconRun).order_by(ReconRun.id.desc()).limit(args["limit"])
        if before is not None:
            query = query.where(ReconRun.id < int(before))
        return page(list(db_session().scalars(query)), args["limit"], lambda run: {"before_id": run.id})

    @admits(Role.FINANCE)
    @blp.arguments(RunArgs)
    @blp.response(201, ReportSchema)
    def post(self, args: dict[str, Any]) -> Any:
        """Reconcile everything staged (resuming an interrupted run); `dry_run` keeps nothing."""
        return runs.run_reconciliation(_factory(), actor=current_actor(), **args)


@blp.route("/runs/<int:run_id>")
class RunDetail(MethodView):
    @admits(*READERS)
    @blp.response(200, ReportSchema)
    def get(self, run_id: int) -> Any:
        """A run's report (JSON)."""
        return runs.get_run(db_session(), run_id).report or {}


@blp.route("/runs/<int:run_id>/report")
class RunReport(MethodView):
    @admits(*READERS)
    @blp.arguments(ReportArgs, location="query")
    @blp.doc(responses={"200": {"description": "the report", "content": {m: {} for m in MIMETYPES.values()}}})
    def get(self, args: dict[str, Any], run_id: int) -> Response:
        """A run's report as JSON, CSV or a readable summary (`format`)."""
        body = runs.get_run(db_session(), run_id).report or {}
        return Response(report.render(body, args["format"]), mimetype=MIMETYPES[args["format"]])


@blp.route("/tie-outs")
class TieOuts(MethodView):
    @admits(*READERS)
    @blp.response(200, TieOutSchema)
    def get(self) -> Any:
        """Each in_flight account against its unsettled payouts, each settlement account
        against its statements, and the three-way view, as of now."""
        return tie_outs(db_session())


@blp.route("/exceptions")
class Exceptions(MethodView):
    @admits(*READERS)
    @blp.arguments(ExceptionQueryArgs, location="query")
    @blp.response(200, ExceptionPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Exceptions, oldest first, by class, state, adapter and assignee."""
        limit = args.pop("limit")
        after = int(decode_cursor(args.pop("cursor")).get("after_id", 0))
        found = exceptions.list_exceptions(db_session(), after_id=after, limit=limit, **args)
        return page(found, limit, lambda row: {"after_id": row.id})


@blp.route("/exceptions/<int:exception_id>")
class ExceptionDetail(MethodView):
    @admits(*READERS)
    @blp.response(200, ExceptionDetailSchema)
    def get(self, exception_id: int) -> Any:
        """An exception with its whole history (nothing is ever deleted)."""
        session = db_session()
        row = exceptions.get_exception(session, exception_id)
        body = {name: getattr(row, name) for name in ExceptionSchema().fields}
        return body | {"history": exceptions.history(session, exception_id)}


@blp.route("/exceptions/<int:exception_id>/assign")
class Assign(MethodView):
    @admits(Role.FINANCE)
    @blp.arguments(AssignSchema)
    @blp.response(200, ExceptionSchema)
    def post(self, args: dict[str, Any], exception_id: int) -> Any:
        """Give an exception to a finance user."""
        with unit_of_work() as session:
            return exceptions.assign(session, current_actor(), exception_id, args["assignee"])


@blp.route("/exceptions/<int:exception_id>/resolve")
class Resolve(MethodView):
    @admits(Role.FINANCE)
    @blp.arguments(ResolveSchema)
    @blp.response(200, ExceptionSchema)
    def post(self, args: dict[str, Any], exception_id: int) -> Any:
        """Resolve with a reason and an action: confirm_suggestion (payout_id), mark_returned,
        write_off (then pending a second finance user's approval) or acknowledge."""
        with unit_of_work() as session:
            return resolve_exception(session, current_actor(), exception_id, **args)


@blp.route("/exceptions/<int:exception_id>/approve")
class ApproveWriteOff(MethodView):
    @admits(Role.FINANCE)
    @blp.arguments(WriteOffApprovalSchema)
    @blp.response(200, ExceptionSchema)
    def post(self, args: dict[str, Any], exception_id: int) -> Any:
        """Approve another finance user's write-off."""
        with unit_of_work() as session:
            return exceptions.approve_write_off(session, current_actor(), exception_id, reason=args["reason"])
