"""Registry API, reference data: programmes and their categories, and the administrative units
(provinces and communes, some merged into others) and which unit stands for a code on a date."""

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from payments.api.auth import admits, current_actor
from payments.api.registry.access import READERS, today
from payments.api.schemas.registry import CategorySchema, ProgrammeSchema, UnitArgs, UnitSchema
from payments.api.session import db_session, unit_of_work
from payments.registry import reference, units
from payments.security.roles import Role

blp = Blueprint("reference", __name__)


@blp.route("/programmes")
class Programmes(MethodView):
    @admits(*READERS, Role.ADMIN)
    @blp.response(200, ProgrammeSchema(many=True))
    def get(self) -> Any:
        """Programmes (BTXH, NCC) with their categories and the parameters each needs."""
        return reference.programmes(db_session())


@blp.route("/categories")
class Categories(MethodView):
    @admits(Role.ADMIN)
    @blp.arguments(CategorySchema)
    @blp.response(201, CategorySchema)
    def post(self, args: dict[str, Any]) -> Any:
        """Add a category to a programme (administrators)."""
        with unit_of_work() as session:
            return reference.add_category(session, current_actor(), args)


@blp.route("/admin-units/<code>")
class AdminUnit(MethodView):
    @admits(*READERS, Role.ADMIN)
    @blp.arguments(UnitArgs, location="query")
    @blp.response(200, UnitSchema)
    def get(self, args: dict[str, Any], code: str) -> Any:
        """The unit that stands for a (possibly merged) province or commune on a date."""
        on = args.get("on") or today()
        return {"code": code, "current_code": units.current_successor(db_session(), code, on), "on": on}
