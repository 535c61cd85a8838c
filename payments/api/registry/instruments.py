"""Registry API, payment instruments: the history (account masked unless unmasked), a new
instrument from a date, and why a payout to the person would be held (no instrument, a recent
change, a shared account, a holder name that differs, a death)."""

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from payments.api.auth import admits, current_actor
from payments.api.registry.access import READERS, cipher, may_unmask, today
from payments.api.schemas.registry import (
    HoldArgs,
    HoldsSchema,
    InstrumentSchema,
    InstrumentSetSchema,
    UnmaskArgs,
)
from payments.api.session import db_session, unit_of_work
from payments.registry import instruments, repository, services
from payments.registry.crypto import mask
from payments.registry.model import PaymentInstrument
from payments.registry.validation import Instrument
from payments.security.roles import Role

blp = Blueprint("instruments", __name__)


def _present_instrument(row: PaymentInstrument, clear: bool) -> dict[str, Any]:
    account = (
        cipher().open("account", row.account_ct, row.account_key)
        if row.account_ct and row.account_key
        else None
    )
    return {**{c: getattr(row, c) for c in InstrumentSchema._declared_fields if c != "account"},
            "account": account if clear else mask(account)}  # fmt: skip


@blp.route("/beneficiaries/<int:beneficiary_id>/instruments")
class BeneficiaryInstruments(MethodView):
    @admits(*READERS)
    @blp.arguments(UnmaskArgs, location="query")
    @blp.response(200, InstrumentSchema(many=True))
    def get(self, args: dict[str, Any], beneficiary_id: int) -> Any:
        """Every payment instrument, oldest first (account masked unless `unmask`)."""
        services.get_beneficiary(db_session(), beneficiary_id)
        clear = may_unmask(args["unmask"], "beneficiary", beneficiary_id)
        rows = repository.instrument_history(db_session(), beneficiary_id)
        return [_present_instrument(row, clear) for row in rows]

    @admits(Role.OFFICER)
    @blp.arguments(InstrumentSetSchema)
    @blp.response(201, InstrumentSchema)
    def post(self, args: dict[str, Any], beneficiary_id: int) -> Any:
        """Set the instrument used from `effective_from`; the previous one is closed that day."""
        effective = args.pop("effective_from", None) or today()
        with unit_of_work() as session:
            row = instruments.set_instrument(
                session,
                current_actor(),
                cipher(),
                beneficiary_id,
                Instrument(**args),
                effective_from=effective,
            )
            return _present_instrument(row, False)


@blp.route("/beneficiaries/<int:beneficiary_id>/holds")
class BeneficiaryHolds(MethodView):
    @admits(Role.OFFICER, Role.APPROVER, Role.FINANCE)
    @blp.arguments(HoldArgs, location="query")
    @blp.response(200, HoldsSchema)
    def get(self, args: dict[str, Any], beneficiary_id: int) -> Any:
        """Why a payout to this person on `on` would be held for an officer (empty: none)."""
        on = args.get("on") or today()
        days = current_app.extensions["payments"].settings.instrument_change_hold_days
        holds = instruments.payout_holds(db_session(), beneficiary_id, on, hold_days=days)
        return {"beneficiary_id": beneficiary_id, "on": on, "holds": holds}
