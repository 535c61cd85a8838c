"""The audit log with filters, and a check of its hash chain on demand."""

from datetime import date, datetime, time, timedelta
from typing import Any

from flask import render_template, request

from payments.api.session import db_session
from payments.audit.repository import search_events
from payments.audit.services import verify_chain
from payments.console import guard
from payments.console.blueprint import bp
from payments.console.formatting import VIETNAM
from payments.console.labels import AUDIT

PAGE = 50
FILTERS = ("actor", "action", "target_type", "target_id")


@bp.get("/audit")
@guard.requires(*AUDIT)
def audit() -> str:
    chosen = {name: request.args.get(name, "").strip()[:80] for name in FILTERS}
    since, until = _day(request.args.get("since")), _day(request.args.get("until"))
    after = request.args.get("after", default=0, type=int)
    events = search_events(
        db_session(),
        **{name: value or None for name, value in chosen.items()},
        since=_start_of(since),
        until=_start_of(until + timedelta(days=1)) if until else None,
        after_seq=after,
        limit=PAGE,
    )
    more = events[-1].seq if len(events) == PAGE else None
    context: dict[str, Any] = {"events": events, "filters": chosen, "since": since, "until": until}
    return render_template("console/audit.html", more=more, **context)


@bp.get("/audit/verify")
@guard.requires(*AUDIT)
def audit_verify() -> str:
    return render_template("console/audit_verify.html", result=verify_chain(db_session()))


def _day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _start_of(day: date | None) -> datetime | None:
    """Midnight in Vietnam: the days people mean when they filter by date."""
    return datetime.combine(day, time(0, 0), tzinfo=VIETNAM) if day else None
