"""Finding a beneficiary, and their timeline: entitlement, approvals, payouts, confirmations."""

from typing import Any

from flask import current_app, render_template, request

from payments.api.session import db_session
from payments.clock import utcnow
from payments.console import guard, names, timeline
from payments.console.blueprint import bp
from payments.console.formatting import current_period
from payments.console.i18n import current_language
from payments.console.labels import READERS
from payments.entitlements.period import Period
from payments.entitlements.rates import load_rate_set
from payments.registry import repository, services
from payments.registry.crypto import PiiCipher
from payments.security.roles import Role

PAGE = 50
# As in the API: entitlement explanations are for officers, approvers and auditors.
EXPLAINERS = (Role.OFFICER, Role.APPROVER, Role.AUDITOR)


def _cipher() -> PiiCipher:
    return PiiCipher.from_settings(current_app.extensions["payments"].settings)


@bp.route("/beneficiaries", methods=["GET", "POST"])
@guard.requires(*READERS)
def beneficiaries() -> str:
    """Search by name (GET), or by citizen ID (POST: the number stays out of URLs and logs,
    and is never written back into the page)."""
    name = request.args.get("name", "").strip()[:200]
    citizen_id = request.form.get("citizen_id", "").strip()[:12] if request.method == "POST" else ""
    searched = bool(name or citizen_id)
    found: list[Any] = []
    if searched:
        index = _cipher().index("citizen_id", citizen_id) if citizen_id else None
        rows = repository.search_beneficiaries(
            db_session(), name=None if citizen_id else name, citizen_id_bidx=index, limit=PAGE
        )
        found = [timeline.masked_person(row, _cipher()) for row in rows]
    communes = names.commune_names(db_session(), (p["commune_code"] for p in found))
    context = {"people": found, "name": name, "searched": searched, "communes": communes}
    return render_template("console/beneficiaries.html", **context)


@bp.get("/beneficiaries/<int:beneficiary_id>")
@guard.requires(*READERS)
def beneficiary(beneficiary_id: int) -> str:
    session = db_session()
    person = timeline.masked_person(services.get_beneficiary(session, beneficiary_id), _cipher())
    explained = None
    if guard.has_role(*EXPLAINERS):
        settings = current_app.extensions["payments"].settings
        rates = load_rate_set(session, settings.province_code)
        through = Period.parse(current_period(utcnow()))
        explained = timeline.entitlement(session, beneficiary_id, rates, through)
    context = {
        "person": person,
        "enrolments": repository.enrolments_of(session, beneficiary_id),
        "explained": explained,
        "events": timeline.events(session, beneficiary_id),
        "communes": names.commune_names(session, [person["commune_code"]]),
        "categories": _category_names(session, beneficiary_id),
    }
    return render_template("console/beneficiary.html", **context)


def _category_names(session: Any, beneficiary_id: int) -> dict[str, str]:
    codes = [e.category_code for e in repository.enrolments_of(session, beneficiary_id)]
    return names.category_names(session, codes, current_language())
