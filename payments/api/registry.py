"""Registry API: beneficiaries, enrolments, payment instruments, holds, imports, reference data.

Officers write; officers, approvers, finance staff and auditors read. Citizen ID, legacy ID,
phone and account number are masked in every response unless `?unmask=true`, which only an
officer (who must check documents) or an auditor (who must check the officers) may ask for;
each unmasked read is written to the audit log.
"""

import io
from datetime import date
from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from payments.api.auth import admits, current_actor, has_role
from payments.api.pagination import decode_cursor, page
from payments.api.schemas.registry import (
    AsOfArgs,
    BeneficiaryCreateSchema,
    BeneficiaryPageSchema,
    BeneficiarySchema,
    BeneficiarySearchArgs,
    BeneficiaryUpdateSchema,
    BeneficiaryVersionSchema,
    CategorySchema,
    DeathSchema,
    EnrolmentAmendSchema,
    EnrolmentCreateSchema,
    EnrolmentSchema,
    HoldArgs,
    HoldsSchema,
    ImportArgs,
    ImportReportSchema,
    InstrumentSchema,
    InstrumentSetSchema,
    ProgrammeSchema,
    StatusChangeSchema,
    UnitArgs,
    UnitSchema,
    UnmaskArgs,
)
from payments.api.session import db_session, unit_of_work
from payments.audit.services import record_event
from payments.clock import utcnow
from payments.errors import Forbidden, InvalidInput
from payments.registry import enrolments, instruments, reference, repository, services, units
from payments.registry.crypto import PiiCipher, mask
from payments.registry.identity import SandboxIdentityChecker
from payments.registry.importer import import_beneficiaries
from payments.registry.model import Beneficiary, PaymentInstrument
from payments.registry.validation import Instrument, Person
from payments.security.roles import Role

blp = Blueprint("registry", __name__, url_prefix="/api/v1", description="Beneficiary registry")
READERS = (Role.OFFICER, Role.APPROVER, Role.FINANCE, Role.AUDITOR)
MAX_IMPORT_BYTES = 200 * 1024 * 1024


def _cipher() -> PiiCipher:
    return PiiCipher.from_settings(current_app.extensions["payments"].settings)


def _today() -> date:
    return utcnow().date()


def _may_unmask(unmask: bool, target_type: str, target_id: int) -> bool:
    """Officer or auditor only; the read itself is audited (without the values)."""
    if not unmask:
        return False
    if not (has_role(Role.OFFICER) or has_role(Role.AUDITOR)):
        raise Forbidden("only an officer or an auditor may see unmasked personal data")
    with unit_of_work() as session:
        record_event(session, current_actor(), "pii.unmasked_read", target_type, target_id)
    return True


def _present(session: Any, beneficiary: Beneficiary, clear: bool) -> dict[str, Any]:
    person = services.current_person(beneficiary, _cipher())
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


def _present_instrument(row: PaymentInstrument, clear: bool) -> dict[str, Any]:
    account = (
        _cipher().open("account", row.account_ct, row.account_key)
        if row.account_ct and row.account_key
        else None
    )
    return {**{c: getattr(row, c) for c in InstrumentSchema._declared_fields if c != "account"},
            "account": account if clear else mask(account)}  # fmt: skip


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
            args["citizen_id_bidx"] = _cipher().index("citizen_id", citizen_id)
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
                session, current_actor(), _cipher(), _person(args), effective_date=args.get("effective_date")
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
        clear = _may_unmask(args["unmask"], "beneficiary", beneficiary_id)
        return _present(db_session(), beneficiary, clear)

    @admits(Role.OFFICER)
    @blp.arguments(BeneficiaryUpdateSchema)
    @blp.response(200, BeneficiarySchema)
    def patch(self, args: dict[str, Any], beneficiary_id: int) -> Any:
        """Change details from `effective_date`; a new version is kept, never an overwrite."""
        effective = args.pop("effective_date", None)
        with unit_of_work() as session:
            beneficiary = services.update_beneficiary(
                session, current_actor(), _cipher(), beneficiary_id, args, effective_date=effective
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
            beneficiary = services.check_identity(
                session, current_actor(), _cipher(), beneficiary_id, checker
            )
            return _present(session, beneficiary, False)


@blp.route("/beneficiaries/<int:beneficiary_id>/enrolments")
class BeneficiaryEnrolments(MethodView):
    @admits(Role.OFFICER)
    @blp.arguments(EnrolmentCreateSchema)
    @blp.response(201, EnrolmentSchema)
    def post(self, args: dict[str, Any], beneficiary_id: int) -> Any:
        """Enrol the person in a programme under a decision (pays from the decision's month)."""
        with unit_of_work() as session:
            terms = reference.terms_from_args(args)
            enrolment = enrolments.enrol(session, current_actor(), beneficiary_id, terms)
            return reference.enrolment_view(session, enrolment, _today(), None)


@blp.route("/enrolments/<int:enrolment_id>")
class EnrolmentItem(MethodView):
    @admits(*READERS)
    @blp.arguments(AsOfArgs, location="query")
    @blp.response(200, EnrolmentSchema)
    def get(self, args: dict[str, Any], enrolment_id: int) -> Any:
        """The enrolment with every version, and the terms in force on `as_of` as known at `known_at`."""
        enrolment = enrolments.get_enrolment(db_session(), enrolment_id)
        return reference.enrolment_view(
            db_session(), enrolment, args.get("as_of") or _today(), args.get("known_at")
        )

    @admits(Role.OFFICER)
    @blp.arguments(EnrolmentAmendSchema)
    @blp.response(200, EnrolmentSchema)
    def patch(self, args: dict[str, Any], enrolment_id: int) -> Any:
        """New terms from `effective_date` (a new version; earlier ones are kept)."""
        effective = args.pop("effective_date")
        with unit_of_work() as session:
            changes = reference.term_changes(args)
            enrolments.amend_enrolment(
                session, current_actor(), enrolment_id, changes, effective_date=effective
            )
            return reference.enrolment_view(
                session, enrolments.get_enrolment(session, enrolment_id), _today(), None
            )


def _status_view(change: str) -> Any:
    @admits(Role.OFFICER)
    @blp.arguments(StatusChangeSchema)
    @blp.response(200, EnrolmentSchema)
    def post(self: Any, args: dict[str, Any], enrolment_id: int) -> Any:
        effective = args.get("effective_date") or _today()
        with unit_of_work() as session:
            enrolments.change_status(
                session, current_actor(), enrolment_id, change, args["reason"], effective_date=effective
            )
            return reference.enrolment_view(
                session, enrolments.get_enrolment(session, enrolment_id), _today(), None
            )

    post.__doc__ = f"Mark the enrolment {change} with a reason (a new version)."
    return post


for _path, _change in (("suspend", "suspended"), ("resume", "resumed"), ("terminate", "terminated")):
    blp.route(f"/enrolments/<int:enrolment_id>/{_path}", endpoint=f"enrolment_{_path}")(
        type(f"Enrolment{_path.title()}", (MethodView,), {"post": _status_view(_change)})
    )


@blp.route("/beneficiaries/<int:beneficiary_id>/instruments")
class BeneficiaryInstruments(MethodView):
    @admits(*READERS)
    @blp.arguments(UnmaskArgs, location="query")
    @blp.response(200, InstrumentSchema(many=True))
    def get(self, args: dict[str, Any], beneficiary_id: int) -> Any:
        """Every payment instrument, oldest first (account masked unless `unmask`)."""
        services.get_beneficiary(db_session(), beneficiary_id)
        clear = _may_unmask(args["unmask"], "beneficiary", beneficiary_id)
        rows = repository.instrument_history(db_session(), beneficiary_id)
        return [_present_instrument(row, clear) for row in rows]

    @admits(Role.OFFICER)
    @blp.arguments(InstrumentSetSchema)
    @blp.response(201, InstrumentSchema)
    def post(self, args: dict[str, Any], beneficiary_id: int) -> Any:
        """Set the instrument used from `effective_from`; the previous one is closed that day."""
        effective = args.pop("effective_from", None) or _today()
        with unit_of_work() as session:
            row = instruments.set_instrument(
                session,
                current_actor(),
                _cipher(),
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
        on = args.get("on") or _today()
        days = current_app.extensions["payments"].settings.instrument_change_hold_days
        holds = instruments.payout_holds(db_session(), beneficiary_id, on, hold_days=days)
        return {"beneficiary_id": beneficiary_id, "on": on, "holds": holds}


@blp.route("/registry/imports")
class RegistryImports(MethodView):
    @admits(Role.OFFICER)
    @blp.arguments(ImportArgs, location="query")
    @blp.response(200, ImportReportSchema)
    @blp.alt_response(
        422, schema=ImportReportSchema, description="Some rows have problems; nothing was written"
    )
    def post(self, args: dict[str, Any]) -> Any:
        """Import a beneficiary list: multipart `file`, or a `text/csv` body (UTF-8, documented header)."""
        text = _uploaded_text()
        with unit_of_work() as session:
            report = import_beneficiaries(
                session, current_actor(), _cipher(), lambda: io.StringIO(text),
                dry_run=args["dry_run"], skip_invalid=args["skip_invalid"],
            )  # fmt: skip
        return report, (422 if report.problems and not report.written else 200)


def _uploaded_text() -> str:
    if (request.content_length or 0) > MAX_IMPORT_BYTES:
        raise InvalidInput(f"the file is larger than {MAX_IMPORT_BYTES // 2**20} MB; use the command line")
    upload = request.files.get("file")
    data = upload.read() if upload is not None else request.get_data()
    if not data:
        raise InvalidInput("send the CSV as a multipart field named 'file' or as a text/csv body")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput("the file is not UTF-8; save it as 'CSV UTF-8'") from exc


@blp.route("/programmes")
class Programmes(MethodView):
    @admits(*READERS, Role.ADMIN)
    @blp.response(200, ProgrammeSchema(many=True))
    def get(self) -> Any:
        """Programmes (BTXH, NCC) with their categories and the parameters each needs."""
        return reference.programmes(db_session())


@blp.route("/categories")
class Categories(MethodView):
    @admits(Role.ADMIN)
    @blp.arguments(CategorySchema)
    @blp.response(201, CategorySchema)
    def post(self, args: dict[str, Any]) -> Any:
        """Add a category to a programme (administrators)."""
        with unit_of_work() as session:
            return reference.add_category(session, current_actor(), args)


@blp.route("/admin-units/<code>")
class AdminUnit(MethodView):
    @admits(*READERS, Role.ADMIN)
    @blp.arguments(UnitArgs, location="query")
    @blp.response(200, UnitSchema)
    def get(self, args: dict[str, Any], code: str) -> Any:
        """The unit that stands for a (possibly merged) province or commune on a date."""
        on = args.get("on") or _today()
        return {"code": code, "current_code": units.current_successor(db_session(), code, on), "on": on}
