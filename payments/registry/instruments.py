"""Payment instruments (effective-dated, with history) and the checks that hold a payout.

A new instrument closes the open one on the day it takes effect; the old row is kept.
Batches (disbursements) call `active_instrument` and `payout_holds_for` when they build a payout.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from payments.audit.services import record_event
from payments.clock import Clock, local_date, utcnow
from payments.context import Actor
from payments.errors import RuleViolation
from payments.registry import repository
from payments.registry.crypto import PiiCipher, mask
from payments.registry.model import Beneficiary, PaymentInstrument
from payments.registry.names import names_match
from payments.registry.services import get_beneficiary, refuse
from payments.registry.validation import Instrument, instrument_problems

HOLD_CODES = ("no_instrument", "instrument_changed", "shared_account", "holder_name_mismatch", "deceased")


@dataclass(frozen=True)
class HoldReason:
    """Why a payout must wait for an officer. `code` is one of HOLD_CODES."""

    code: str
    detail: str


@dataclass(frozen=True)
class PayoutInstrument:
    """An instrument in clear, for the adapter that sends the money."""

    instrument_id: int
    kind: str
    bank_bin: str | None
    wallet_provider: str | None
    account: str | None  # account number or wallet phone, decrypted
    holder_name: str | None


def set_instrument(
    session: Session,
    actor: Actor,
    cipher: PiiCipher,
    beneficiary_id: int,
    instrument: Instrument,
    *,
    effective_from: date,
    clock: Clock = utcnow,
) -> PaymentInstrument:
    """Make `instrument` the one used from `effective_from`, closing the open one that day.

    The same details as the open instrument are a no-op (returns it). Raises InvalidInput
    for bad details, RuleViolation when `effective_from` is before the open one started."""
    beneficiary = get_beneficiary(session, beneficiary_id)
    instrument = instrument.normalised()
    refuse(instrument_problems(instrument, repository.load_reference(session)))
    current = repository.open_instrument(session, beneficiary_id)
    if current is not None and same_instrument(current, instrument, cipher):
        return current
    if current is not None:
        if effective_from < current.effective_from:
            raise RuleViolation(
                f"the new instrument must start on or after {current.effective_from}", field="effective_from"
            )
        current.effective_to = effective_from
        session.flush()
    row = PaymentInstrument(
        **instrument_values(
            cipher, beneficiary.id, instrument, effective_from=effective_from, by=actor.username, now=clock()
        )
    )
    session.add(row)
    session.flush()
    after = {**masked_instrument(instrument), "effective_from": effective_from.isoformat()}
    before = {"instrument_id": current.id} if current is not None else None
    record_event(
        session,
        actor,
        "instrument.set",
        "beneficiary",
        beneficiary.id,
        before=before,
        after=after,
        clock=clock,
    )
    return row


def instrument_values(
    cipher: PiiCipher, beneficiary_id: int, inst: Instrument, *, effective_from: date, by: str, now: datetime
) -> dict[str, Any]:
    """A payment_instruments row as column values: the account sealed and blind-indexed."""
    sealed = cipher.seal("account", inst.account) if inst.account else None
    index_value = inst.index_value()
    return {
        "beneficiary_id": beneficiary_id,
        "kind": inst.kind,
        "bank_bin": inst.bank_bin,
        "wallet_provider": inst.wallet_provider,
        "account_ct": sealed.ciphertext if sealed else None,
        "account_key": sealed.key_id if sealed else None,
        "account_bidx": cipher.index("account", index_value) if index_value else None,
        "holder_name": inst.holder_name,
        "effective_from": effective_from,
        "effective_to": None,
        "recorded_at": now,
        "recorded_by": by,
    }


def same_instrument(row: PaymentInstrument, inst: Instrument, cipher: PiiCipher) -> bool:
    index_value = inst.index_value()
    bidx = cipher.index("account", index_value) if index_value else None
    return (row.kind, row.account_bidx, row.holder_name) == (inst.kind, bidx, inst.holder_name)


def masked_instrument(inst: Instrument) -> dict[str, Any]:
    return {
        "kind": inst.kind,
        "bank_bin": inst.bank_bin,
        "wallet_provider": inst.wallet_provider,
        "account": mask(inst.account),
        "holder_name": inst.holder_name,
    }


def active_instrument(
    session: Session, cipher: PiiCipher, beneficiary_id: int, on_date: date
) -> PayoutInstrument | None:
    """The instrument in force on `on_date`, decrypted for sending; None when there is none."""
    row = repository.instruments_on(session, [beneficiary_id], on_date).get(beneficiary_id)
    if row is None:
        return None
    account = (
        cipher.open("account", row.account_ct, row.account_key)
        if row.account_ct and row.account_key
        else None
    )
    return PayoutInstrument(row.id, row.kind, row.bank_bin, row.wallet_provider, account, row.holder_name)


def payout_holds(session: Session, beneficiary_id: int, on_date: date, *, hold_days: int) -> list[HoldReason]:
    """Reasons to hold a payout to this person on `on_date` (empty: pay). See payout_holds_for."""
    get_beneficiary(session, beneficiary_id)
    return payout_holds_for(session, [beneficiary_id], on_date, hold_days=hold_days)[beneficiary_id]


def payout_holds_for(
    session: Session, beneficiary_ids: list[int], on_date: date, *, hold_days: int
) -> dict[int, list[HoldReason]]:
    """Hold reasons for many people at once (a few queries per call; pass chunks of ~1,000 ids).

    - no_instrument: nothing in force on `on_date`;
    - instrument_changed: an instrument was replaced within `hold_days` days before `on_date`
      (pass Settings.instrument_change_hold_days); a first instrument is not a change;
    - shared_account: another person's instrument in force uses the same account or wallet;
    - holder_name_mismatch: the holder name differs from the person's name (DOMAIN rule 7);
    - deceased: a death is recorded, or the identity check reported the person deceased.
    Unknown ids are left out of the result. Read-only."""
    people = {b.id: b for b in _beneficiaries(session, beneficiary_ids)}
    ids = list(people)
    instruments = repository.instruments_on(session, ids, on_date)
    replaced = repository.previous_instrument_ends(session, ids, on_date)
    indexes = [inst.account_bidx for inst in instruments.values() if inst.account_bidx]
    sharers = repository.sharers_of_accounts(session, indexes, on_date) if indexes else {}
    since = on_date - timedelta(days=hold_days)
    return {
        person_id: _reasons(person, instruments.get(person_id), replaced.get(person_id), sharers, since)
        for person_id, person in people.items()
    }


def _reasons(
    person: Beneficiary,
    inst: PaymentInstrument | None,
    replaced_on: date | None,
    sharers: dict[str, set[int]],
    since: date,
) -> list[HoldReason]:
    reasons = []
    if person.death_date is not None or person.identity_status == "deceased":
        reasons.append(HoldReason("deceased", f"death recorded ({person.death_date or 'identity check'})"))
    if inst is None:
        return [*reasons, HoldReason("no_instrument", "no payment instrument in force on the payout date")]
    if replaced_on is not None:
        # A back-dated change counts from the day it was recorded.
        changed_on = max(replaced_on, local_date(inst.recorded_at))
        if changed_on > since:
            reasons.append(HoldReason("instrument_changed", f"payment instrument changed on {changed_on}"))
    others = sharers.get(inst.account_bidx or "", set()) - {person.id}
    if others:
        reasons.append(
            HoldReason("shared_account", f"the same account is used by {len(others)} other beneficiaries")
        )
    if inst.holder_name is not None and not names_match(person.full_name, inst.holder_name):
        reasons.append(
            HoldReason("holder_name_mismatch", f"holder {inst.holder_name!r} is not {person.full_name!r}")
        )
    return reasons


def _beneficiaries(session: Session, ids: list[int]) -> list[Beneficiary]:
    return list(session.scalars(select(Beneficiary).where(Beneficiary.id.in_(ids))))
