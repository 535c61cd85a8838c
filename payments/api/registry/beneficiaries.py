"""Registry API, beneficiaries: search, register, change details (a new version each time),
record a death, check identity. Responses are masked unless an officer or auditor unmasks
(see registry_access.py)."""

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from payments.api.auth import admits, current_actor
from payments.api.pagination import decode_cursor, page
from payments.api.registry.access import READERS, cipher, may_unmask
from payments.api.schemas.registry import (
    BeneficiaryCreateSchema,
    BeneficiaryPageSchema,
    BeneficiarySchema,
    BeneficiarySearchArgs,
    BeneficiaryUpdateSchema,
    BeneficiaryVersionSchema,
    DeathSchema,
    UnmaskArgs,
)
from payments.api.session import db_session, unit_of_work
from payments.errors import InvalidInput
from payments.registry import repository, services
from payments.registry.crypto import mask
from payments.registry.identity import SandboxIdentityChecker
from payments.registry.model import Beneficiary
from payments.registry.validation import Person
from payments.security.roles import Role

blp = Blueprint("beneficiaries", __name__)


def _present(session: Any, beneficiary: Beneficiary, clear: bool) -> dict[str, Any]:
    person = services.current_person(beneficiary, cipher())
    shown = (lambda value: value) if clear else mask
    return {
        **{
            name: getattr(beneficiary, name)
            for name in BeneficiarySchema._declared_fields
            if hasattr(beneficiary, name)
        },
        "citizen_id": shown(person.citizen_id),
        "legacy_id": shown(person.legacy_id),
        "phone": shown(person.phone),
        "masked": not clear,
        "enrolments": repository.enrolments_of(session, beneficiary.id),
    }


def _person(args: dict[str, Any]) -> Person:
    return Person(**{k: v for k, v in args.items() if k != "effective_date"})


@blp.route("/beneficiaries")
class Beneficiaries(MethodView):
    @admits(*READERS)
    @blp.arguments(BeneficiarySearchArgs, location="query")
    @blp.response(200, BeneficiaryPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Search: name (diacritics optional), exact citizen ID, commune, programme, category, status."""
        limit, after = args.pop("limit"), int(decode_cursor(args.pop("cursor")).get("id", 0))
        citizen_id = args.pop("citizen_id", None)
        if citizen_id:
            args["citizen_id_bidx"] = cipher().index("citizen_id", citizen_id)
        session = db_session()
        found = repository.search_beneficiaries(session, after_id=after, limit=limit, **args)
        return page([_present(session, b, False) for b in found], limit, lambda item: {"id": item["id"]})

    @admits(Role.OFFICER)
    @blp.arguments(BeneficiaryCreateSchema)
    @blp.response(201, BeneficiarySchema)
    def post(self, args: dict[str, Any]) -> Any:
        """Register a person (citizen ID checked against date of birth and sex; unique)."""
        with unit_of_work() as session:
            beneficiary = services.register_beneficiary(
                session, current_actor(), cipher(), _person(args), effective_date=args.get("effective_date")
            )
            return _present(session, beneficiary, False)


@blp.route("/beneficiaries/<int:beneficiary_id>")
class BeneficiaryItem(MethodView):
    @admits(*READERS)
    @blp.arguments(UnmaskArgs, location="query")
    @blp.response(200, BeneficiarySchema)
    def get(self, args: dict[str, Any], beneficiary_id: int) -> Any:
        """One person, masked unless `unmask=true` (officer or auditor; audited)."""
        beneficiary = services.get_beneficiary(db_session(), beneficiary_id)
        clear = may_unmask(args["unmask"], "beneficiary", beneficiary_id)
        return _present(db_session(), beneficiary, clear)

    @admits(Role.OFFICER)
    @blp.arguments(BeneficiaryUpdateSchema)
    @blp.response(200, BeneficiarySchema)
    def patch(self, args: dict[str, Any], beneficiary_id: int) -> Any:
        """Change details from `effective_date`; a new version is kept, never an overwrite."""
        effective = args.pop("effective_date", None)
        with unit_of_work() as session:
            beneficiary = services.update_beneficiary(
                session, current_actor(), cipher(), beneficiary_id, args, effective_date=effective
            )
            return _present(session, beneficiary, False)


@blp.route("/beneficiaries/<int:beneficiary_id>/versions")
class BeneficiaryVersions(MethodView):
    @admits(*READERS)
    @blp.response(200, BeneficiaryVersionSchema(many=True))
    def get(self, beneficiary_id: int) -> Any:
        """Every recorded version of the person's details, oldest first."""
        services.get_beneficiary(db_session(), beneficiary_id)
        return repository.beneficiary_versions(db_session(), beneficiary_id)


@blp.route("/beneficiaries/<int:beneficiary_id>/death")
class BeneficiaryDeath(MethodView):
    @admits(Role.OFFICER)
    @blp.arguments(DeathSchema)
    @blp.response(200, BeneficiarySchema)
    def post(self, args: dict[str, Any], beneficiary_id: int) -> Any:
        """Record a death (payouts are then held; entitlement stops after the month of death)."""
        with unit_of_work() as session:
            beneficiary = services.record_death(session, current_actor(), beneficiary_id, args["death_date"])
            return _present(session, beneficiary, False)


@blp.route("/beneficiaries/<int:beneficiary_id>/identity-check")
class BeneficiaryIdentityCheck(MethodView):
    @admits(Role.OFFICER)
    @blp.response(200, BeneficiarySchema)
    def post(self, beneficiary_id: int) -> Any:
        """Check the person against the population database (the sandbox outside production)."""
        checker = current_app.extensions.get("payments.identity_checker")
        if checker is None:
            if current_app.extensions["payments"].settings.is_production:
                raise InvalidInput("no identity checker is configured in production")
            checker = SandboxIdentityChecker()
        with unit_of_work() as session:
            beneficiary = services.check_identity(session, current_actor(), cipher(), beneficiary_id, checker)
            return _present(session, beneficiary, False)
