"""A period: its batches and the people held out of them, with reasons; and building the
period's batches (officers), as the API's POST /batches does."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from payments.api.session import db_session, unit_of_work
from payments.console import guard, names, period
from payments.console.blueprint import bp
from payments.console.formatting import count, is_period, vnd
from payments.console.labels import READERS
from payments.disbursements.building import BuildResult, build_batches
from payments.disbursements.routing import routing_for
from payments.errors import PaymentsError
from payments.registry.crypto import PiiCipher
from payments.security.roles import Role

PAGE = 100


@bp.get("/periods/<period_code>")
@guard.requires(*READERS)
def period_page(period_code: str) -> str:
    if not is_period(period_code):
        raise NotFound()
    session = db_session()
    after = request.args.get("after", default=0, type=int)
    held = period.held_page(session, period_code, after_id=after, limit=PAGE)
    context = {
        "period": period_code,
        "batches": period.batches_of(session, period_code),
        "held": held,
        "people_held": period.people_held(session, period_code),
        "communes": names.commune_names(session, (person.commune_code for person in held)),
        "more": held[-1].hold.id if len(held) == PAGE else None,
    }
    return render_template("console/period.html", **context)


@bp.post("/batches/build")
@guard.requires(Role.OFFICER)
def build() -> Response:
    """Build draft batches for the period from what the ledger owes; safe to repeat (people
    already in an open batch are left out). The period page then shows batches and holds."""
    chosen = request.form.get("period", "").strip()
    if not is_period(chosen):
        flash(_("Give the period as a month, YYYY-MM (for example 2025-07)."), "error")
        return redirect(url_for("console.batches"))
    runtime = current_app.extensions["payments"]
    settings = runtime.settings
    try:
        with unit_of_work() as session:
            result = build_batches(
                session, chosen, routing_for(settings, runtime.adapters), PiiCipher.from_settings(settings),
                actor=guard.console_actor(), hold_days=settings.instrument_change_hold_days,
            )  # fmt: skip
            summary = _summary(chosen, result)
    except PaymentsError as error:
        flash(error.detail, "error")
        return redirect(url_for("console.batches"))
    flash(summary, "ok")
    return redirect(url_for("console.period_page", period_code=chosen))


def _summary(chosen: str, result: BuildResult) -> str:
    held = len(result.holds)
    if not result.batches:
        return _(
            "No new batch for %(period)s: nobody owed is left outside a batch; %(held)s people held.",
            period=chosen, held=count(held),
        )  # fmt: skip
    return _(
        "Built %(batches)s draft batches for %(period)s: %(payouts)s payouts, %(total)s in all; "
        "%(held)s people held for an officer.",
        batches=count(len(result.batches)), period=chosen,
        payouts=count(sum(batch.payout_count for batch in result.batches)),
        total=vnd(sum(batch.total_vnd for batch in result.batches)), held=count(held),
    )  # fmt: skip
