"""Registry queries: select() only, no rules."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from payments.registry.model import (
    Bank,
    Beneficiary,
    BeneficiaryVersion,
    Category,
    Commune,
    DeathRecipient,
    Enrolment,
    EnrolmentVersion,
    PaymentInstrument,
    WalletProvider,
)
from payments.registry.names import fold_name
from payments.registry.validation import Reference


def load_reference(session: Session) -> Reference:
    """Everything the validation rules need, in one small read (a few hundred rows)."""
    communes = {c.code: (c.valid_to, c.successor_code) for c in session.scalars(select(Commune))}
    categories = {c.code: (c.programme_code, c.parameters) for c in session.scalars(select(Category))}
    banks = frozenset(session.scalars(select(Bank.bin).where(Bank.active)))
    wallets = frozenset(session.scalars(select(WalletProvider.code).where(WalletProvider.active)))
    return Reference(communes, categories, banks, wallets)


def beneficiary_by_citizen_index(session: Session, citizen_id_bidx: str) -> Beneficiary | None:
    return session.scalar(select(Beneficiary).where(Beneficiary.citizen_id_bidx == citizen_id_bidx))


def search_beneficiaries(
    session: Session,
    *,
    name: str | None = None,
    citizen_id_bidx: str | None = None,
    commune_code: str | None = None,
    programme: str | None = None,
    category: str | None = None,
    status: str | None = None,
    after_id: int = 0,
    limit: int = 50,
) -> list[Beneficiary]:
    """Beneficiaries matching every filter, by id. `name` matches anywhere in the folded name
    (no diacritics, any case); programme, category and status match any of their enrolments."""
    query = select(Beneficiary).where(Beneficiary.id > after_id)
    if name:
        pattern = "%" + fold_name(name).replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
        query = query.where(Beneficiary.search_name.like(pattern, escape="\\"))
    if citizen_id_bidx:
        query = query.where(Beneficiary.citizen_id_bidx == citizen_id_bidx)
    if commune_code:
        query = query.where(Beneficiary.commune_code == commune_code)
    enrolment_filters = [
        column == value
        for column, value in (
            (Enrolment.programme_code, programme),
            (Enrolment.category_code, category),
            (Enrolment.status, status),
        )
        if value
    ]
    if enrolment_filters:
        query = query.where(exists().where(Enrolment.beneficiary_id == Beneficiary.id, *enrolment_filters))
    return list(session.scalars(query.order_by(Beneficiary.id).limit(limit)))


def enrolments_of(session: Session, beneficiary_id: int) -> list[Enrolment]:
    return list(
        session.scalars(
            select(Enrolment).where(Enrolment.beneficiary_id == beneficiary_id).order_by(Enrolment.id)
        )
    )


def enrolment_versions(session: Session, enrolment_id: int) -> list[EnrolmentVersion]:
    query = select(EnrolmentVersion).where(EnrolmentVersion.enrolment_id == enrolment_id)
    return list(session.scalars(query.order_by(EnrolmentVersion.version)))


def current_enrolment_version(session: Session, enrolment: Enrolment) -> EnrolmentVersion:
    query = select(EnrolmentVersion).where(
        EnrolmentVersion.enrolment_id == enrolment.id, EnrolmentVersion.version == enrolment.current_version
    )
    return session.scalars(query).one()


def enrolment_as_known(
    session: Session, enrolment_id: int, on: date, known_at: datetime | None = None
) -> EnrolmentVersion | None:
    """The terms in force on `on`, as recorded by `known_at` (default: everything recorded).

    Versions never go back in effective date, so the latest qualifying version is the answer."""
    query = select(EnrolmentVersion).where(
        EnrolmentVersion.enrolment_id == enrolment_id, EnrolmentVersion.effective_date <= on
    )
    if known_at is not None:
        query = query.where(EnrolmentVersion.recorded_at <= known_at)
    return session.scalar(query.order_by(EnrolmentVersion.version.desc()).limit(1))


def beneficiary_as_known(
    session: Session, beneficiary_id: int, on: date, known_at: datetime | None = None
) -> BeneficiaryVersion | None:
    """What was recorded about a person for date `on`, as known at `known_at`."""
    query = select(BeneficiaryVersion).where(
        BeneficiaryVersion.beneficiary_id == beneficiary_id, BeneficiaryVersion.effective_date <= on
    )
    if known_at is not None:
        query = query.where(BeneficiaryVersion.recorded_at <= known_at)
    return session.scalar(query.order_by(BeneficiaryVersion.version.desc()).limit(1))


def beneficiary_versions(session: Session, beneficiary_id: int) -> list[BeneficiaryVersion]:
    query = select(BeneficiaryVersion).where(BeneficiaryVersion.beneficiary_id == beneficiary_id)
    return list(session.scalars(query.order_by(BeneficiaryVersion.version)))


def open_instrument(session: Session, beneficiary_id: int) -> PaymentInstrument | None:
    """The latest instrument, the one with no end date (at most one: a unique index)."""
    query = select(PaymentInstrument).where(
        PaymentInstrument.beneficiary_id == beneficiary_id, PaymentInstrument.effective_to.is_(None)
    )
    return session.scalar(query)


def instrument_history(session: Session, beneficiary_id: int) -> list[PaymentInstrument]:
    query = select(PaymentInstrument).where(PaymentInstrument.beneficiary_id == beneficiary_id)
    return list(session.scalars(query.order_by(PaymentInstrument.effective_from, PaymentInstrument.id)))


def instruments_on(session: Session, beneficiary_ids: list[int], on: date) -> dict[int, PaymentInstrument]:
    """The instrument in force on `on` for each beneficiary that has one."""
    query = select(PaymentInstrument).where(
        PaymentInstrument.beneficiary_id.in_(beneficiary_ids),
        PaymentInstrument.effective_from <= on,
        or_(PaymentInstrument.effective_to.is_(None), PaymentInstrument.effective_to > on),
    )
    return {inst.beneficiary_id: inst for inst in session.scalars(query)}


def previous_instrument_ends(session: Session, beneficiary_ids: list[int], on: date) -> dict[int, date]:
    """For each beneficiary, the latest date on or before `on` at which an instrument was replaced."""
    query = (
        select(PaymentInstrument.beneficiary_id, func.max(PaymentInstrument.effective_to))
        .where(PaymentInstrument.beneficiary_id.in_(beneficiary_ids), PaymentInstrument.effective_to <= on)
        .group_by(PaymentInstrument.beneficiary_id)
    )
    return {person: ended for person, ended in session.execute(query) if ended is not None}


def sharers_of_accounts(session: Session, account_indexes: list[str], on: date) -> dict[str, set[int]]:
    """For each account blind index, the beneficiaries whose instrument in force on `on` uses it."""
    query = select(PaymentInstrument.account_bidx, PaymentInstrument.beneficiary_id).where(
        PaymentInstrument.account_bidx.in_(account_indexes),
        PaymentInstrument.effective_from <= on,
        or_(PaymentInstrument.effective_to.is_(None), PaymentInstrument.effective_to > on),
    )
    sharers: dict[str, set[int]] = {}
    for bidx, beneficiary_id in session.execute(query):
        if bidx is not None:  # (the IN filter already keeps out instruments without an account)
            sharers.setdefault(bidx, set()).add(beneficiary_id)
    return sharers


def recipient_history(session: Session, beneficiary_id: int) -> list[DeathRecipient]:
    """Every recipient recorded for a deceased person, oldest first (the last is in force)."""
    return recipient_histories(session, [beneficiary_id]).get(beneficiary_id, [])


def recipient_histories(session: Session, beneficiary_ids: list[int]) -> dict[int, list[DeathRecipient]]:
    """{beneficiary: their recipients, oldest first} for those of these people who have one.
    Each correction supersedes the row before it, so the last row is the one in force."""
    query = (
        select(DeathRecipient)
        .where(DeathRecipient.beneficiary_id.in_(beneficiary_ids))
        .order_by(DeathRecipient.beneficiary_id, DeathRecipient.id)
    )
    found: dict[int, list[DeathRecipient]] = {}
    for row in session.scalars(query):
        found.setdefault(row.beneficiary_id, []).append(row)
    return found


def recipients_using_accounts(
    session: Session, account_indexes: list[str]
) -> dict[str, list[DeathRecipient]]:
    """For each account blind index, the recipients in force (superseded by none) paid into it."""
    later = aliased(DeathRecipient)
    query = select(DeathRecipient).where(
        DeathRecipient.account_bidx.in_(account_indexes),
        ~exists().where(later.supersedes_id == DeathRecipient.id),
    )
    found: dict[str, list[DeathRecipient]] = {}
    for row in session.scalars(query):
        found.setdefault(row.account_bidx or "", []).append(row)
    return found


def beneficiaries_by_citizen_indexes(session: Session, citizen_id_indexes: list[str]) -> dict[str, int]:
    """{citizen ID blind index: beneficiary id} for the indexes a beneficiary is registered under."""
    query = select(Beneficiary.citizen_id_bidx, Beneficiary.id).where(
        Beneficiary.citizen_id_bidx.in_(citizen_id_indexes)
    )
    return dict(session.execute(query).all())


def enrolment_ids_page(session: Session, *, programme: str | None, after_id: int, limit: int) -> list[int]:
    query = select(Enrolment.id).where(Enrolment.id > after_id)
    if programme:
        query = query.where(Enrolment.programme_code == programme)
    return list(session.scalars(query.order_by(Enrolment.id).limit(limit)))


def count_people(session: Session) -> int:
    """How many beneficiaries have at least one enrolment (for progress bars)."""
    return session.scalar(select(func.count(func.distinct(Enrolment.beneficiary_id)))) or 0


def people_page(session: Session, *, after_id: int, limit: int) -> dict[int, list[int]]:
    """Up to `limit` beneficiaries with enrolments, after `after_id`: {beneficiary: [enrolment ids]}."""
    people = _people_after(session, after_id, limit)
    if not people:
        return {}
    rows = session.execute(
        select(Enrolment.beneficiary_id, Enrolment.id)
        .where(Enrolment.beneficiary_id.between(people[0], people[-1]))
        .order_by(Enrolment.beneficiary_id, Enrolment.id)
    )
    page: dict[int, list[int]] = {}
    for beneficiary_id, enrolment_id in rows:
        page.setdefault(beneficiary_id, []).append(enrolment_id)
    return page


def _people_after(session: Session, after_id: int, limit: int) -> list[int]:
    """The first `limit` beneficiary ids with enrolments after `after_id`, walking the index.

    Not `SELECT DISTINCT ... LIMIT`: PostgreSQL, with statistics from before a large import,
    grouped every enrolment after `after_id` for each page (3 s of a 100,000-person accrual).
    """
    people: list[int] = []
    while len(people) < limit:
        ids = session.scalars(
            select(Enrolment.beneficiary_id)
            .where(Enrolment.beneficiary_id > (people[-1] if people else after_id))
            .order_by(Enrolment.beneficiary_id)
            .limit(limit)
        ).all()
        if not ids:
            break
        people += [b for b, before in zip(ids, [None, *ids], strict=False) if b != before]
    return people[:limit]


def enrolment_rows_as_known(
    session: Session, enrolment_ids: list[int], on: date, known_at: datetime | None
) -> list[Row[Any]]:
    """These enrolments with their terms in force on `on` (those not yet started are left out):
    one row of plain columns each, in the order of EnrolmentFacts' fields (all but the current
    commune), so that facts are built from a row positionally; no ORM objects, so a page of a
    thousand reads fast."""
    latest = select(EnrolmentVersion.enrolment_id, func.max(EnrolmentVersion.version).label("version")).where(
        EnrolmentVersion.enrolment_id.in_(enrolment_ids), EnrolmentVersion.effective_date <= on
    )
    if known_at is not None:
        latest = latest.where(EnrolmentVersion.recorded_at <= known_at)
    latest_sq = latest.group_by(EnrolmentVersion.enrolment_id).subquery()
    v = EnrolmentVersion
    query = (
        select(
            Enrolment.id.label("enrolment_id"), Enrolment.beneficiary_id,
            Enrolment.programme_code.label("programme"), v.category_code, v.parameters, v.decision_number,
            v.decision_date, v.start_month, v.end_month, v.status, v.status_reason, v.version,
            v.effective_date, Beneficiary.date_of_birth, Beneficiary.sex, Beneficiary.death_date,
            Beneficiary.commune_code,
        )
        .join(latest_sq, latest_sq.c.enrolment_id == Enrolment.id)
        .join(v, and_(v.enrolment_id == Enrolment.id, v.version == latest_sq.c.version))
        .join(Beneficiary, Beneficiary.id == Enrolment.beneficiary_id)
        .order_by(Enrolment.id)
    )  # fmt: skip
    return list(session.execute(query))
