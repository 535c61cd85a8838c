"""Batches: the list, one batch with its totals, holds, payouts and approvals; submit,
approve (bound to the manifest hash the page showed), reject, cancel with a reason, dispatch an
approved batch now, and retry a dispatched batch's failed payouts in a follow-up batch. Each
action admits the roles its API route admits and shows the service's refusal on the page."""

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from payments.api.session import db_session, unit_of_work
from payments.console import guard, names
from payments.console.blueprint import bp
from payments.console.formatting import count, is_period
from payments.console.i18n import current_language
from payments.console.labels import READERS, label
from payments.disbursements import approval, repository
from payments.disbursements.dispatch import DispatchResult, dispatcher_for
from payments.disbursements.model import Payout
from payments.disbursements.retry import build_retry_batch
from payments.disbursements.routing import routing_for
from payments.disbursements.states import BatchState, PayoutState
from payments.errors import PaymentsError
from payments.registry.crypto import PiiCipher
from payments.security.roles import Role

PAGE = 50
PAYOUTS_SHOWN = 100
TOTAL_COLUMNS = ("commune_code", "category_code", "channel")
FAILED = (PayoutState.REJECTED, PayoutState.RETURNED)
CANCEL_REASON_MAX = 300  # as the API's ReasonSchema


@bp.get("/batches")
@guard.requires(*READERS)
def batches() -> str:
    period, state = request.args.get("period") or None, request.args.get("state") or None
    if state not in {s.value for s in BatchState}:
        state = None
    before = request.args.get("before", type=int)
    found = repository.batches_page(db_session(), period=period, state=state, before_id=before, limit=PAGE)
    more = found[-1].id if len(found) == PAGE else None
    context = {"batches": found, "period": period or "", "state": state or "", "more": more,
               "period_page": is_period(period or "")}  # fmt: skip
    return render_template("console/batches.html", states=list(BatchState), **context)


@bp.get("/batches/<int:batch_id>")
@guard.requires(*READERS)
def batch(batch_id: int) -> str:
    session = db_session()
    found = approval.get_batch(session, batch_id)
    return render_template("console/batch.html", batch=found, **_detail(session, found))


@bp.post("/batches/<int:batch_id>/submit")
@guard.requires(Role.OFFICER)
def submit(batch_id: int) -> Response:
    return _decide(batch_id, _("Batch submitted for approval."), "submit_batch")


@bp.post("/batches/<int:batch_id>/approve")
@guard.requires(Role.APPROVER)
def approve(batch_id: int) -> Response:
    threshold = current_app.extensions["payments"].settings.two_approver_threshold_vnd
    return _decide(
        batch_id, _("Your approval is recorded."), "approve_batch",
        manifest_seen=request.form.get("manifest_hash", ""),
        comment=request.form.get("comment", "").strip()[:2000] or "approved",
        threshold_vnd=threshold,
    )  # fmt: skip


@bp.post("/batches/<int:batch_id>/reject")
@guard.requires(Role.APPROVER)
def reject(batch_id: int) -> Response:
    comment = request.form.get("comment", "").strip()[:2000]
    return _decide(batch_id, _("Batch rejected."), "reject_batch", comment=comment)


@bp.post("/batches/<int:batch_id>/cancel")
@guard.requires(Role.OFFICER)
def cancel(batch_id: int) -> Response:
    """Cancel a batch not yet dispatching; its people are payable again in the next build."""
    reason = request.form.get("reason", "").strip()
    if not reason or len(reason) > CANCEL_REASON_MAX:
        flash(_("Say why the batch is cancelled, in at most %(n)s characters.", n=CANCEL_REASON_MAX), "error")
        return redirect(url_for("console.batch", batch_id=batch_id))
    done = _("Batch cancelled: its people are payable again in the next build.")
    return _decide(batch_id, done, "cancel_batch", reason=reason)


@bp.post("/batches/<int:batch_id>/dispatch")
@guard.requires(Role.OFFICER)
def dispatch(batch_id: int) -> Response:
    """Send an approved batch now, as the scheduler would; safe to press again after a stop.
    The dispatcher works in its own transactions, a chunk at a time."""
    runtime = current_app.extensions["payments"]
    actor = guard.console_actor()
    db_session().rollback()  # end the sign-in read: no transaction idles open while we send
    try:
        dispatcher = dispatcher_for(
            runtime.session_factory, runtime.adapters, runtime.settings, batch_id, actor=actor
        )
        result = dispatcher.dispatch(batch_id)
    except PaymentsError as error:
        flash(error.detail, "error")
    else:
        _flash_dispatched(result)
    return redirect(url_for("console.batch", batch_id=batch_id))


def _flash_dispatched(result: DispatchResult) -> None:
    outcomes = ", ".join(f"{label(name)} {count(n)}" for name, n in sorted(result.outcomes.items()))
    flash(
        _("%(sent)s payouts sent (%(outcomes)s); the batch is now %(state)s.",
          sent=count(result.sent), outcomes=outcomes or "—", state=label(result.state)),
        "ok",
    )  # fmt: skip
    if result.stopped_because:
        flash(
            _("Dispatch stopped: %(why)s. Nothing is sent twice: press Dispatch again later.",
              why=result.stopped_because),
            "error",
        )  # fmt: skip


@bp.post("/batches/<int:batch_id>/retry")
@guard.requires(Role.OFFICER)
def retry(batch_id: int) -> Response:
    """Build the follow-up of a dispatched batch's failed payouts and show it; a refusal, or a
    follow-up where everyone is held, is shown on the batch page."""
    runtime = current_app.extensions["payments"]
    settings = runtime.settings
    try:
        with unit_of_work() as session:
            result = build_retry_batch(
                session, batch_id, routing_for(settings, runtime.adapters), PiiCipher.from_settings(settings),
                actor=guard.console_actor(), hold_days=settings.instrument_change_hold_days,
            )  # fmt: skip
    except PaymentsError as error:
        flash(error.detail, "error")
        return redirect(url_for("console.batch", batch_id=batch_id))
    held = len(result.holds)
    if not result.batches:
        flash(
            _("No follow-up batch: all %(held)s people to retry are held for an officer.", held=held), "error"
        )
        return redirect(url_for("console.batch", batch_id=batch_id))
    payouts = sum(batch.payout_count for batch in result.batches)
    built = _(
        "Follow-up batch built: %(n)s payouts to retry, %(held)s held for an officer.", n=payouts, held=held
    )
    flash(built, "ok")
    return redirect(url_for("console.batch", batch_id=result.batches[0].id))


def _decide(batch_id: int, done: str, service: str, **kwargs: Any) -> Response:
    """Run one approval service in a unit of work; a refusal is shown on the batch page."""
    try:
        with unit_of_work() as session:
            getattr(approval, service)(session, guard.console_actor(), batch_id, **kwargs)
    except PaymentsError as error:
        flash(error.detail, "error")
    else:
        flash(done, "ok")
    return redirect(url_for("console.batch", batch_id=batch_id))


def _detail(session: Any, batch: Any) -> dict[str, Any]:
    totals = {column: repository.totals_by(session, batch.id, column) for column in TOTAL_COLUMNS}
    by_state = repository.totals_by(session, batch.id, "state")
    holds = [
        hold for hold in repository.holds_for(session, batch.period)
        if hold.programme == batch.programme and hold.adapter in (batch.adapter, None)
    ]  # fmt: skip
    payouts = list(session.scalars(
        select(Payout).where(Payout.batch_id == batch.id).order_by(Payout.id).limit(PAYOUTS_SHOWN)
    ))  # fmt: skip
    settings = current_app.extensions["payments"].settings
    return {
        "totals": totals,
        "by_state": by_state,
        "holds": holds,
        "payouts": payouts,
        "approvals": repository.approvals_of(session, batch.id),
        "failed_payouts": sum(by_state.get(state, {}).get("payouts", 0) for state in FAILED),
        "follow_ups": repository.follow_ups_of(session, batch.id),
        "approvals_needed": approval.approvals_needed(batch, settings.two_approver_threshold_vnd),
        "valid_approvers": sorted(approval.valid_approvers(session, batch)),
        "communes": names.commune_names(session, totals["commune_code"]),
        "categories": names.category_names(session, totals["category_code"], current_language()),
    }
