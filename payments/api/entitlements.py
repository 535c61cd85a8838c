from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from payments.api.auth import admits, current_actor
from payments.api.schemas.entitlements import (
    AccrualRequestSchema,
    AccrualSummarySchema,
    ExplainArgs,
    ExplainSchema,
)
from payments.api.session import db_session
from payments.entitlements.accrual import accrue
from payments.entitlements.explain import explain_entitlements
from payments.entitlements.period import Period
from payments.entitlements.rates import load_rate_set
from payments.errors import InvalidInput
from payments.security.roles import Role

blp = Blueprint("entitlements", __name__, url_prefix="/api/v1", description="Accrual runs and explanations")


def _rates() -> Any:
    return load_rate_set(db_session(), current_app.extensions["payments"].settings.province_code)


@blp.route("/periods/<period>/accrual")
class Accrual(MethodView):
    @admits(Role.OFFICER, Role.ADMIN)
    @blp.arguments(AccrualRequestSchema)
    @blp.response(200, AccrualSummarySchema)
    def post(self, args: dict[str, Any], period: str) -> Any:
        """Accrue a month for everyone (idempotent: running it again posts nothing new).

        The run commits chunk by chunk; for very large provinces prefer the CLI or the scheduler.
        """
        span = None
        if args.get("recompute_from") or args.get("recompute_to"):
            if not (args.get("recompute_from") and args.get("recompute_to")):
                raise InvalidInput("give both recompute_from and recompute_to, or neither")
            span = (Period.parse(args["recompute_from"]), Period.parse(args["recompute_to"]))
        # The run commits chunk by chunk in sessions of its own, so it reads rates in one too.
        runtime = current_app.extensions["payments"]
        with runtime.session_factory() as session:
            rates = load_rate_set(session, runtime.settings.province_code)
        summary = accrue(
            runtime.session_factory, Period.parse(period), rates, actor=current_actor(), recompute=span
        )
        return summary.as_dict()


@blp.route("/beneficiaries/<int:beneficiary_id>/entitlements")
class Entitlements(MethodView):
    @admits(Role.OFFICER, Role.APPROVER, Role.AUDITOR)
    @blp.arguments(ExplainArgs, location="query")
    @blp.response(200, ExplainSchema)
    def get(self, args: dict[str, Any], beneficiary_id: int) -> Any:
        """Per month: the components owed with their explanations, what the ledger booked, and
        the payouts built for the month (settled, in flight, returned). Then the person's whole
        history in the terms of owed_now = accrued + arrears + gifts - recovered - offset - paid
        - in_flight + corrected, and each gift."""
        first, last = Period.parse(args["from_"]), Period.parse(args["to"])
        return explain_entitlements(db_session(), beneficiary_id, first, last, _rates())
