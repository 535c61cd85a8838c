"""Who receives what is owed to a beneficiary who has died, and into which instrument.

A death stops the allowance from the month after it (DOMAIN rule 2) and the accrual posts the
funeral grant, both to the dead person's payable. Their own account can no longer be paid, so
an officer records the recipient named by the decision on the funeral support: the family
member or organisation that arranged the funeral (Decree 20/2021 art. 11). Batches then pay
that recipient what is owed (see `instruments.payees_on`) instead of holding the person.

A recipient is recorded only for a person whose death is recorded. Records are history: a
correction is a new record that supersedes the one in force, never an edit. The recipient's
citizen ID (a person; an organisation has none) and account are sealed and blind-indexed
under the same field names as a beneficiary's and an instrument's; their instrument is checked
by the very rules an instrument is (`validation.instrument_problems`).
"""

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from payments.audit.services import record_event
from payments.clock import Clock, utcnow
from payments.context import Actor
from payments.errors import Conflict, RuleViolation
from payments.registry import repository
from payments.registry.citizen_id import citizen_id_problems
from payments.registry.crypto import PiiCipher, mask
from payments.registry.instruments import masked_instrument, same_instrument, sealed_instrument
from payments.registry.model import RECIPIENT_TYPES, Beneficiary, DeathRecipient
from payments.registry.names import MAX_NAME_LENGTH, name_problem, normalise_name
from payments.registry.services import get_beneficiary, refuse
from payments.registry.validation import Instrument, Problem, Reference, instrument_problems

MAX_RELATIONSHIP_LENGTH = 60
MAX_REFERENCE_LENGTH = 200


@dataclass(frozen=True)
class Recipient:
    """A recipient as an officer records it. `relationship` to the dead person ("con",
    "vợ/chồng", or what an organisation is); `decision_reference` names the document that
    names them. `citizen_id` is a person's and only a person's."""

    recipient_type: str  # person | organisation
    full_name: str
    relationship: str
    decision_reference: str
    instrument: Instrument
    citizen_id: str | None = None

    def normalised(self) -> "Recipient":
        return replace(
            self,
            full_name=normalise_name(self.full_name),
            relationship=" ".join(self.relationship.split()),
            decision_reference=" ".join(self.decision_reference.split()),
            instrument=self.instrument.normalised(),
            citizen_id=self.citizen_id.strip() if self.citizen_id else None,
        )


def recipient_problems(recipient: Recipient, ref: Reference) -> list[Problem]:
    """Everything wrong with a (normalised) recipient, each problem naming its field."""
    problems = _name_problems(recipient) + _identity_problems(recipient)
    for column, value, longest in (
        ("relationship", recipient.relationship, MAX_RELATIONSHIP_LENGTH),
        ("decision_reference", recipient.decision_reference, MAX_REFERENCE_LENGTH),
    ):
        if not value or len(value) > longest:
            problems.append(Problem(column, f"{column.replace('_', ' ')} is 1 to {longest} characters"))
    problems += instrument_problems(recipient.instrument, ref)
    if recipient.instrument.kind == "cash" and recipient.recipient_type == "organisation":
        problems.append(
            Problem(
                "kind", "cash is handed over against a citizen ID card: pay an organisation into an account"
            )
        )
    return problems


def _name_problems(recipient: Recipient) -> list[Problem]:
    if recipient.recipient_type == "person":
        message = name_problem(recipient.full_name)
    else:  # an organisation's name may carry digits ("Nhà tang lễ số 1")
        fits = 0 < len(recipient.full_name) <= MAX_NAME_LENGTH
        message = None if fits else f"the name is 1 to {MAX_NAME_LENGTH} characters"
    return [Problem("full_name", message)] if message else []


def _identity_problems(recipient: Recipient) -> list[Problem]:
    if recipient.recipient_type not in RECIPIENT_TYPES:
        return [Problem("recipient_type", "the recipient is a 'person' or an 'organisation'")]
    if recipient.recipient_type == "organisation":
        return [Problem("citizen_id", "an organisation has no citizen ID")] if recipient.citizen_id else []
    if not recipient.citizen_id:
        return [Problem("citizen_id", "a person receiving what is owed needs their citizen ID")]
    # Their date of birth and sex are not recorded: the format and province of birth are checked.
    return [Problem("citizen_id", m) for m in citizen_id_problems(recipient.citizen_id, None, None)]


def record_recipient(
    session: Session,
    actor: Actor,
    cipher: PiiCipher,
    beneficiary_id: int,
    recipient: Recipient,
    *,
    clock: Clock = utcnow,
) -> DeathRecipient:
    """Record who receives what is owed to a deceased beneficiary; it supersedes the recipient
    in force. The same details as the one in force are a no-op (returns it). Audited, masked.

    Raises NotFound for an unknown beneficiary, RuleViolation when no death is recorded or the
    recipient is the dead person, InvalidInput listing every problem by field, Conflict when
    another recipient was recorded for the person meanwhile."""
    beneficiary = get_beneficiary(session, beneficiary_id)
    _refuse_the_living(beneficiary)
    recipient = recipient.normalised()
    refuse(recipient_problems(recipient, repository.load_reference(session)))
    citizen_bidx = cipher.index("citizen_id", recipient.citizen_id) if recipient.citizen_id else None
    if citizen_bidx == beneficiary.citizen_id_bidx:
        raise RuleViolation("the recipient cannot be the person who died", field="citizen_id")
    history = repository.recipient_history(session, beneficiary.id)
    current = history[-1] if history else None
    if current is not None and _same(current, recipient, citizen_bidx, cipher):
        return current
    row = DeathRecipient(
        **_values(cipher, beneficiary.id, recipient, citizen_bidx),
        supersedes_id=current.id if current else None, recorded_at=clock(), recorded_by=actor.username,
    )  # fmt: skip
    _add_once(session, row, beneficiary.id)
    record_event(
        session, actor, "death_recipient.record", "beneficiary", beneficiary.id,
        before={"recipient_id": current.id} if current else None,
        after={"recipient_id": row.id, **masked_recipient(recipient)}, clock=clock,
    )  # fmt: skip
    return row


def _refuse_the_living(beneficiary: Beneficiary) -> None:
    if beneficiary.death_date is None:
        hint = " (the identity check reports a death: record it first)"
        raise RuleViolation(
            f"beneficiary {beneficiary.id} has no death recorded: only what is owed to someone who has"
            f" died is paid to a recipient{hint if beneficiary.identity_status == 'deceased' else ''}",
            field="beneficiary_id",
        )


def _values(
    cipher: PiiCipher, beneficiary_id: int, recipient: Recipient, citizen_bidx: str | None
) -> dict[str, Any]:
    sealed = cipher.seal("citizen_id", recipient.citizen_id) if recipient.citizen_id else None
    return {
        "beneficiary_id": beneficiary_id,
        "recipient_type": recipient.recipient_type,
        "full_name": recipient.full_name,
        "relationship": recipient.relationship,
        "citizen_id_ct": sealed.ciphertext if sealed else None,
        "citizen_id_key": sealed.key_id if sealed else None,
        "citizen_id_bidx": citizen_bidx,
        **sealed_instrument(cipher, recipient.instrument),
        "decision_reference": recipient.decision_reference,
    }


def _same(row: DeathRecipient, recipient: Recipient, citizen_bidx: str | None, cipher: PiiCipher) -> bool:
    """Compared through blind indexes: nothing is decrypted."""
    recorded = (
        row.recipient_type,
        row.full_name,
        row.relationship,
        row.decision_reference,
        row.citizen_id_bidx,
    )
    given = (
        recipient.recipient_type, recipient.full_name, recipient.relationship,
        recipient.decision_reference, citizen_bidx,
    )  # fmt: skip
    return recorded == given and same_instrument(row, recipient.instrument, cipher)


def _add_once(session: Session, row: DeathRecipient, beneficiary_id: int) -> None:
    """Two officers correcting at once would both supersede the same record: the database's
    unique keys (one first record, each record superseded once) let one of them through."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"another recipient was just recorded for beneficiary {beneficiary_id}: read it and try again"
        ) from exc


def masked_recipient(recipient: Recipient) -> dict[str, Any]:
    """The recipient with citizen ID and account masked: safe for the audit log."""
    return {
        "recipient_type": recipient.recipient_type,
        "full_name": recipient.full_name,
        "relationship": recipient.relationship,
        "citizen_id": mask(recipient.citizen_id),
        "decision_reference": recipient.decision_reference,
        **masked_instrument(recipient.instrument),
    }
