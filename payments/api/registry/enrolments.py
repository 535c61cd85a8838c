"""Registry API, enrolments: enrol a person under a decision, amend the terms, suspend, resume
or terminate. Every change is a new version; reads show the terms in force on a date as known
at a time."""

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from payments.api.auth import admits, current_actor
from payments.api.registry.access import READERS, today
from payments.api.schemas.registry import (
    AsOfArgs,
    EnrolmentAmendSchema,
    EnrolmentCreateSchema,
    EnrolmentSchema,
    StatusChangeSchema,
)
from payments.api.session import db_session, unit_of_work
from payments.registry import enrolments, reference
from payments.security.roles import Role

blp = Blueprint("enrolments", __name__)


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
            return reference.enrolment_view(session, enrolment, today(), None)


@blp.route("/enrolments/<int:enrolment_id>")
class EnrolmentItem(MethodView):
    @admits(*READERS)
    @blp.arguments(AsOfArgs, location="query")
    @blp.response(200, EnrolmentSchema)
    def get(self, args: dict[str, Any], enrolment_id: int) -> Any:
        """The enrolment with every version, and the terms in force on `as_of` as known at `known_at`."""
        enrolment = enrolments.get_enrolment(db_session(), enrolment_id)
        return reference.enrolment_view(
            db_session(), enrolment, args.get("as_of") or today(), args.get("known_at")
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
                session, enrolments.get_enrolment(session, enrolment_id), today(), None
            )


def _status_view(change: str) -> Any:
    @admits(Role.OFFICER)
    @blp.arguments(StatusChangeSchema)
    @blp.response(200, EnrolmentSchema)
    def post(self: Any, args: dict[str, Any], enrolment_id: int) -> Any:
        effective = args.get("effective_date") or today()
        with unit_of_work() as session:
            enrolments.change_status(
                session, current_actor(), enrolment_id, change, args["reason"], effective_date=effective
            )
            return reference.enrolment_view(
                session, enrolments.get_enrolment(session, enrolment_id), today(), None
            )

    post.__doc__ = f"Mark the enrolment {change} with a reason (a new version)."
    return post


for _path, _change in (("suspend", "suspended"), ("resume", "resumed"), ("terminate", "terminated")):
    blp.route(f"/enrolments/<int:enrolment_id>/{_path}", endpoint=f"enrolment_{_path}")(
        type(f"Enrolment{_path.title()}", (MethodView,), {"post": _status_view(_change)})
    )
