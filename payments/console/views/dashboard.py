"""The dashboard: the period's money at each stage, and what waits for the signed-in user."""

from flask import render_template, request

from payments.api.session import db_session
from payments.clock import utcnow
from payments.console import figures, guard
from payments.console.blueprint import bp
from payments.console.formatting import current_period, is_period
from payments.security.roles import Role


def chosen_period() -> str:
    asked = request.args.get("period", "")
    return asked if is_period(asked) else current_period(utcnow())


@bp.get("/")
@guard.requires(*Role)
def dashboard() -> str:
    period = chosen_period()
    session = db_session()
    context = {
        "period": period,
        "figures": figures.period_figures(session, period),
        "exceptions": figures.open_exceptions(session),
        "recent": figures.recent_periods(session),
    }
    return render_template("console/dashboard.html", **context)
