"""Disbursement queries. No rules here."""

from collections.abc import Iterable
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from payments.adapters.vocabulary import ReasonCode
from payments.disbursements.model import Batch, BatchHold, Payout
from payments.disbursements.states import DISPUTED, NOT_OWED, BatchState, PayoutState
from payments.exception_queue.model import ReconException
from payments.exception_queue.raising import CONTRADICTED_ANSWER, STATUS_CONFLICT
from payments.ledger import accounts
from payments.ledger.model import Account, Balance, Entry
from payments.registry.model import Beneficiary, Enrolment, EnrolmentVersion

OPEN_BATCH_STATES = (
    BatchState.DRAFT,
    BatchState.PENDING_APPROVAL,
    BatchState.APPROVED,
    BatchState.DISPATCHING,
)


def payable_people(session: Session, *, after_account: int, limit: int) -> list[tuple[int, int, int]]:
    """(account id, beneficiary id, đồng owed) for people the ledger owes money, a page at a
    time in account order: each page walks the accounts' primary key on from the last one, so a
    build reads every payable account once (ordering by the owner, a cast with no index, sorted
    them all again for every page)."""
    query = (
        select(Account.id, Account.owner_ref, -Balance.balance_vnd)
        .join(Balance, Balance.account_id == Account.id)
        .where(Account.id > after_account, Account.type == "payable", Balance.balance_vnd < 0)
        .order_by(Account.id)
        .limit(limit)
    )
    return [(account, int(owner), int(owed)) for account, owner, owed in session.execute(query)]


def people_in_open_batches(session: Session, beneficiary_ids: Iterable[int]) -> set[int]:
    query = (
        select(Payout.beneficiary_id)
        .join(Batch, Batch.id == Payout.batch_id)
        .where(Payout.beneficiary_id.in_(list(beneficiary_ids)), Batch.state.in_(OPEN_BATCH_STATES))
    )
    return set(session.scalars(query))


def primary_enrolments(session: Session, beneficiary_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """{beneficiary: (programme, category)} of each person's first enrolment not terminated."""
    query = (
        select(Enrolment.beneficiary_id, Enrolment.programme_code, Enrolment.category_code)
        .where(Enrolment.beneficiary_id.in_(list(beneficiary_ids)))
        .order_by(Enrolment.beneficiary_id, (Enrolment.status == "terminated"), Enrolment.id)
    )
    found: dict[int, tuple[str, str]] = {}
    for beneficiary_id, programme, category in session.execute(query):
        found.setdefault(beneficiary_id, (programme, category))
    return found


def people(session: Session, beneficiary_ids: Iterable[int]) -> dict[int, Beneficiary]:
    return {
        b.id: b for b in session.scalars(select(Beneficiary).where(Beneficiary.id.in_(list(beneficiary_ids))))
    }


def suspended_people(session: Session, beneficiary_ids: Iterable[int]) -> set[int]:
    """People with a suspended enrolment and none active: nothing is paid until an officer acts."""
    statuses: dict[int, set[str]] = {}
    query = select(Enrolment.beneficiary_id, Enrolment.status).where(
        Enrolment.beneficiary_id.in_(list(beneficiary_ids))
    )
    for beneficiary_id, status in session.execute(query):
        statuses.setdefault(beneficiary_id, set()).add(status)
    return {b for b, found in statuses.items() if "suspended" in found and "active" not in found}


def terminated_for(session: Session, beneficiary_ids: Iterable[int], reason_prefix: str) -> set[int]:
    """People with no enrolment active or suspended and one terminated for a reason starting
    with `reason_prefix` (the rule that terminated it writes that prefix)."""
    current = (EnrolmentVersion.enrolment_id == Enrolment.id) & (
        EnrolmentVersion.version == Enrolment.current_version
    )
    query = (
        select(Enrolment.beneficiary_id, Enrolment.status, EnrolmentVersion.status_reason)
        .join(EnrolmentVersion, current)
        .where(Enrolment.beneficiary_id.in_(list(beneficiary_ids)))
    )
    open_, terminated = set(), set()
    for beneficiary_id, status, reason in session.execute(query):
        if status in ("active", "suspended"):
            open_.add(beneficiary_id)
        elif status == "terminated" and (reason or "").startswith(reason_prefix):
            terminated.add(beneficiary_id)
    return terminated - open_


def failures_said_paid(session: Session, beneficiary_ids: Iterable[int]) -> dict[int, list[tuple[int, str]]]:
    """{person: [(exception id, payout key)]} for their failed payouts (rejected, returned: the
    money back in their payable) that the provider says were paid after all, while finance has
    not resolved the exception saying so: a dispatch answer (CONTRADICTED_ANSWER) or a callback
    or statement line (STATUS_CONFLICT) that said settled or accepted."""
    failed = (PayoutState.REJECTED.value, PayoutState.RETURNED.value)
    query = (
        select(
            Payout.beneficiary_id,
            ReconException.id,
            Payout.payout_key,
            ReconException.kind,
            ReconException.data,
        )
        .join(ReconException, ReconException.payout_id == Payout.id)
        .where(
            Payout.beneficiary_id.in_(list(beneficiary_ids)),
            Payout.state.in_(failed),
            ReconException.kind.in_((CONTRADICTED_ANSWER, STATUS_CONFLICT)),
            ReconException.state != "resolved",
        )
        .order_by(ReconException.id)
    )
    found: dict[int, list[tuple[int, str]]] = {}
    for beneficiary_id, exception_id, key, kind, data in session.execute(query):
        facts = data or {}
        said = facts.get("status") if kind == STATUS_CONFLICT else (facts.get("answer") or {}).get("status")
        if said in (PayoutState.SETTLED, PayoutState.ACCEPTED):
            found.setdefault(beneficiary_id, []).append((exception_id, key))
    return found


def earlier_payouts(
    session: Session, beneficiary_ids: Iterable[int], key_prefix: str
) -> dict[int, list[Payout]]:
    """Payouts already made to these people whose keys start with `key_prefix` (their period)."""
    query = (
        select(Payout)
        .where(Payout.beneficiary_id.in_(list(beneficiary_ids)), Payout.payout_key.like(f"{key_prefix}%"))
        .order_by(Payout.id)
    )
    found: dict[int, list[Payout]] = {}
    for payout in session.scalars(query):
        found.setdefault(payout.beneficiary_id, []).append(payout)
    return found


def failed_on_instrument(session: Session, beneficiary_ids: Iterable[int]) -> dict[tuple[int, int], int]:
    """{(beneficiary, instrument): number of rejected or returned payouts}. Cash left uncollected
    (NOAS) is not the instrument failing: DOMAIN rule 5 deals with it (see `unclaimed`); nor is a
    payout refused at dispatch (NOT_OWED: nothing owed any more; DISPUTED: an earlier payout in
    question): it was never sent."""
    query = (
        select(Payout.beneficiary_id, Payout.instrument_id, func.count())
        .where(
            Payout.beneficiary_id.in_(list(beneficiary_ids)),
            Payout.state.in_((PayoutState.REJECTED, PayoutState.RETURNED)),
            or_(
                Payout.reason_code.is_(None),
                Payout.reason_code.not_in((ReasonCode.NOAS.value, NOT_OWED, DISPUTED)),
            ),
        )
        .group_by(Payout.beneficiary_id, Payout.instrument_id)
    )
    return {(b, i): n for b, i, n in session.execute(query)}


def failed_payouts(session: Session, batch_id: int, *, after_id: int, limit: int) -> list[Payout]:
    """A batch's payouts that definitely failed (rejected or returned), by id, a page at a time."""
    query = (
        select(Payout)
        .where(
            Payout.batch_id == batch_id,
            Payout.state.in_((PayoutState.REJECTED, PayoutState.RETURNED)),
            Payout.id > after_id,
        )
        .order_by(Payout.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def followed_up(session: Session, failed: Iterable[Payout]) -> set[int]:
    """Ids of the `failed` payouts that a later payout already follows up, in a batch that was
    not cancelled or rejected (a follow-up that never went out leaves the failure open)."""
    failed = list(failed)
    query = (
        select(Payout.original_payout_id)
        .join(Batch, Batch.id == Payout.batch_id)
        .where(
            Payout.beneficiary_id.in_(list({p.beneficiary_id for p in failed})),  # the indexed column
            Payout.original_payout_id.in_([p.id for p in failed]),
            Batch.state.not_in((BatchState.CANCELLED, BatchState.REJECTED)),
        )
    )
    return set(session.scalars(query))


def follow_ups_of(session: Session, batch_id: int) -> list[Batch]:
    """The batches built to retry this batch's failed payouts, oldest first."""
    return list(session.scalars(select(Batch).where(Batch.parent_batch_id == batch_id).order_by(Batch.id)))


def owed_to(session: Session, beneficiary_ids: Iterable[int]) -> dict[int, int]:
    """{beneficiary: đồng owed} for those of these people the ledger owes money."""
    codes = {accounts.payable(b): b for b in beneficiary_ids}
    query = (
        select(Account.code, -Balance.balance_vnd)
        .join(Balance, Balance.account_id == Account.id)
        .where(Account.code.in_(list(codes)), Balance.balance_vnd < 0)
    )
    return {codes[code]: int(owed) for code, owed in session.execute(query)}


def entry_dates(session: Session, idempotency_keys: Iterable[str]) -> dict[str, date]:
    """{key: effective date} of the ledger entries already recorded under these keys."""
    query = select(Entry.idempotency_key, Entry.effective_date).where(
        Entry.idempotency_key.in_(list(idempotency_keys))
    )
    return dict(session.execute(query).all())


def payouts_in(
    session: Session, batch_id: int, states: Iterable[str] | None = None, *, limit: int | None = None
) -> list[Payout]:
    query = select(Payout).where(Payout.batch_id == batch_id)
    if states is not None:
        query = query.where(Payout.state.in_(list(states)))
    return list(session.scalars(query.order_by(Payout.id).limit(limit)))


def payouts_by_key(session: Session, batch_id: int, keys: Iterable[str]) -> dict[str, Payout]:
    query = select(Payout).where(Payout.batch_id == batch_id, Payout.payout_key.in_(list(keys)))
    return {payout.payout_key: payout for payout in session.scalars(query)}


def payout_keys_in(session: Session, batch_id: int, states: Iterable[str]) -> list[str]:
    query = (
        select(Payout.payout_key)
        .where(Payout.batch_id == batch_id, Payout.state.in_(list(states)))
        .order_by(Payout.id)
    )
    return list(session.scalars(query))


def has_payouts_in(session: Session, batch_id: int, states: Iterable[str]) -> bool:
    query = select(Payout.id).where(Payout.batch_id == batch_id, Payout.state.in_(list(states))).limit(1)
    return session.scalar(query) is not None


def holds_for(session: Session, period: str) -> list[BatchHold]:
    return list(session.scalars(select(BatchHold).where(BatchHold.period == period).order_by(BatchHold.id)))


def totals_by(session: Session, batch_id: int, column: str) -> dict[str, dict[str, int]]:
    """{value of `column`: {"payouts": n, "amount_vnd": sum}} for one batch (commune, category, channel)."""
    field = getattr(Payout, column)
    query = (
        select(field, func.count(), func.sum(Payout.amount_vnd))
        .where(Payout.batch_id == batch_id)
        .group_by(field)
        .order_by(field)
    )
    return {
        value: {"payouts": n, "amount_vnd": int(total or 0)} for value, n, total in session.execute(query)
    }


def batches_page(
    session: Session, *, period: str | None, state: str | None, before_id: int | None, limit: int
):
    query = select(Batch).order_by(Batch.id.desc()).limit(limit)
    if period:
        query = query.where(Batch.period == period)
    if state:
        query = query.where(Batch.state == state)
    if before_id is not None:
        query = query.where(Batch.id < before_id)
    return list(session.scalars(query))


def approvals_of(session: Session, batch_id: int):
    from payments.disbursements.model import Approval

    return list(session.scalars(select(Approval).where(Approval.batch_id == batch_id).order_by(Approval.id)))
