"""Whom a beneficiary's payout goes to, and into which instrument.

A living person is paid into their own instrument in force. Once their death is recorded,
what is still owed (the funeral grant, months still due) goes to the recipient recorded for
them (recipients.py), into the recipient's instrument; without one, there is no one to pay and
the payout is held (`instruments.payout_holds_for`). Either way the same protections apply to
the instrument paid: a recent change, an account others use, a holder name that is not the
payee's (DOMAIN rule 7). Read-only; a few queries per page of people.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

from sqlalchemy.orm import Session

from payments.clock import local_date
from payments.registry import repository
from payments.registry.model import Beneficiary, DeathRecipient, PaymentInstrument
from payments.registry.names import fold_name


@dataclass(frozen=True)
class Payee:
    """Who is paid for a beneficiary: `instrument` is the row holding the sealed account (the
    person's PaymentInstrument, or a DeathRecipient, which carries the same columns); `name` is
    whom the holder name must match and the provider is told; `citizen_id` (sealed) is what a
    cash counter checks; `changed_on` the day the instrument replaced another (None: a first)."""

    instrument: PaymentInstrument | DeathRecipient
    name: str
    citizen_id: tuple[bytes, str] | None
    changed_on: date | None

    @property
    def recipient(self) -> DeathRecipient | None:
        return self.instrument if isinstance(self.instrument, DeathRecipient) else None

    @property
    def ref(self) -> int:
        """What a payout records as its instrument (payouts.instrument_id, no foreign key): the
        payment instrument's id, or minus the recipient record's, so that the two tables' ids
        never meet when failures are counted per instrument."""
        return -self.instrument.id if self.recipient is not None else self.instrument.id


def payees_on(session: Session, people: Mapping[int, Beneficiary], on_date: date) -> dict[int, Payee]:
    """{beneficiary: payee on `on_date`} for those of `people` who can be paid somewhere: their
    own instrument in force, replaced by the recipient in force once their death is recorded."""
    ids = list(people)
    replaced = repository.previous_instrument_ends(session, ids, on_date)
    payees = {
        b: _own(people[b], inst, replaced.get(b))
        for b, inst in repository.instruments_on(session, ids, on_date).items()
    }
    dead = [b for b, person in people.items() if person.death_date is not None]
    for b, history in (repository.recipient_histories(session, dead) if dead else {}).items():
        payees[b] = _recipient(history)
    return payees


def _own(person: Beneficiary, inst: PaymentInstrument, replaced_on: date | None) -> Payee:
    # A back-dated change counts from the day it was recorded.
    changed_on = max(replaced_on, local_date(inst.recorded_at)) if replaced_on is not None else None
    return Payee(inst, person.full_name, (person.citizen_id_ct, person.citizen_id_key), changed_on)


def _recipient(history: list[DeathRecipient]) -> Payee:
    """The last record is in force; what it pays changed when the latest record naming another
    party or paying into another account than the record before it was made (a first record is
    not a change). Cash has no account: there a change of who collects it is the change."""
    current = history[-1]
    changes = [later.recorded_at for earlier, later in pairwise(history) if _paid(earlier) != _paid(later)]
    citizen_id = (
        (current.citizen_id_ct, current.citizen_id_key)
        if current.citizen_id_ct is not None and current.citizen_id_key is not None
        else None  # an organisation: paid into an account only
    )
    return Payee(current, current.full_name, citizen_id, local_date(changes[-1]) if changes else None)


def _paid(record: DeathRecipient) -> tuple[object, ...]:
    """Who is paid and where, as far as a change of it must wait for the hold period."""
    return (
        record.kind,
        record.account_bidx,
        record.recipient_type,
        record.citizen_id_bidx,
        fold_name(record.full_name),
    )


def others_on_accounts(session: Session, payees: Mapping[int, Payee], on_date: date) -> dict[int, int]:
    """{beneficiary: how many other parties are paid into their payee's account}, for those
    with any. A person's own account counts the other beneficiaries whose instrument in force
    uses it. A recipient's account also counts the other recipients in force paid into it; a
    party is the same whether recorded as a beneficiary or as a recipient (citizen ID blind
    index; an organisation by its name), so the widow paid her husband's grant into her own
    account, or the son paid both parents' grants, share it with nobody else."""
    indexes = [p.instrument.account_bidx for p in payees.values() if p.instrument.account_bidx]
    if not indexes:
        return {}
    sharers = repository.sharers_of_accounts(session, indexes, on_date)
    recipient_indexes = [
        p.instrument.account_bidx for p in payees.values() if p.recipient and p.instrument.account_bidx
    ]
    recipients = repository.recipients_using_accounts(session, recipient_indexes) if recipient_indexes else {}
    parties = _Parties(session, [r for rows in recipients.values() for r in rows])
    counts: dict[int, int] = {}
    for b, payee in payees.items():
        bidx = payee.instrument.account_bidx or ""
        users = {f"b{other}" for other in sharers.get(bidx, set())}
        if payee.recipient is not None:
            users |= {parties.of(r) for r in recipients.get(bidx, [])}
        users -= {f"b{b}", parties.of(payee.recipient) if payee.recipient else ""}
        if users:
            counts[b] = len(users)
    return counts


class _Parties:
    """Who a recipient is, as a key comparable with a beneficiary's ("b<id>")."""

    def __init__(self, session: Session, recipients: list[DeathRecipient]) -> None:
        indexes = [r.citizen_id_bidx for r in recipients if r.citizen_id_bidx]
        self._registered = repository.beneficiaries_by_citizen_indexes(session, indexes) if indexes else {}

    def of(self, recipient: DeathRecipient) -> str:
        if recipient.citizen_id_bidx is None:
            return f"o{fold_name(recipient.full_name)}"
        registered = self._registered.get(recipient.citizen_id_bidx)
        return f"b{registered}" if registered is not None else f"c{recipient.citizen_id_bidx}"
