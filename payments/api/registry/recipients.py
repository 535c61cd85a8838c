"""Registry API, recipients of what is owed to a beneficiary who has died: the history (the last
record is in force; citizen ID and account masked unless unmasked), and a new record, which an
officer makes from the decision that names the recipient. Batches then pay the recipient."""

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from payments.api.auth import admits, current_actor
from payments.api.registry.access import cipher, may_unmask
from payments.api.schemas.registry import DeathRecipientCreateSchema, DeathRecipientSchema, UnmaskArgs
from payments.api.session import db_session, unit_of_work
from payments.registry import repository, services
from payments.registry.crypto import mask
from payments.registry.model import DeathRecipient
from payments.registry.recipients import Recipient, record_recipient
from payments.registry.validation import Instrument
from payments.security.roles import Role

blp = Blueprint("death_recipients", __name__)
# Who pays whom after a death is for the officers who record it, the approvers who release the
# money and the auditors who check both.
READERS = (Role.OFFICER, Role.APPROVER, Role.AUDITOR)


def _present(row: DeathRecipient, *, in_force: bool, clear: bool) -> dict[str, Any]:
    shown = (lambda value: value) if clear else mask
    opened = {
        field: cipher().open(field, ciphertext, key_id) if ciphertext is not None and key_id else None
        for field, ciphertext, key_id in (
            ("citizen_id", row.citizen_id_ct, row.citizen_id_key),
            ("account", row.account_ct, row.account_key),
        )
    }
    instrument = {name: getattr(row, name) for name in ("kind", "bank_bin", "wallet_provider", "holder_name")}
    return {
        **{name: getattr(row, name) for name in DeathRecipientSchema._declared_fields if hasattr(row, name)},
        "in_force": in_force,
        "citizen_id": shown(opened["citizen_id"]),
        "instrument": {**instrument, "account": shown(opened["account"])},
        "masked": not clear,
    }


def _recipient(args: dict[str, Any]) -> Recipient:
    return Recipient(**{**args, "instrument": Instrument(**args["instrument"])})


@blp.route("/beneficiaries/<int:beneficiary_id>/death-recipients")
class DeathRecipients(MethodView):
    @admits(*READERS)
    @blp.arguments(UnmaskArgs, location="query")
    @blp.response(200, DeathRecipientSchema(many=True))
    def get(self, args: dict[str, Any], beneficiary_id: int) -> Any:
        """Every recipient recorded for this person, oldest first; the last one is in force
        (citizen ID and account masked unless `unmask`: officer or auditor, audited)."""
        services.get_beneficiary(db_session(), beneficiary_id)
        clear = may_unmask(args["unmask"], "beneficiary", beneficiary_id)
        rows = repository.recipient_history(db_session(), beneficiary_id)
        return [_present(row, in_force=row is rows[-1], clear=clear) for row in rows]

    @admits(Role.OFFICER)
    @blp.arguments(DeathRecipientCreateSchema)
    @blp.response(201, DeathRecipientSchema)
    def post(self, args: dict[str, Any], beneficiary_id: int) -> Any:
        """Record who receives what is owed to this person, who has died (the funeral grant,
        months still due), and into which instrument; it supersedes the one in force.
        422 for a person with no death recorded or invalid details (each problem by field)."""
        with unit_of_work() as session:
            row = record_recipient(session, current_actor(), cipher(), beneficiary_id, _recipient(args))
            return _present(row, in_force=True, clear=False)
