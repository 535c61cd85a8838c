from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from payments.api.auth import admits, current_actor
from payments.api.pagination import decode_cursor, page
from payments.api.schemas.rates import (
    RateCloseSchema,
    RateCorrectionSchema,
    RateCreateSchema,
    RatePageSchema,
    RateQueryArgs,
    RateSchema,
)
from payments.api.session import db_session, unit_of_work
from payments.entitlements import rates
from payments.entitlements.repository import search_rates
from payments.security.roles import Role

blp = Blueprint(
    "rates", __name__, url_prefix="/api/v1/rates", description="Effective-dated entitlement rates"
)


def _value(args: dict[str, Any]) -> tuple[int | str, str]:
    """The one value given, and the unit its field names."""
    for name, unit in (("amount_vnd", "vnd"), ("coefficient", "coefficient"), ("years", "years")):
        if args.get(name) is not None:
            return args[name], unit
    raise AssertionError("the schema requires exactly one value")


@blp.route("")
class Rates(MethodView):
    @admits(Role.OFFICER, Role.APPROVER, Role.FINANCE, Role.AUDITOR, Role.ADMIN)
    @blp.arguments(RateQueryArgs, location="query")
    @blp.response(200, RatePageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Rate rows by id; filter by code prefix, scope and a day they are in force."""
        limit = args.pop("limit")
        after = int(decode_cursor(args.pop("cursor")).get("id", 0))
        found = search_rates(db_session(), after_id=after, limit=limit, **args)
        return page(found, limit, lambda rate: {"id": rate.id})

    @admits(Role.ADMIN)
    @blp.arguments(RateCreateSchema)
    @blp.response(201, RateSchema)
    def post(self, args: dict[str, Any]) -> Any:
        """Add a rate row. Overlapping or gapped validity, and a province below the national
        figure, are refused (422) with the dates concerned."""
        value, unit = _value(args)
        new = rates.NewRate(
            code=args["code"],
            scope=args["scope"],
            valid_from=args["valid_from"],
            valid_to=args["valid_to"],
            value=value,
            source=args["source"],
            unverified=args["unverified"],
            unit=unit,
            close_previous=args["close_previous"],
        )
        with unit_of_work() as session:
            return rates.add_rate(session, current_actor(), new)


@blp.route("/<int:rate_id>/close")
class RateClose(MethodView):
    @admits(Role.ADMIN)
    @blp.arguments(RateCloseSchema)
    @blp.response(200, RateSchema)
    def post(self, args: dict[str, Any], rate_id: int) -> Any:
        """Set the last day a row is in force (the latest row of its code and scope only)."""
        with unit_of_work() as session:
            return rates.close_rate(session, current_actor(), rate_id, args["valid_to"])


@blp.route("/<int:rate_id>/correction")
class RateCorrection(MethodView):
    @admits(Role.ADMIN)
    @blp.arguments(RateCorrectionSchema)
    @blp.response(201, RateSchema)
    def post(self, args: dict[str, Any], rate_id: int) -> Any:
        """Correct a row's figure for the same validity; the old row is kept, superseded."""
        value, unit = _value(args)
        with unit_of_work() as session:
            return rates.correct_rate(
                session,
                current_actor(),
                rate_id,
                value,
                args["source"],
                unverified=args["unverified"],
                unit=unit,
            )
