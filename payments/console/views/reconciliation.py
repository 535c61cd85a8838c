"""Reconciliation for finance staff (auditors read): runs and their reports, tie-outs, the
exceptions queue, assigning an exception to a finance user, and resolving one (or approving
another user's write-off). Importing a file is in `imports`."""

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from payments.api.session import db_session, unit_of_work
from payments.console import guard, names
from payments.console.blueprint import bp
from payments.errors import PaymentsError
from payments.reconcile import exceptions, report, runs
from payments.reconcile.model import ReconRun
from payments.reconcile.resolutions import resolve_exception
from payments.reconcile.tieouts import tie_outs
from payments.security.roles import Role

PAGE = 50
READERS = (Role.FINANCE, Role.AUDITOR)


@bp.get("/reconciliation")
@guard.requires(*READERS)
def reconciliation() -> str:
    before = request.args.get("before", type=int)
    query = select(ReconRun).order_by(ReconRun.id.desc()).limit(PAGE)
    if before is not None:
        query = query.where(ReconRun.id < before)
    found = list(db_session().scalars(query))
    more = found[-1].id if len(found) == PAGE else None
    context = {"runs": found, "more": more, "tie_outs": tie_outs(db_session())}
    return render_template("console/reconciliation.html", **context)


@bp.get("/reconciliation/runs/<int:run_id>")
@guard.requires(*READERS)
def reconciliation_run(run_id: int) -> str:
    run = runs.get_run(db_session(), run_id)
    text = report.render(run.report, "text") if run.report else ""
    return render_template("console/reconciliation_run.html", run=run, text=text)


@bp.get("/reconciliation/exceptions")
@guard.requires(*READERS)
def exception_queue() -> str:
    state = request.args.get("state", "open")
    kind = request.args.get("kind") or None
    filters = {
        "state": state if state in exceptions.STATES else None,
        "kind": kind if kind in exceptions.KINDS else None,
    }
    after = request.args.get("after", default=0, type=int)
    found = exceptions.list_exceptions(db_session(), after_id=after, limit=PAGE, **filters)
    more = found[-1].id if len(found) == PAGE else None
    context = {"rows": found, "more": more, "state": state, "kind": kind or ""}
    choices = {"kinds": exceptions.KINDS, "states": exceptions.STATES}
    return render_template("console/exceptions.html", **choices, **context)


@bp.get("/reconciliation/exceptions/<int:exception_id>")
@guard.requires(*READERS)
def exception_detail(exception_id: int) -> str:
    session = db_session()
    row = exceptions.get_exception(session, exception_id)
    offered = [c for key in ("suggestions", "candidates") for c in row.data.get(key, [])]
    context = {
        "row": row,
        "history": exceptions.history(session, exception_id),
        "offered": offered,
        "finance_users": names.active_usernames_with(session, Role.FINANCE),
    }
    return render_template("console/exception.html", actions=exceptions.ACTIONS, **context)


@bp.post("/reconciliation/exceptions/<int:exception_id>/assign")
@guard.requires(Role.FINANCE)
def assign(exception_id: int) -> Response:
    """Give the exception to a finance user (the API's /assign); the page offers only active ones."""
    assignee = request.form.get("assignee", "").strip()
    if assignee not in names.active_usernames_with(db_session(), Role.FINANCE):
        flash(_("Choose an active finance user from the list."), "error")
        return redirect(url_for("console.exception_detail", exception_id=exception_id))
    done = _("The exception is assigned to %(who)s.", who=assignee)
    return _act(exception_id, done, exceptions.assign, assignee=assignee)


@bp.post("/reconciliation/exceptions/<int:exception_id>/resolve")
@guard.requires(Role.FINANCE)
def resolve(exception_id: int) -> Response:
    form = request.form
    payout = form.get("payout_id", type=int)
    return _act(
        exception_id, _("Your resolution is recorded."), resolve_exception,
        action=form.get("action", ""), reason=form.get("reason", "").strip()[:2000],
        payout_id=payout, reason_code=(form.get("reason_code") or "").strip()[:10] or None,
    )  # fmt: skip


@bp.post("/reconciliation/exceptions/<int:exception_id>/approve")
@guard.requires(Role.FINANCE)
def approve_write_off(exception_id: int) -> Response:
    reason = request.form.get("reason", "").strip()[:2000] or "approved"
    return _act(exception_id, _("The write-off is approved."), exceptions.approve_write_off, reason=reason)


def _act(exception_id: int, done: str, service: Any, **kwargs: Any) -> Response:
    try:
        with unit_of_work() as session:
            service(session, guard.console_actor(), exception_id, **kwargs)
    except PaymentsError as error:
        flash(error.detail, "error")
    else:
        flash(done, "ok")
    return redirect(url_for("console.exception_detail", exception_id=exception_id))
