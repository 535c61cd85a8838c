"""The ledger for auditors and finance staff: statement of an account, the entries of a payout,
a verification run on demand, and the signed checkpoints."""

from typing import Any

from flask import current_app, render_template, request

from payments.api.session import db_session
from payments.console import guard
from payments.console.blueprint import bp
from payments.console.labels import BOOKS
from payments.errors import InvalidInput, NotFound
from payments.ledger import reports, repository
from payments.ledger.accounts import parse_account_code
from payments.ledger.notes import NoteKey
from payments.ledger.verify import verify_ledger

PAGE = 50


@bp.get("/ledger")
@guard.requires(*BOOKS)
def ledger() -> str:
    session = db_session()
    account = request.args.get("account", "").strip()[:120]
    payout_key = request.args.get("payout_key", "").strip()[:35]
    context: dict[str, Any] = {"account": account, "payout_key": payout_key, "error": None}
    try:
        if account:
            context |= _statement(session, account)
        if payout_key:
            context["entries"] = repository.entries_for_payout(session, payout_key)
    except (InvalidInput, NotFound) as error:
        context["error"] = error.detail
    size, head_hash = repository.head(session)
    latest = repository.latest_checkpoint(session)
    return render_template("console/ledger.html", size=size, head_hash=head_hash, latest=latest, **context)


@bp.get("/ledger/verify")
@guard.requires(*BOOKS)
def ledger_verify() -> str:
    settings = current_app.extensions["payments"].settings
    key = NoteKey(settings.ledger_origin, settings.load_signing_key().public_key())
    result = verify_ledger(db_session(), [key])
    return render_template("console/ledger_verify.html", result=result)


@bp.get("/ledger/checkpoints")
@guard.requires(*BOOKS)
def checkpoints() -> str:
    after = request.args.get("after", default=0, type=int)
    rows = repository.checkpoints(db_session(), after_id=after, limit=PAGE)
    more = rows[-1].id if len(rows) == PAGE else None
    return render_template("console/checkpoints.html", checkpoints=rows, more=more)


def _statement(session: Any, account: str) -> dict[str, Any]:
    parse_account_code(account)
    after = (request.args.get("after_seq", 0, type=int), request.args.get("after_line", 0, type=int))
    lines = reports.statement(session, account, after=after, limit=PAGE)
    more = (lines[-1].seq, lines[-1].line) if len(lines) == PAGE else None
    return {"lines": lines, "more": more}
