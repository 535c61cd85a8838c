"""Ledger API for auditors and finance staff: read-only views over the books, and verify.

Every route admits auditor, finance and admin; the checkpoint public key is for any role.
Amounts are integer VND, debit positive. Entries are written by the features that own the
events (accrual, dispatch, reconciliation), never through this API.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Response, current_app, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint

from payments.api.auth import admits
from payments.api.pagination import decode_cursor, page
from payments.api.schemas.common import PageArgs
from payments.api.schemas.ledger import (
    AccountPageSchema,
    AccountQueryArgs,
    BalancesArgs,
    BalancesPageSchema,
    CheckpointPageSchema,
    EntrySchema,
    ExportArgs,
    LedgerVerifySchema,
    PublicKeySchema,
    StatementPageSchema,
    TrialBalanceArgs,
    TrialBalanceSchema,
)
from payments.api.session import db_session
from payments.errors import NotFound
from payments.ledger import checkpoints, reports, repository
from payments.ledger.accounts import parse_account_code
from payments.ledger.model import Entry
from payments.ledger.notes import NoteKey
from payments.ledger.verify import verify_ledger
from payments.security.roles import ALL_ROLES, Role

blp = Blueprint("ledger", __name__, url_prefix="/api/v1/ledger", description="The double-entry ledger")
READERS = (Role.AUDITOR, Role.FINANCE, Role.ADMIN)


def _signing() -> tuple[str, Any]:
    settings = current_app.extensions["payments"].settings
    return settings.ledger_origin, settings.load_signing_key()


@blp.route("/accounts")
class Accounts(MethodView):
    @admits(*READERS)
    @blp.arguments(AccountQueryArgs, location="query")
    @blp.response(200, AccountPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Accounts by code, with cached balances."""
        after = str(decode_cursor(args["cursor"]).get("code", ""))
        rows = reports.list_accounts(
            db_session(), account_type=args.get("type"), after_code=after, limit=args["limit"]
        )
        return page(rows, args["limit"], lambda row: {"code": row.code})


@blp.route("/accounts/<code>/statement")
class Statement(MethodView):
    @admits(*READERS)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, StatementPageSchema)
    def get(self, args: dict[str, Any], code: str) -> Any:
        """An account's postings in chain order with the running balance, paged by sequence."""
        parse_account_code(code)
        position = decode_cursor(args["cursor"])
        after = (int(position.get("seq", 0)), int(position.get("line", 0)))
        lines = reports.statement(db_session(), code, after=after, limit=args["limit"])
        body = page(lines, args["limit"], lambda line: {"seq": line.seq, "line": line.line})
        return {"account": code, **body}


@blp.route("/entries/<int:seq>")
class EntryView(MethodView):
    @admits(*READERS)
    @blp.response(200, EntrySchema)
    def get(self, seq: int) -> Any:
        """One entry with its postings, its links and the entry that reversed it, if any."""
        session = db_session()
        entry = repository.get_entry(session, seq)
        if entry is None:
            raise NotFound(f"ledger entry {seq} does not exist")
        reversal = repository.reversal_of(session, seq)
        postings = [
            {"line": p.line, "account_code": p.account_code, "amount_vnd": p.amount_vnd}
            for p in entry.postings
        ]
        columns = {column.key: getattr(entry, column.key) for column in Entry.__table__.columns}
        return {**columns, "postings": postings, "reversed_by_seq": reversal.seq if reversal else None}


@blp.route("/trial-balance")
class TrialBalance(MethodView):
    @admits(*READERS)
    @blp.arguments(TrialBalanceArgs, location="query")
    @blp.response(200, TrialBalanceSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Opening balance, debits, credits and closing balance per account for a 'YYYY-MM' period."""
        after = str(decode_cursor(args["cursor"]).get("code", ""))
        report = reports.trial_balance(
            db_session(), args["period"], account_type=args.get("type"), after_code=after, limit=args["limit"]
        )
        rows = [
            dict(
                zip(
                    ("account", "type", "opening_vnd", "debit_vnd", "credit_vnd", "closing_vnd"),
                    r,
                    strict=True,
                )
            )
            for r in report.rows
        ]
        body = page(rows, args["limit"], lambda row: {"code": row["account"]})
        totals = {"total_debit_vnd": report.total_debit_vnd, "total_credit_vnd": report.total_credit_vnd}
        return {"period": report.period, **totals, **body}


@blp.route("/balances")
class Balances(MethodView):
    @admits(*READERS)
    @blp.arguments(BalancesArgs, location="query")
    @blp.response(200, BalancesPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Balances summed from postings as of an effective date and/or a sequence number."""
        after = str(decode_cursor(args["cursor"]).get("code", ""))
        rows = reports.balances_as_of(
            db_session(),
            as_of_date=args.get("as_of_date"),
            as_of_seq=args.get("as_of_seq"),
            account_type=args.get("type"),
            after_code=after,
            limit=args["limit"],
        )
        items = [{"account": code, "balance_vnd": int(total)} for code, total in rows]
        return page(items, args["limit"], lambda item: {"code": item["account"]})


@blp.route("/export.csv")
class Export(MethodView):
    @admits(*READERS)
    @blp.arguments(ExportArgs, location="query")
    @blp.doc(responses={"200": {"description": "postings as CSV", "content": {"text/csv": {}}}})
    def get(self, args: dict[str, Any]) -> Response:
        """Every posting with its entry, in chain order, streamed as CSV (one header line)."""
        rows = reports.export_rows(
            db_session(),
            from_seq=args["from_seq"],
            to_seq=args.get("to_seq"),
            account_code=args.get("account"),
        )
        headers = {"Content-Disposition": "attachment; filename=ledger-postings.csv"}
        return Response(stream_with_context(_csv(rows)), mimetype="text/csv", headers=headers)


@blp.route("/checkpoints")
class Checkpoints(MethodView):
    @admits(*READERS)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, CheckpointPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Signed checkpoints of the chain head, oldest first."""
        after = int(decode_cursor(args["cursor"]).get("id", 0))
        rows = repository.checkpoints(db_session(), after_id=after, limit=args["limit"])
        return page(rows, args["limit"], lambda row: {"id": row.id})


@blp.route("/public-key")
class PublicKey(MethodView):
    @admits(*ALL_ROLES)
    @blp.response(200, PublicKeySchema)
    def get(self) -> Any:
        """The Ed25519 key that signs checkpoints, as a signed-note verifier key and as PEM."""
        return checkpoints.public_key_document(*_signing())


@blp.route("/verify")
class Verify(MethodView):
    @admits(*READERS)
    @blp.response(200, LedgerVerifySchema)
    def get(self) -> Any:
        """Recompute every hash, balance and checkpoint; name the first entry that does not fit."""
        origin, key = _signing()
        return verify_ledger(db_session(), [NoteKey(origin, key.public_key())])


def _csv(rows: Iterable[tuple[Any, ...]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(reports.EXPORT_HEADER)
    for number, row in enumerate(rows, 1):
        writer.writerow(row)
        if number % 1000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
