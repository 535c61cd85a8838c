"""Payment instruments (effective-dated, with history) and the checks that hold a payout.

A new instrument closes the open one on the day it takes effect; the old row is kept.
Batches (disbursements) call `payees.payees_on` and `holds_for_payees` when they build payouts:
the checks are about the instrument actually paid, a deceased person's recipient's included.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from payments.audit.services import record_event
from payments.clock import Clock, utcnow
from payments.context import Actor
from payments.errors import RuleViolation
from payments.registry import repository
from payments.registry.crypto import PiiCipher, mask
from payments.registry.model import Beneficiary, DeathRecipient, PaymentInstrument
from payments.registry.names import names_match
from payments.registry.payees import Payee, others_on_accounts, payees_on
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
    return {
        "beneficiary_id": beneficiary_id,
        **sealed_instrument(cipher, inst),
        "effective_from": effective_from,
        "effective_to": None,
        "recorded_at": now,
        "recorded_by": by,
    }


def sealed_instrument(cipher: PiiCipher, inst: Instrument) -> dict[str, Any]:
    """The instrument columns every table that pays someone carries (payment_instruments,
    death_recipients): the account sealed and blind-indexed as "account"."""
    sealed = cipher.seal("account", inst.account) if inst.account else None
    index_value = inst.index_value()
    return {
        "kind": inst.kind,
        "bank_bin": inst.bank_bin,
        "wallet_provider": inst.wallet_provider,
        "account_ct": sealed.ciphertext if sealed else None,
        "account_key": sealed.key_id if sealed else None,
        "account_bidx": cipher.index("account", index_value) if index_value else None,
        "holder_name": inst.holder_name,
    }


def same_instrument(row: PaymentInstrument | DeathRecipient, inst: Instrument, cipher: PiiCipher) -> bool:
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
    Unknown ids are left out of the result. Read-only. See holds_for_payees."""
    people = {b.id: b for b in _beneficiaries(session, beneficiary_ids)}
    payees = payees_on(session, people, on_date)
    return holds_for_payees(session, people, payees, on_date, hold_days=hold_days)


def holds_for_payees(
    session: Session,
    people: Mapping[int, Beneficiary],
    payees: Mapping[int, Payee],
    on_date: date,
    *,
    hold_days: int,
) -> dict[int, list[HoldReason]]:
    """Hold reasons for `people`, paid to `payees` (payees.payees_on) on `on_date`:

    - no_instrument: nothing in force on `on_date`;
    - instrument_changed: the instrument paid replaced another within `hold_days` days before
      `on_date` (pass Settings.instrument_change_hold_days); a first instrument is not a change;
    - shared_account: another party's instrument in force uses the same account or wallet;
    - holder_name_mismatch: the holder name differs from the payee's name (DOMAIN rule 7);
    - deceased: a death is recorded (or the identity check reported one) and no recipient of
      what is owed is recorded. With a recipient, the payout goes to them, and the other
      reasons are about the recipient's instrument and name."""
    others = others_on_accounts(session, payees, on_date)
    since = on_date - timedelta(days=hold_days)
    return {b: _reasons(person, payees.get(b), others.get(b, 0), since) for b, person in people.items()}


def _reasons(person: Beneficiary, payee: Payee | None, others: int, since: date) -> list[HoldReason]:
    reasons = []
    if (person.death_date is not None or person.identity_status == "deceased") and (
        payee is None or payee.recipient is None
    ):
        reasons.append(HoldReason("deceased", _no_recipient_yet(person)))
    if payee is None:
        return [*reasons, HoldReason("no_instrument", "no payment instrument in force on the payout date")]
    whose = "the recipient's " if payee.recipient is not None else ""
    if payee.changed_on is not None and payee.changed_on > since:
        reasons.append(
            HoldReason("instrument_changed", f"{whose}payment instrument changed on {payee.changed_on}")
        )
    if others:
        detail = (
            f"the recipient's account is also used by {others} other beneficiaries or recipients"
            if payee.recipient is not None
            else f"the same account is used by {others} other beneficiaries"
        )
        reasons.append(HoldReason("shared_account", detail))
    holder = payee.instrument.holder_name
    if holder is not None and not names_match(payee.name, holder):
        reasons.append(HoldReason("holder_name_mismatch", f"holder {holder!r} is not {payee.name!r}"))
    return reasons


def _no_recipient_yet(person: Beneficiary) -> str:
    """What an officer does about a death: name who receives what is still owed."""
    if person.death_date is None:
        return "the identity check reports a death: record the death, then the recipient of what is owed"
    return (
        f"death recorded ({person.death_date}): record the recipient of what is owed (funeral grant,"
        " months still due) named by the funeral support decision; the next build pays them"
    )


def _beneficiaries(session: Session, ids: list[int]) -> list[Beneficiary]:
    return list(session.scalars(select(Beneficiary).where(Beneficiary.id.in_(ids))))
