"""Beneficiaries: register, update (a new version each time), record a death, store an
identity check. Every change is audited with masked personal data only.

Services take the session, the acting user, the PII cipher and a clock; they flush but never
commit (the caller's unit of work does). Enrolments are in enrolments.py, payment instruments
and payout holds in instruments.py.
"""

from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from payments.audit.services import record_event
from payments.clock import Clock, local_date, utcnow
from payments.context import Actor
from payments.errors import Conflict, InvalidInput, NotFound, RuleViolation
from payments.registry import repository
from payments.registry.crypto import PiiCipher, mask
from payments.registry.identity import IdentityChecker
from payments.registry.model import Beneficiary, BeneficiaryVersion
from payments.registry.units import is_move, successor_map
from payments.registry.validation import Person, Problem, person_problems

PII_FIELDS = ("citizen_id", "legacy_id", "phone")


def refuse(problems: list[Problem]) -> None:
    """Raise InvalidInput listing every problem (column and message), if there are any."""
    if problems:
        detail = "; ".join(f"{p.column}: {p.message}" for p in problems)
        raise InvalidInput(detail, problems=[{"column": p.column, "message": p.message} for p in problems])


def get_beneficiary(session: Session, beneficiary_id: int) -> Beneficiary:
    beneficiary = session.get(Beneficiary, beneficiary_id)
    if beneficiary is None:
        raise NotFound(f"beneficiary {beneficiary_id} does not exist")
    return beneficiary


def register_beneficiary(
    session: Session,
    actor: Actor,
    cipher: PiiCipher,
    person: Person,
    *,
    effective_date: date | None = None,
    clock: Clock = utcnow,
) -> Beneficiary:
    """Record a new person. Raises InvalidInput (every problem, by field) or Conflict when the
    citizen ID is already registered (found through its blind index, never decrypted)."""
    now = clock()
    person = person.normalised()
    refuse(person_problems(person, repository.load_reference(session), local_date(now)))
    if repository.beneficiary_by_citizen_index(session, cipher.index("citizen_id", person.citizen_id)):
        raise Conflict("a beneficiary with this citizen ID is already registered", field="citizen_id")
    beneficiary = Beneficiary(version=1, created_at=now, updated_at=now)
    _apply(beneficiary, cipher, person)
    session.add(beneficiary)
    _flush_unique(session)
    _append_version(
        session, beneficiary, actor, "registered", effective=effective_date or local_date(now), clock=clock
    )
    record_event(
        session,
        actor,
        "beneficiary.register",
        "beneficiary",
        beneficiary.id,
        after=masked(person),
        clock=clock,
    )
    return beneficiary


def update_beneficiary(
    session: Session,
    actor: Actor,
    cipher: PiiCipher,
    beneficiary_id: int,
    changes: dict[str, Any],
    *,
    effective_date: date | None = None,
    clock: Clock = utcnow,
) -> Beneficiary:
    """Change some of a person's details from `effective_date` (default today): the row is
    updated and a new version appended. Unknown fields raise InvalidInput; changing nothing
    adds no version (idempotent)."""
    beneficiary = get_beneficiary(session, beneficiary_id)
    unknown = set(changes) - set(Person.__dataclass_fields__)
    refuse([Problem(name, "this field cannot be changed") for name in sorted(unknown)])
    before = current_person(beneficiary, cipher)
    after = replace(before, **changes).normalised()
    if after == before:
        return beneficiary
    now = clock()
    refuse(person_problems(after, repository.load_reference(session), local_date(now)))
    _refuse_going_back(session, beneficiary, effective_date or local_date(now))
    _apply(beneficiary, cipher, after)
    beneficiary.version += 1
    beneficiary.updated_at = now
    _flush_unique(session)
    _append_version(
        session, beneficiary, actor, "updated", effective=effective_date or local_date(now), clock=clock
    )
    diff = [name for name in Person.__dataclass_fields__ if getattr(before, name) != getattr(after, name)]
    record_event(
        session, actor, "beneficiary.update", "beneficiary", beneficiary.id,
        before=masked(before, diff), after=masked(after, diff), clock=clock,
    )  # fmt: skip
    moved_on = effective_date or local_date(now)
    if is_move(successor_map(session, moved_on), before.commune_code, after.commune_code):
        from payments.registry.enrolments import close_for_move  # here: enrolments imports this module

        close_for_move(
            session, actor, beneficiary.id, from_commune=before.commune_code, to_commune=after.commune_code,
            moved_on=moved_on, clock=clock,
        )  # fmt: skip
    return beneficiary


def record_death(
    session: Session, actor: Actor, beneficiary_id: int, death_date: date, *, clock: Clock = utcnow
) -> Beneficiary:
    """Record a death (a new version). Raises RuleViolation for a date in the future or before
    birth, Conflict when a different death date is already recorded; the same date is a no-op."""
    beneficiary = get_beneficiary(session, beneficiary_id)
    now = clock()
    if beneficiary.death_date == death_date:
        return beneficiary
    if beneficiary.death_date is not None:
        raise Conflict(f"a death on {beneficiary.death_date} is already recorded", field="death_date")
    if death_date > local_date(now) or death_date < beneficiary.date_of_birth:
        raise RuleViolation(
            "the date of death must be between the date of birth and today", field="death_date"
        )
    beneficiary.death_date = death_date
    beneficiary.version += 1
    beneficiary.updated_at = now
    _append_version(session, beneficiary, actor, "death_recorded", effective=death_date, clock=clock)
    record_event(
        session, actor, "beneficiary.record_death", "beneficiary", beneficiary.id,
        after={"death_date": death_date.isoformat()}, clock=clock,
    )  # fmt: skip
    return beneficiary


def check_identity(
    session: Session,
    actor: Actor,
    cipher: PiiCipher,
    beneficiary_id: int,
    checker: IdentityChecker,
    *,
    clock: Clock = utcnow,
) -> Beneficiary:
    """Ask the national population database (through `checker`) whether this person exists as
    recorded; store the result and its time on the beneficiary. Raises whatever the checker
    raises when it cannot answer (nothing is stored then)."""
    beneficiary = get_beneficiary(session, beneficiary_id)
    person = current_person(beneficiary, cipher)
    result = checker.check(person.citizen_id, person.full_name, person.date_of_birth)
    beneficiary.identity_status = result.status
    beneficiary.identity_checked_at = clock()
    session.flush()
    after = {"identity_status": result.status, "date_of_death": _iso(result.date_of_death)}
    record_event(
        session, actor, "beneficiary.identity_check", "beneficiary", beneficiary.id, after=after, clock=clock
    )
    return beneficiary


def current_person(beneficiary: Beneficiary, cipher: PiiCipher) -> Person:
    """The person's details in clear (decrypts; keep the result out of logs and audit)."""
    return Person(
        citizen_id=cipher.open("citizen_id", beneficiary.citizen_id_ct, beneficiary.citizen_id_key),
        full_name=beneficiary.full_name,
        date_of_birth=beneficiary.date_of_birth,
        sex=beneficiary.sex,
        commune_code=beneficiary.commune_code,
        phone=_open(cipher, "phone", beneficiary.phone_ct, beneficiary.phone_key),
        legacy_id=_open(cipher, "legacy_id", beneficiary.legacy_id_ct, beneficiary.legacy_id_key),
    )


def masked(person: Person, only: list[str] | None = None) -> dict[str, Any]:
    """The person with citizen ID, legacy ID and phone masked: safe for the audit log."""
    values = {
        "citizen_id": mask(person.citizen_id),
        "legacy_id": mask(person.legacy_id),
        "phone": mask(person.phone),
        "full_name": person.full_name,
        "date_of_birth": person.date_of_birth.isoformat(),
        "sex": person.sex,
        "commune_code": person.commune_code,
    }
    return {key: value for key, value in values.items() if only is None or key in only}


def _apply(beneficiary: Beneficiary, cipher: PiiCipher, person: Person) -> None:
    for field in PII_FIELDS:
        value = getattr(person, field)
        sealed = cipher.seal(field, value) if value else None
        setattr(beneficiary, f"{field}_ct", sealed.ciphertext if sealed else None)
        setattr(beneficiary, f"{field}_key", sealed.key_id if sealed else None)
        setattr(beneficiary, f"{field}_bidx", cipher.index(field, value) if value else None)
    beneficiary.full_name = person.full_name
    beneficiary.search_name = person.search_name
    beneficiary.date_of_birth = person.date_of_birth
    beneficiary.sex = person.sex
    beneficiary.commune_code = person.commune_code


def _append_version(
    session: Session, beneficiary: Beneficiary, actor: Actor, change: str, *, effective: date, clock: Clock
) -> None:
    session.add(
        BeneficiaryVersion(
            beneficiary_id=beneficiary.id,
            version=beneficiary.version,
            effective_date=effective,
            recorded_at=clock(),
            recorded_by=actor.username,
            change=change,
            full_name=beneficiary.full_name,
            date_of_birth=beneficiary.date_of_birth,
            sex=beneficiary.sex,
            commune_code=beneficiary.commune_code,
            phone_bidx=beneficiary.phone_bidx,
            legacy_id_bidx=beneficiary.legacy_id_bidx,
            death_date=beneficiary.death_date,
        )
    )
    session.flush()


def _refuse_going_back(session: Session, beneficiary: Beneficiary, effective: date) -> None:
    latest = repository.beneficiary_versions(session, beneficiary.id)[-1]
    if effective < latest.effective_date:
        raise RuleViolation(
            f"a change cannot take effect before the latest one ({latest.effective_date})",
            field="effective_date",
        )


def _flush_unique(session: Session) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "a beneficiary with this citizen ID is already registered", field="citizen_id"
        ) from exc


def _open(cipher: PiiCipher, field: str, ciphertext: bytes | None, key_id: str | None) -> str | None:
    return cipher.open(field, ciphertext, key_id) if ciphertext is not None and key_id else None


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
