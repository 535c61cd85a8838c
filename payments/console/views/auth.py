"""Sign in, sign out, and the language switch."""

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from payments.api.session import unit_of_work
from payments.console import guard
from payments.console.blueprint import bp
from payments.console.i18n import LANGUAGES
from payments.security import login as logins
from payments.security.model import User
from payments.security.roles import Role


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    next_page = guard.safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("console/login.html", next_page=next_page)
    username = request.form.get("username", "").strip()[:64]
    password = request.form.get("password", "")[:1024]
    with unit_of_work() as session_:
        result = logins.log_in(session_, username, password, request_id=g.get("request_id"))
        user = session_.get(User, result.user_id) if result.ok else None
        if user is not None:
            guard.start_session(user)
    if user is not None:
        return redirect(next_page)
    # One answer for every refusal (unknown name, wrong password, locked, inactive): saying
    # "locked until" only for real accounts would tell which usernames exist. The page says
    # that five failures lock an account for fifteen minutes.
    error = _("Wrong username or password.")
    page = render_template("console/login.html", next_page=next_page, error=error, username=username)
    return page, 401


@bp.post("/logout")
@guard.requires(*Role)
def logout() -> Response:
    with unit_of_work() as session_:
        logins.log_out(session_, guard.console_actor())
    guard.end_session()
    flash(_("You have signed out."), "ok")
    return redirect(url_for("console.login"))


@bp.post("/language")
def language() -> Response:
    chosen = request.form.get("lang", "")
    if chosen in LANGUAGES:
        session["lang"] = chosen
    return redirect(guard.safe_next(request.form.get("next")))
