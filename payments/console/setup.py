"""Attach the console to the app: Babel, the views, the checks, the error pages, the filters."""

import logging
from typing import Any

from flask import Flask, g, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from payments.console import formatting, guard, labels
from payments.console.blueprint import bp
from payments.console.i18n import LANGUAGES, current_language, init_babel
from payments.errors import NotFound, PaymentsError

log = logging.getLogger(__name__)

# What every page sends: no framing, no inline script or style, nothing cached (personal data).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def init_console(app: Flask) -> None:
    """Register the console blueprint (mounted at /console) and what it needs on `app`."""
    from payments.console import views  # noqa: F401 - importing adds the routes to `bp`

    init_babel(app)
    if "console" not in app.blueprints:
        app.register_blueprint(bp)
    app.jinja_env.filters.update(
        vnd=formatting.vnd, count=formatting.count, when=formatting.local_time, day=formatting.local_date,
        short=formatting.short_hash, instrument=formatting.instrument,
    )  # fmt: skip
    # Globals, not context: macros imported without context still see them.
    app.jinja_env.globals.update(
        csrf_token=guard.csrf_token, has_role=guard.has_role, label=labels.label, pass_label=labels.pass_label
    )


@bp.before_request
def _check() -> Response | None:
    return guard.check_request()


@bp.after_request
def _secure(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


@bp.app_context_processor
def _page_context() -> dict[str, Any]:
    return {
        "user": g.get("console_user"),
        "language": current_language(),
        "languages": LANGUAGES,
        "nav": labels.navigation,
    }


@bp.errorhandler(guard.ConsoleForbidden)
def _forbidden(error: guard.ConsoleForbidden) -> tuple[str, int]:
    message = _("This page needs one of the roles: %(roles)s", roles=str(error))
    return _error_page(403, _("Not allowed"), message)


@bp.errorhandler(NotFound)
def _not_found(error: NotFound) -> tuple[str, int]:
    return _error_page(404, _("Not found"), error.detail)


@bp.errorhandler(PaymentsError)
def _refused(error: PaymentsError) -> tuple[str, int]:
    return _error_page(422, _("Request refused"), error.detail)


@bp.errorhandler(HTTPException)
def _http(error: HTTPException) -> tuple[str, int]:
    if error.code == 400 and error.description == "csrf":
        message = _(
            "The form had expired or did not come from this site. Go back, reload the page and try again."
        )
        return _error_page(400, _("Form refused"), message)
    return _error_page(error.code or 500, error.name, "")


@bp.errorhandler(Exception)
def _unexpected(error: Exception) -> tuple[str, int]:
    log.exception("unhandled error on %s %s", request.method, request.path)
    return _error_page(
        500, _("Something went wrong"), _("Quote this request id: %(id)s", id=g.get("request_id"))
    )


def _error_page(status: int, title: str, message: str) -> tuple[str, int]:
    context = {"status": status, "title": title, "message": message, "path": request.path}
    return render_template("console/error.html", **context), status
