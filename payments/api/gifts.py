"""One-off gift runs (DOMAIN rule 8): `POST /api/v1/gifts/runs`."""

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from payments.api.auth import admits, current_actor
from payments.api.schemas.gifts import GiftRunRequestSchema, GiftRunSummarySchema
from payments.entitlements.gifts import GiftRun, run_gifts
from payments.security.roles import Role

blp = Blueprint("gifts", __name__, url_prefix="/api/v1", description="One-off gift runs (for example Tết)")


@blp.route("/gifts/runs")
class GiftRuns(MethodView):
    @admits(Role.OFFICER, Role.ADMIN)
    @blp.arguments(GiftRunRequestSchema)
    @blp.response(200, GiftRunSummarySchema)
    def post(self, args: dict[str, Any]) -> Any:
        """Give one gift to each person eligible on `date`: the highest of their programmes' amounts.

        Idempotent per `code`: running it again posts nothing new; the same code with another
        amount, date or decision is a 409 naming the ledger key. An unknown programme is a 422
        and nothing is written. The run commits chunk by chunk; for very large provinces prefer
        the CLI (`payments gifts run`). With `dry_run`, nothing is posted.
        """
        run = GiftRun(args["code"], args["date"], args["decision"], args["amounts"])
        # The run commits chunk by chunk in sessions of its own, as the accrual does.
        runtime = current_app.extensions["payments"]
        summary = run_gifts(runtime.session_factory, run, actor=current_actor(), dry_run=args["dry_run"])
        return summary.as_dict()
