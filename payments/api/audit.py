from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from payments.api.auth import admits
from payments.api.pagination import decode_cursor, page
from payments.api.schemas.audit import AuditPageSchema, AuditQueryArgs, AuditVerifySchema
from payments.api.session import db_session
from payments.audit.repository import search_events
from payments.audit.services import verify_chain
from payments.security.roles import Role

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="The audit log")


@blp.route("/events")
class AuditEvents(MethodView):
    @admits(Role.AUDITOR, Role.ADMIN)
    @blp.arguments(AuditQueryArgs, location="query")
    @blp.response(200, AuditPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Audit events, oldest first, filtered by actor, action, target and time."""
        limit = args.pop("limit")
        after = int(decode_cursor(args.pop("cursor")).get("seq", 0))
        events = search_events(db_session(), after_seq=after, limit=limit, **args)
        return page(events, limit, lambda event: {"seq": event.seq})


@blp.route("/verify")
class AuditVerify(MethodView):
    @admits(Role.AUDITOR, Role.ADMIN)
    @blp.response(200, AuditVerifySchema)
    def get(self) -> Any:
        """Recompute the audit chain and report the first event that does not fit."""
        return verify_chain(db_session())
