"""Programmes and categories (administrators add categories), and the plain views of
enrolments that the API and the command line show."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from payments.audit.services import record_event
from payments.clock import Clock, utcnow
from payments.context import Actor
from payments.errors import Conflict, InvalidInput, NotFound
from payments.registry import repository
from payments.registry.model import Category, Enrolment, Programme
from payments.registry.validation import Terms, first_of_month

PARAMETER_TYPES = ("int", "decimal")


def programmes(session: Session) -> list[dict[str, Any]]:
    categories = list(session.scalars(select(Category).order_by(Category.code)))
    return [
        {"code": p.code, "name_vi": p.name_vi, "name_en": p.name_en,
         "categories": [c for c in categories if c.programme_code == p.code]}
        for p in session.scalars(select(Programme).order_by(Programme.code))
    ]  # fmt: skip


def add_category(
    session: Session, actor: Actor, values: dict[str, Any], *, clock: Clock = utcnow
) -> Category:
    """Add a category. `parameters` is a list of {"name", "type" (int|decimal), "min", "max"}.
    Raises NotFound for an unknown programme, Conflict for a code in use, InvalidInput for a bad spec."""
    if session.get(Programme, values["programme_code"]) is None:
        raise NotFound(f"programme {values['programme_code']!r} does not exist")
    if session.get(Category, values["code"]) is not None:
        raise Conflict(f"category {values['code']} already exists", field="code")
    for spec in values.get("parameters", []):
        if set(spec) != {"name", "type", "min", "max"} or spec["type"] not in PARAMETER_TYPES:
            raise InvalidInput("each parameter is {name, type: int|decimal, min, max}", field="parameters")
    _refuse_unpayable(values)
    category = Category(**{"parameters": [], "unverified": False, **values})
    session.add(category)
    session.flush()
    after = {k: v for k, v in values.items() if k != "parameters"} | {
        "parameters": values.get("parameters", [])
    }
    record_event(session, actor, "category.add", "category", category.code, after=after, clock=clock)
    return category


def _refuse_unpayable(values: dict[str, Any]) -> None:
    """A category must be payable by a rule the entitlements know. One added here is paid as the
    province decides it (Decree 20/2021 lets a province support further groups): standard level
    × the coefficient each enrolment's decision sets, so it must carry that parameter. Only
    BTXH has such a rule; NCC amounts are the decree's annexes, category by category."""
    if values["programme_code"] != "BTXH":
        raise InvalidInput(
            f"{values['programme_code']} categories are paid by amounts fixed in law, category by category: "
            "a new one needs its entitlement rule built before it can be added",
            field="programme",
        )
    if not any(p["name"] == "coefficient" and p["type"] == "decimal" for p in values.get("parameters", [])):
        raise InvalidInput(
            "a BTXH category added here is paid as the province decides: standard level × the coefficient "
            'in each enrolment\'s decision; give it the parameter {"name": "coefficient", "type": "decimal", '
            '"min": …, "max": …}',
            field="parameters",
        )


def month(text: str | None) -> date | None:
    return date.fromisoformat(f"{text}-01") if text else None


def terms_from_args(args: dict[str, Any]) -> Terms:
    decided = args["decision_date"]
    return Terms(
        programme=args["programme"],
        category_code=args["category"],
        decision_number=args["decision_number"],
        decision_date=decided,
        start_month=month(args.get("start_month")) or first_of_month(decided),
        end_month=month(args.get("end_month")),
        parameters=args.get("parameters") or {},
    )


def term_changes(args: dict[str, Any]) -> dict[str, Any]:
    renamed = {"category": "category_code"}
    changes = {renamed.get(k, k): v for k, v in args.items()}
    for key in ("start_month", "end_month"):
        if key in changes:
            changes[key] = month(changes[key])
    return changes


def enrolment_view(
    session: Session, enrolment: Enrolment, on: date, known_at: datetime | None
) -> dict[str, Any]:
    return {
        "id": enrolment.id,
        "beneficiary_id": enrolment.beneficiary_id,
        "programme": enrolment.programme_code,
        "status": enrolment.status,
        "in_force": repository.enrolment_as_known(session, enrolment.id, on, known_at),
        "versions": repository.enrolment_versions(session, enrolment.id),
    }
