"""A beneficiary's story, oldest first: enrolment decisions, holds, and for each payout its
batch, submission, approvals, dispatch and confirmation, each with the why. Read-only.

The entitlement month by month comes from `explain_entitlements`; this module adds what
happened to the money afterwards. Personal data leaves here masked.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from payments.disbursements import repository as batches
from payments.disbursements.model import Batch, BatchHold, Payout
from payments.entitlements.explain import explain_entitlements
from payments.entitlements.period import Period
from payments.entitlements.rateset import RateSet
from payments.ledger.model import Entry
from payments.ledger.repository import entries_for_payout
from payments.reconcile.model import ReconImport, ReconLine, ReconMatch
from payments.registry.crypto import PiiCipher, mask
from payments.registry.model import Beneficiary, Enrolment, EnrolmentVersion
from payments.registry.services import current_person

MONTHS_SHOWN = 24


@dataclass(frozen=True)
class Event:
    """One thing that happened. `kind` picks the sentence; `facts` fill it in."""

    when: datetime
    kind: str
    facts: dict[str, Any] = field(default_factory=dict)
    amount_vnd: int | None = None


def masked_person(beneficiary: Beneficiary, cipher: PiiCipher) -> dict[str, Any]:
    """Name, birth date and commune as recorded; IDs and phone masked as the API shows them."""
    person = current_person(beneficiary, cipher)
    return {
        "id": beneficiary.id,
        "full_name": person.full_name,
        "date_of_birth": person.date_of_birth,
        "sex": person.sex,
        "commune_code": person.commune_code,
        "citizen_id": mask(person.citizen_id),
        "legacy_id": mask(person.legacy_id),
        "phone": mask(person.phone),
        "death_date": beneficiary.death_date,
    }


def entitlement(session: Session, beneficiary_id: int, rates: RateSet, through: Period) -> dict[str, Any]:
    """`explain_entitlements` from the first enrolment month (at most two years back) to `through`."""
    starts = session.scalars(
        select(EnrolmentVersion.start_month)
        .join(Enrolment, Enrolment.id == EnrolmentVersion.enrolment_id)
        .where(Enrolment.beneficiary_id == beneficiary_id)
    ).all()
    earliest = max(_months_back(through, MONTHS_SHOWN - 1), Period.of(min(starts))) if starts else through
    return explain_entitlements(session, beneficiary_id, min(earliest, through), through, rates)


def events(session: Session, beneficiary_id: int) -> list[Event]:
    found = _decisions(session, beneficiary_id) + _holds(session, beneficiary_id)
    for payout, batch in _payouts(session, beneficiary_id):
        found += _payout_events(session, payout, batch)
    return sorted(found, key=lambda event: event.when)


def _months_back(period: Period, months: int) -> Period:
    for _ in range(months):
        period = period.previous()
    return period


def _decisions(session: Session, beneficiary_id: int) -> list[Event]:
    rows = session.execute(
        select(EnrolmentVersion, Enrolment.programme_code)
        .join(Enrolment, Enrolment.id == EnrolmentVersion.enrolment_id)
        .where(Enrolment.beneficiary_id == beneficiary_id)
        .order_by(EnrolmentVersion.id)
    ).all()
    return [Event(_at(v.decision_date), "decision", _decision_facts(v, programme)) for v, programme in rows]


def _decision_facts(version: EnrolmentVersion, programme: str) -> dict[str, Any]:
    return {
        "programme": programme,
        "category": version.category_code,
        "decision": version.decision_number,
        "change": version.change,
        "status": version.status,
        "start": version.start_month,
        "end": version.end_month,
        "reason": version.status_reason,
        "recorded_by": version.recorded_by,
    }


def _holds(session: Session, beneficiary_id: int) -> list[Event]:
    rows = session.scalars(
        select(BatchHold).where(BatchHold.beneficiary_id == beneficiary_id).order_by(BatchHold.id)
    )
    return [
        Event(h.created_at, "held", {"period": h.period, "reasons": h.reasons}, h.amount_vnd) for h in rows
    ]


def _payouts(session: Session, beneficiary_id: int) -> list[tuple[Payout, Batch]]:
    query = (
        select(Payout, Batch)
        .join(Batch, Batch.id == Payout.batch_id)
        .where(Payout.beneficiary_id == beneficiary_id)
        .order_by(Payout.id)
    )
    return [(payout, batch) for payout, batch in session.execute(query)]


def _payout_events(session: Session, payout: Payout, batch: Batch) -> list[Event]:
    facts = {
        "batch_id": batch.id,
        "period": batch.period,
        "payout_key": payout.payout_key,
        "channel": payout.channel,
        "instrument": payout.instrument_masked,
    }
    found = [Event(batch.created_at, "in_batch", {**facts, "by": batch.created_by}, payout.amount_vnd)]
    if batch.submitted_at is not None:
        found.append(Event(batch.submitted_at, "submitted", {**facts, "by": batch.submitted_by}))
    for decision in batches.approvals_of(session, batch.id):
        said = {"by": decision.approver, "comment": decision.comment, "manifest_hash": decision.manifest_hash}
        found.append(Event(decision.created_at, decision.decision, {**facts, **said}))
    for entry in entries_for_payout(session, payout.payout_key):
        found.append(
            Event(entry.recorded_at, entry.kind, {**facts, **_entry_facts(entry, payout)}, payout.amount_vnd)
        )
    found += _confirmations(session, payout, facts)
    if payout.state in ("in_doubt", "queued", "sending", "accepted"):
        found.append(Event(payout.updated_at, "now_" + payout.state, facts, payout.amount_vnd))
    return found


def _confirmations(session: Session, payout: Payout, facts: dict[str, Any]) -> list[Event]:
    """Statement and status-report lines reconciliation matched to this payout, with the pass
    that matched them (1 by payout key, 2 by another reference, 3 by payment block, 4 confirmed
    by a person from a suggestion)."""
    rows = session.execute(
        select(ReconMatch, ReconLine, ReconImport)
        .join(ReconLine, ReconLine.id == ReconMatch.line_id)
        .join(ReconImport, ReconImport.id == ReconLine.import_id)
        .where(ReconMatch.payout_id == payout.id)
        .order_by(ReconMatch.id)
    ).all()
    return [
        Event(match.created_at, "confirmation", {**facts, **_matched(match, line, source)})
        for match, line, source in rows
    ]


def _matched(match: ReconMatch, line: ReconLine, source: ReconImport) -> dict[str, Any]:
    return {
        "source": source.kind,
        "file": source.file_name,
        "line": line.line_no or line.position,
        "pass": match.match_pass,
        "outcome": match.outcome,
        "booked": line.booking_date,
    }


def _entry_facts(entry: Entry, payout: Payout) -> dict[str, Any]:
    """What a ledger entry about the payout says: its number, and for a return, why."""
    returned = entry.kind == "payout_returned"
    return {
        "seq": entry.seq,
        "reason": (entry.memo or {}).get("reason"),
        "provider_reference": payout.provider_reference,
        "reason_text": payout.reason_text if returned else None,
    }


def _at(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)
