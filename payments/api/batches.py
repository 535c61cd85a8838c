from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from payments.api.auth import admits, current_actor
from payments.api.pagination import decode_cursor, page
from payments.api.schemas.batches import (
    BatchApproveSchema,
    BatchDetailSchema,
    BatchHoldSchema,
    BatchPageSchema,
    BatchQueryArgs,
    BatchSchema,
    BuildResultSchema,
    BuildSchema,
    CommentSchema,
    DispatchResultSchema,
    PayoutPageSchema,
    PayoutQueryArgs,
    ReasonSchema,
    RetryResultSchema,
)
from payments.api.session import db_session, unit_of_work
from payments.disbursements import approval, repository
from payments.disbursements.building import build_batches
from payments.disbursements.dispatch import dispatcher_for
from payments.disbursements.model import Payout
from payments.disbursements.retry import build_retry_batch
from payments.disbursements.routing import routing_for
from payments.registry.crypto import PiiCipher
from payments.security.roles import Role

blp = Blueprint("batches", __name__, url_prefix="/api/v1", description="Payout batches")
READERS = (Role.OFFICER, Role.APPROVER, Role.FINANCE, Role.AUDITOR)


def _runtime() -> Any:
    return current_app.extensions["payments"]


@blp.route("/batches")
class Batches(MethodView):
    @admits(*READERS)
    @blp.arguments(BatchQueryArgs, location="query")
    @blp.response(200, BatchPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Batches, newest first, by period and state."""
        before = decode_cursor(args.get("cursor")).get("before_id")
        found = repository.batches_page(
            db_session(),
            period=args.get("period"),
            state=args.get("state"),
            before_id=before,
            limit=args["limit"],
        )
        return page(found, args["limit"], lambda batch: {"before_id": batch.id})

    @admits(Role.OFFICER)
    @blp.arguments(BuildSchema)
    @blp.response(201, BuildResultSchema)
    def post(self, args: dict[str, Any]) -> Any:
        """Build draft batches for a period from what the ledger owes; holds are listed."""
        settings = _runtime().settings
        with unit_of_work() as session:
            routing = routing_for(settings, _runtime().adapters)
            cipher = PiiCipher.from_settings(settings)
            hold_days = settings.instrument_change_hold_days
            result = build_batches(
                session, args["period"], routing, cipher, actor=current_actor(), hold_days=hold_days
            )
        return {"batches": result.batches, "held": len(result.holds)}


@blp.route("/batches/<int:batch_id>")
class BatchDetail(MethodView):
    @admits(*READERS)
    @blp.response(200, BatchDetailSchema)
    def get(self, batch_id: int) -> Any:
        """A batch with totals by commune, category and channel, payouts by state and approvals."""
        session = db_session()
        batch = approval.get_batch(session, batch_id)
        totals = {
            column: repository.totals_by(session, batch_id, column)
            for column in ("commune_code", "category_code", "channel")
        }
        by_state = {
            state: t["payouts"] for state, t in repository.totals_by(session, batch_id, "state").items()
        }
        needed = approval.approvals_needed(batch, _runtime().settings.two_approver_threshold_vnd)
        body = {name: getattr(batch, name) for name in BatchSchema().fields}
        approvals = repository.approvals_of(session, batch_id)
        extra = {
            "totals": totals,
            "payouts_by_state": by_state,
            "approvals": approvals,
            "approvals_needed": needed,
        }
        return body | extra


@blp.route("/batches/<int:batch_id>/payouts")
class BatchPayouts(MethodView):
    @admits(*READERS)
    @blp.arguments(PayoutQueryArgs, location="query")
    @blp.response(200, PayoutPageSchema)
    def get(self, args: dict[str, Any], batch_id: int) -> Any:
        """Payouts of a batch by id, optionally in one state; instruments masked."""
        from sqlalchemy import select

        after = int(decode_cursor(args.get("cursor")).get("after_id", 0))
        query = select(Payout).where(Payout.batch_id == batch_id, Payout.id > after).order_by(Payout.id)
        if args.get("state"):
            query = query.where(Payout.state == args["state"])
        found = list(db_session().scalars(query.limit(args["limit"])))
        return page(found, args["limit"], lambda payout: {"after_id": payout.id})


@blp.route("/periods/<period>/holds")
class Holds(MethodView):
    @admits(*READERS)
    @blp.response(200, BatchHoldSchema(many=True))
    def get(self, period: str) -> Any:
        """Beneficiaries held out of the period's batches, with their reasons."""
        return repository.holds_for(db_session(), period)


def _decide(name: str, batch_id: int, **kwargs: Any) -> Any:
    with unit_of_work() as session:
        return getattr(approval, name)(session, current_actor(), batch_id, **kwargs)


@blp.route("/batches/<int:batch_id>/submit")
class Submit(MethodView):
    @admits(Role.OFFICER)
    @blp.response(200, BatchSchema)
    def post(self, batch_id: int) -> Any:
        """Submit a draft batch for approval."""
        return _decide("submit_batch", batch_id)


@blp.route("/batches/<int:batch_id>/approve")
class Approve(MethodView):
    @admits(Role.APPROVER)
    @blp.arguments(BatchApproveSchema)
    @blp.response(200, BatchSchema)
    def post(self, args: dict[str, Any], batch_id: int) -> Any:
        """Approve the manifest you reviewed; never your own batch."""
        threshold = _runtime().settings.two_approver_threshold_vnd
        manifest, comment = args["manifest_hash"], args["comment"]
        return _decide(
            "approve_batch", batch_id, manifest_seen=manifest, comment=comment, threshold_vnd=threshold
        )


@blp.route("/batches/<int:batch_id>/reject")
class Reject(MethodView):
    @admits(Role.APPROVER)
    @blp.arguments(CommentSchema)
    @blp.response(200, BatchSchema)
    def post(self, args: dict[str, Any], batch_id: int) -> Any:
        """Reject a batch with a comment."""
        return _decide("reject_batch", batch_id, comment=args["comment"])


@blp.route("/batches/<int:batch_id>/cancel")
class Cancel(MethodView):
    @admits(Role.OFFICER)
    @blp.arguments(ReasonSchema)
    @blp.response(200, BatchSchema)
    def post(self, args: dict[str, Any], batch_id: int) -> Any:
        """Cancel a batch that has not started dispatching."""
        return _decide("cancel_batch", batch_id, reason=args["reason"])


@blp.route("/batches/<int:batch_id>/dispatch")
class Dispatch(MethodView):
    @admits(Role.OFFICER)
    @blp.response(200, DispatchResultSchema)
    def post(self, batch_id: int) -> Any:
        """Send an approved batch now (the scheduler does it too). Safe to repeat."""
        runtime = _runtime()
        result = dispatcher_for(
            runtime.session_factory, runtime.adapters, runtime.settings, batch_id, actor=current_actor()
        ).dispatch(batch_id)
        return result.__dict__


@blp.route("/batches/<int:batch_id>/retry")
class Retry(MethodView):
    @admits(Role.OFFICER)
    @blp.response(201, RetryResultSchema)
    def post(self, batch_id: int) -> Any:
        """Build a follow-up draft paying again only this dispatched batch's failed payouts
        (rejected or returned) whose people are still owed; holds are listed. 422 when the batch
        is not dispatched yet or has nothing to retry (a second call finds its failures followed up)."""
        settings = _runtime().settings
        with unit_of_work() as session:
            result = build_retry_batch(
                session, batch_id, routing_for(settings, _runtime().adapters),
                PiiCipher.from_settings(settings), actor=current_actor(),
                hold_days=settings.instrument_change_hold_days,
            )  # fmt: skip
        return {"parent_batch_id": batch_id, "batches": result.batches, "holds": result.holds}
