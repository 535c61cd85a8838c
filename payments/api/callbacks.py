"""Provider callbacks: `POST /callbacks/<adapter>`.

Outside /api/v1 on purpose: providers hold no API token. Each call is authenticated by the
adapter itself (signature, timestamp window, nonce); a forged, stale or replayed callback is
refused with 401, a malformed one with 400, both as problem+json, and nothing is written.
"""

from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from payments.adapters.errors import CallbackRejected
from payments.adapters.vocabulary import Capability
from payments.api.errors import problem
from payments.api.schemas.reconciliation import CallbackAnswerSchema
from payments.api.session import unit_of_work
from payments.errors import NotFound
from payments.reconcile.callbacks import receive_callback

blp = Blueprint("callbacks", __name__, url_prefix="/callbacks", description="Provider callbacks")
# A callback is a few hundred bytes; anyone may post here before the signature is checked, so
# a larger body is refused unread rather than held in memory (the app-wide limit is for files).
MAX_CALLBACK_BYTES = 64 * 1024


@blp.route("/<adapter>")
class Callback(MethodView):
    @blp.response(200, CallbackAnswerSchema)
    @blp.doc(security=[])
    def post(self, adapter: str) -> Any:
        """A provider's signed notification about one payout; redeliveries answer `duplicate`."""
        instance = current_app.extensions["payments"].adapters.get(adapter)
        if instance is None or Capability.CALLBACKS not in instance.capabilities:
            raise NotFound(f"no adapter {adapter!r} takes callbacks here", adapter=adapter)
        if (request.content_length or 0) > MAX_CALLBACK_BYTES:
            detail = (
                f"a callback is at most {MAX_CALLBACK_BYTES} bytes; this one says {request.content_length}"
            )
            return problem(413, "Callback too large", detail, code="callback_too_large")
        request.max_content_length = MAX_CALLBACK_BYTES  # a body sent without a length is read no further
        try:
            with unit_of_work() as session:
                return receive_callback(session, adapter, instance, dict(request.headers), request.get_data())
        except CallbackRejected as exc:
            return _refused(str(exc))


def _refused(detail: str) -> Response:
    if "malformed" in detail:
        return problem(400, "Malformed callback", detail, code="callback_malformed")
    return problem(401, "Callback refused", detail, code="callback_rejected")
