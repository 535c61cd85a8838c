"""One error shape for the whole API: RFC 7807 problem+json. HTTP mapping lives only here."""

import logging
from typing import Any

from flask import Flask, Response, g, json, request
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from payments import errors

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

STATUS_BY_ERROR: dict[type[errors.PaymentsError], int] = {
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.RuleViolation: 422,
    errors.InvalidInput: 422,
}


def problem(status: int, title: str, detail: str | None = None, **extra: Any) -> Response:
    body = {
        "type": f"https://payments.example/problems/{extra.pop('code', status)}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
        "request_id": g.get("request_id"),
        **extra,
    }
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="payments"'
    return response


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(errors.PaymentsError, _payments_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(IntegrityError, _integrity_error)
    app.register_error_handler(Exception, _unexpected_error)


def _payments_error(error: errors.PaymentsError) -> Response:
    status = next((s for cls, s in STATUS_BY_ERROR.items() if isinstance(error, cls)), 422)
    return problem(status, error.title, error.detail, code=error.code, **error.extra)


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    extra: dict[str, Any] = {}
    data = getattr(error, "data", None) or {}
    if status == 422 and "messages" in data:
        extra["code"] = "validation_error"
        extra["errors"] = data["messages"]
        detail: str | None = "Some fields are missing or invalid; see `errors` for each one."
    else:
        detail = error.description
    return problem(status, error.name, detail, **extra)


def _integrity_error(error: IntegrityError) -> Response:
    log.warning("integrity error: %s", error.orig.__class__.__name__)
    detail = "The request conflicts with data already recorded (a duplicate or a broken reference)."
    return problem(409, "Conflict with recorded state", detail, code="conflict")


def _unexpected_error(error: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.path)
    return problem(500, "Internal Server Error", "Something went wrong on our side; quote the request id.")
