"""Live callbacks: verified by the adapter (signature, timestamp window, nonce), then
reconciled at once like a one-line status report."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from payments.adapters.base import PayoutAdapter
from payments.clock import Clock, utcnow
from payments.context import Actor
from payments.reconcile import repository
from payments.reconcile.chunk import Tally
from payments.reconcile.ingest import stage_callback
from payments.reconcile.processing import reconcile_lines

CALLBACK_ACTOR = Actor(username="callback", role="system")


def receive_callback(
    session: Session,
    name: str,
    adapter: PayoutAdapter,
    headers: Mapping[str, str],
    body: bytes,
    *,
    actor: Actor = CALLBACK_ACTOR,
    clock: Clock = utcnow,
) -> dict[str, Any]:
    """Verify, stage and reconcile one callback in the caller's transaction.

    Raises CallbackRejected (forged, stale, replayed, malformed: nothing is written). A
    redelivery of an event already received answers `duplicate` and changes nothing."""
    event = adapter.parse_callback(headers, body)
    row = stage_callback(session, adapter=name, event=event, body_size=len(body), actor=actor, clock=clock)
    if row is None:
        return {"received": True, "duplicate": True, "outcomes": {}, "exceptions": {}}
    tally = Tally()
    lines = repository.lines_after(session, row.id, 0, 10)
    reconcile_lines(session, lines, adapter=name, import_id=row.id, actor=actor, clock=clock, tally=tally)
    row.processed_through, row.state = lines[-1][1].position, "done"
    return {
        "received": True,
        "duplicate": False,
        "outcomes": dict(tally.outcomes),
        "exceptions": dict(tally.exceptions),
    }
