"""Why a person is owed what they are owed, month by month: computed, accrued, paid, and the rest.

Read-only. For each month: what the calculator says now (components with explanations, and
notes on what is not due and why), what the ledger holds for that month by entry kind, and the
payouts built for that month (settled, in flight, or returned and so owed again). Then the
person's balances, and every posting to what they are owed sorted into the terms of one
identity that an officer can check by hand:

    owed_now = accrued + arrears + gifts − recovered − offset − paid − in_flight + corrected

`recovered` is the part of a recovery taken back from what was still owed (the rest became the
receivable, `receivable_vnd`), `offset` what was owed and went to settle that receivable, and
`corrected` the net of reversal entries. A returned payout counts as neither paid nor in flight:
its money is owed again. The terms cover the person's whole history, as `owed_now` does; the
months cover only the span asked for.
"""

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from payments.entitlements.calculator import assess_month, funeral_grant
from payments.entitlements.from_registry import calculator_facts
from payments.entitlements.period import Period
from payments.entitlements.rateset import RateSet
from payments.errors import InvalidInput, PaymentsError
from payments.ledger import accounts
from payments.ledger.draft import EntryKind
from payments.ledger.model import Account, Entry, Posting
from payments.ledger.services import balances
from payments.registry.facts import facts_on
from payments.registry.repository import enrolments_of
from payments.registry.services import get_beneficiary

MAX_MONTHS = 60
# Disbursements keys every payout `<yymm>-<beneficiary>-<attempt>-<programme>` by its batch's
# period (manifest.payout_key) and finds a period's payouts by that prefix itself. Entitlements
# sits below disbursements and does not read its tables, so it reads the period from the key
# that the ledger's payout entries carry.
_PAYOUT_KEY = re.compile(r"^(\d{2})(0[1-9]|1[0-2])-")
_GIFT_KEYS = "gift:"  # gifts.gift_key: `gift:<run code>:<beneficiary>`, no period on purpose
# How each kind of entry posting to the person's payable moves the identity's terms: +1 adds
# what the entry owes them (a credit, so minus the posting), -1 takes back (a debit).
_TERMS = {
    EntryKind.ACCRUAL.value: ("accrued_vnd", 1),
    EntryKind.ARREARS.value: ("arrears_vnd", 1),
    EntryKind.RECOVERY.value: ("recovered_vnd", -1),
    EntryKind.OFFSET.value: ("offset_vnd", -1),
}
_PayablePosting = Row[int, str, str, str | None, date, int]  # seq, kind, key, payout, date, đồng
_COUNTED = ("accrued_vnd", "arrears_vnd", "gifts_vnd", "recovered_vnd", "offset_vnd", "corrected_vnd")


def explain_entitlements(
    session: Session, beneficiary_id: int, first: Period, last: Period, rates: RateSet
) -> dict[str, Any]:
    """Month by month from `first` to `last` (at most five years). NotFound for an unknown person."""
    get_beneficiary(session, beneficiary_id)
    months = _months(first, last)
    enrolment_ids = [e.id for e in enrolments_of(session, beneficiary_id)]
    booked = _booked(session, enrolment_ids, months)
    money = _payable_history(session, beneficiary_id)
    report = [_month(session, enrolment_ids, month, rates, booked[str(month)]) for month in months]
    for month in report:
        month.update(_paid_for(month["period"], money.payouts))
    owed = balances(session, [accounts.payable(beneficiary_id), accounts.receivable(beneficiary_id)])
    return {
        "beneficiary_id": beneficiary_id,
        "months": report,
        "owed_now_vnd": -owed[accounts.payable(beneficiary_id)],
        "receivable_vnd": owed[accounts.receivable(beneficiary_id)],
        **money.terms(),
        "gifts": _gifts(session, money.gift_seqs),
    }


def _months(first: Period, last: Period) -> list[Period]:
    if last < first:
        raise InvalidInput("`to` must not be before `from`")
    months = [first]
    while months[-1] < last:
        months.append(months[-1].next())
        if len(months) > MAX_MONTHS:
            raise InvalidInput(f"ask for at most {MAX_MONTHS} months at a time")
    return months


def _month(
    session: Session, enrolment_ids: list[int], month: Period, rates: RateSet, booked: dict[str, int]
) -> dict[str, Any]:
    facts = facts_on(session, enrolment_ids, month.last_day)
    computed: dict[str, Any] = {"components": [], "notes": []}
    if not facts:
        reason = "no enrolment decision was in force: entitlement starts in the month the decision is signed"
        computed["notes"] = [{"enrolment_id": None, "rule": "DOMAIN rule 1", "reason": reason}]
    else:
        try:
            pairs = [calculator_facts(f) for f in facts]
            person, enrolments = pairs[0][0], [e for _p, e in pairs]
            assessment = assess_month(person, enrolments, month, rates)
            components = list(assessment.components)
            grant = funeral_grant(person, enrolments, rates)
            if grant is not None and grant.period == month:
                components.append(grant)
            computed["components"] = [_component(c) for c in components]
            computed["notes"] = [n.__dict__ for n in assessment.notes]
        except PaymentsError as error:
            computed["problem"] = error.detail
    owed = sum(c["amount_vnd"] for c in computed["components"])
    return {"period": str(month), "owed_vnd": owed, **computed, "ledger": booked}


def _component(component: Any) -> dict[str, Any]:
    return {
        "enrolment_id": component.enrolment_id,
        "code": component.code,
        "amount_vnd": component.amount_vnd,
        "explanation": component.explanation,
    }


def _booked(session: Session, enrolment_ids: list[int], months: list[Period]) -> dict[str, dict[str, int]]:
    """{period: {entry kind: đồng}} as the expense side of the ledger records it."""
    booked: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if not enrolment_ids:
        return booked
    query = (
        select(Entry.period, Entry.kind, Posting.amount_vnd)
        .join(Posting, Posting.entry_seq == Entry.seq)
        .join(Account, Account.id == Posting.account_id)
        .where(
            Entry.enrolment_ref.in_([str(e) for e in enrolment_ids]),
            Entry.period.in_([str(m) for m in months]),
            Account.type == "expense",
        )
    )
    for period, kind, amount in session.execute(query):
        if period is not None:  # (the IN filter already keeps out entries without a period)
            booked[period][kind] += amount
    return booked


def payout_period(payout_key: str, sent_on: date) -> str | None:
    """The month a payout was built for, from its key (`2507-…` -> `2025-07`); None for a key
    of another shape. Keys keep two digits of the year, so the century is the one that puts
    the month nearest the day the payout was sent."""
    match = _PAYOUT_KEY.match(payout_key)
    if match is None:
        return None
    two_digits, month = int(match.group(1)), match.group(2)
    year = sent_on.year + (two_digits - sent_on.year % 100 + 50) % 100 - 50
    return f"{year:04d}-{month}"


@dataclass
class _Payout:
    """One payout to the person as the ledger tells it (sent, then settled or returned)."""

    key: str
    sent_on: date
    sent_vnd: int = 0  # taken out of what was owed when it was sent to the provider
    taken_vnd: int = 0  # net of everything posted under its key: sent minus what came back
    returned_vnd: int = 0  # rejected or returned: put back into what is owed
    settled: bool = False

    @property
    def status(self) -> str:
        if self.returned_vnd:
            return "returned"
        return "settled" if self.settled else "in_flight"

    @property
    def period(self) -> str | None:
        return payout_period(self.key, self.sent_on)

    def as_dict(self) -> dict[str, Any]:
        return {
            "payout_key": self.key,
            "amount_vnd": self.sent_vnd,
            "status": self.status,
            "sent_on": self.sent_on.isoformat(),
            "returned_vnd": self.returned_vnd,
        }


@dataclass
class _PayableHistory:
    """Every posting to the person's payable, sorted into the identity's terms (see the module
    docstring); payouts keep their own, and gifts their entry numbers for the memo."""

    counted: Counter[str]
    payouts: dict[str, _Payout]
    gift_seqs: list[int]

    def add(self, posting: _PayablePosting) -> None:
        """One posting to the payable, with its entry's seq, kind, key, payout and date."""
        amount = posting.amount_vnd
        if posting.payout_ref is not None:
            self._add_to_payout(posting.payout_ref, posting.kind, posting.effective_date, amount)
        elif posting.idempotency_key.startswith(_GIFT_KEYS):
            self.counted["gifts_vnd"] -= amount
            self.gift_seqs.append(posting.seq)
        else:
            # Anything else posting to a payable (a reversal, a kind added later) is a correction:
            # counted, never dropped, so that the identity holds whatever the ledger holds.
            term, sign = _TERMS.get(posting.kind, ("corrected_vnd", 1))
            self.counted[term] -= sign * amount

    def _add_to_payout(self, key: str, kind: str, day: date, amount: int) -> None:
        # Sending debits the payable (the money leaves what is owed); a return credits it back.
        payout = self.payouts.setdefault(key, _Payout(key, day))
        payout.taken_vnd += amount
        if kind == EntryKind.PAYOUT_INITIATED:
            payout.sent_vnd, payout.sent_on = amount, day
        elif kind == EntryKind.PAYOUT_RETURNED:
            payout.returned_vnd -= amount

    def terms(self) -> dict[str, int]:
        counted = {term: self.counted[term] for term in _COUNTED}
        return counted | _by_status(self.payouts.values())


def _by_status(payouts: Iterable[_Payout]) -> dict[str, int]:
    """What payouts took out of what is owed, as paid (settled) or in flight, and what came back.

    A returned payout adds nothing to either: its money is owed again (its net is zero)."""
    sums = Counter({"paid_vnd": 0, "in_flight_vnd": 0, "returned_vnd": 0})
    for payout in payouts:
        sums["in_flight_vnd" if payout.status == "in_flight" else "paid_vnd"] += payout.taken_vnd
        sums["returned_vnd"] += payout.returned_vnd
    return dict(sums)


def _payable_history(session: Session, beneficiary_id: int) -> _PayableHistory:
    """Read every posting to `payable:<beneficiary>`, oldest first, and which of the person's
    payouts the provider settled (a settlement posts to the adapter's accounts only)."""
    query = (
        select(
            Entry.seq,
            Entry.kind,
            Entry.idempotency_key,
            Entry.payout_ref,
            Entry.effective_date,
            Posting.amount_vnd,
        )
        .join(Posting, Posting.entry_seq == Entry.seq)
        .join(Account, Account.id == Posting.account_id)
        .where(Account.code == accounts.payable(beneficiary_id))
        .order_by(Entry.seq)
    )
    history = _PayableHistory(Counter(), {}, [])
    for posting in session.execute(query):
        history.add(posting)
    for key in _settled(session, list(history.payouts)):
        history.payouts[key].settled = True
    return history


def _settled(session: Session, payout_keys: list[str]) -> set[str]:
    if not payout_keys:
        return set()
    settled = Entry.payout_ref.in_(payout_keys) & (Entry.kind == EntryKind.PAYOUT_SETTLED.value)
    return {key for key in session.scalars(select(Entry.payout_ref).where(settled)) if key is not None}


def _paid_for(period: str, payouts: dict[str, _Payout]) -> dict[str, Any]:
    """The payouts built for `period` (whatever months their money was owed for: a batch pays
    the whole balance, arrears and gifts included), oldest first, and their sums by status."""
    made = [payout for payout in payouts.values() if payout.period == period]
    return {**_by_status(made), "payouts": [payout.as_dict() for payout in made]}


def _gifts(session: Session, seqs: list[int]) -> list[dict[str, Any]]:
    """Each one-off gift from its entry's memo (gifts.gift_draft), with the amount it owes."""
    if not seqs:
        return []
    query = (
        select(Entry.effective_date, Entry.memo, Posting.amount_vnd)
        .join(Posting, Posting.entry_seq == Entry.seq)
        .join(Account, Account.id == Posting.account_id)
        .where(Entry.seq.in_(seqs), Account.type == "payable")
        .order_by(Entry.seq)
    )
    return [_gift(day, memo or {}, -amount) for day, memo, amount in session.execute(query)]


def _gift(day: date, memo: dict[str, Any], amount_vnd: int) -> dict[str, Any]:
    return {
        "code": memo.get("gift_run"),
        "date": memo.get("gift_date", day.isoformat()),
        "decision": memo.get("decision"),
        "programme": memo.get("programme"),
        "amount_vnd": amount_vnd,
    }
