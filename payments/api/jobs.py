from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from payments.api.auth import admits
from payments.api.pagination import decode_cursor, page
from payments.api.schemas.jobs import JobRunPageSchema, JobRunQueryArgs
from payments.api.session import db_session
from payments.scheduling.runs import recent_runs
from payments.security.roles import Role

blp = Blueprint("jobs", __name__, url_prefix="/api/v1/jobs", description="Scheduled job runs")


@blp.route("/runs")
class JobRuns(MethodView):
    @admits(Role.ADMIN, Role.AUDITOR, Role.OFFICER, Role.FINANCE)
    @blp.arguments(JobRunQueryArgs, location="query")
    @blp.response(200, JobRunPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Job runs, newest first: job, scheduler, start, end, outcome and counts."""
        before = decode_cursor(args.get("cursor")).get("before_id")
        runs = recent_runs(db_session(), job=args.get("job"), before_id=before, limit=args["limit"])
        return page(runs, args["limit"], lambda run: {"before_id": run.id})
