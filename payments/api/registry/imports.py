"""Registry API, imports: a beneficiary list uploaded as CSV, checked and written in one go
(or not at all). The work is payments.registry.importer's; this reads the upload."""

import io
from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from payments.api.auth import admits, current_actor
from payments.api.registry.access import cipher
from payments.api.schemas.registry import ImportArgs, ImportReportSchema
from payments.api.session import unit_of_work
from payments.errors import InvalidInput
from payments.registry.importer import import_beneficiaries
from payments.security.roles import Role

blp = Blueprint("imports", __name__)
MAX_IMPORT_BYTES = 200 * 1024 * 1024


@blp.route("/registry/imports")
class RegistryImports(MethodView):
    @admits(Role.OFFICER)
    @blp.arguments(ImportArgs, location="query")
    @blp.response(200, ImportReportSchema)
    @blp.alt_response(
        422, schema=ImportReportSchema, description="Some rows have problems; nothing was written"
    )
    def post(self, args: dict[str, Any]) -> Any:
        """Import a beneficiary list: multipart `file`, or a `text/csv` body (UTF-8, documented header)."""
        text = _uploaded_text()
        with unit_of_work() as session:
            report = import_beneficiaries(
                session, current_actor(), cipher(), lambda: io.StringIO(text),
                dry_run=args["dry_run"], skip_invalid=args["skip_invalid"],
            )  # fmt: skip
        return report, (422 if report.problems and not report.written else 200)


def _uploaded_text() -> str:
    if (request.content_length or 0) > MAX_IMPORT_BYTES:
        raise InvalidInput(f"the file is larger than {MAX_IMPORT_BYTES // 2**20} MB; use the command line")
    upload = request.files.get("file")
    data = upload.read() if upload is not None else request.get_data()
    if not data:
        raise InvalidInput("send the CSV as a multipart field named 'file' or as a text/csv body")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput("the file is not UTF-8; save it as 'CSV UTF-8'") from exc
