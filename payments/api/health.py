from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import text

from payments import __version__
from payments.api.session import db_session

blp = Blueprint("health", __name__, description="Liveness and database reachability")


class HealthSchema(Schema):
    status = fields.String()
    database = fields.String()
    version = fields.String()


@blp.route("/health")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema, description="The database cannot be reached")
    def get(self) -> Any:
        """Public: is the service up, and can it reach its database?"""
        try:
            db_session().execute(text("SELECT 1"))
        except Exception:
            return {"status": "degraded", "database": "unreachable", "version": __version__}, 503
        return {"status": "ok", "database": "ok", "version": __version__}
