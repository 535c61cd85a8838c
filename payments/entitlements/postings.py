"""Turning owed amounts into ledger drafts. Pure: no session.

For one (enrolment, month, component): the first time, an `accrual` of what is owed; later,
when what is owed changed (a late rate decree, a late death, a corrected decision), an
adjustment of the difference, once: `arrears` when more is owed, `recovery` when less.
"""

from dataclasses import dataclass
from functools import cache
from typing import Any

from payments.entitlements.accrued import Accrued
from payments.entitlements.period import Period
from payments.ledger import accounts
from payments.ledger.draft import EntryDraft, EntryKind, MemoPart


@dataclass(frozen=True)
class Owed:
    enrolment_id: int
    beneficiary_id: int
    programme: str
    period: Period
    component: str
    amount_vnd: int
    explanation: MemoPart  # the calculator's, rendered where it was worked out


@dataclass(frozen=True)
class Shortfall:
    """Less is owed than was accrued: `amount_vnd` (positive) must come back."""

    owed: Owed
    amount_vnd: int
    key: str


def increase_draft(owed: Owed, accrued: Accrued, *, past_month: bool) -> EntryDraft | Shortfall | None:
    """The entry that brings what was accrued to what is owed; None when they are equal.

    A month accrued for the first time gets `accrual:<period>:<enrolment>:<component>` (of
    kind `arrears` when the month is already past); a change afterwards gets the next
    `adjust:…:<n>`. Less owed than accrued is a Shortfall: its split between what the person
    is still owed and a receivable needs their balance (see recovery_draft).
    """
    delta = owed.amount_vnd - accrued.amount_vnd
    prefix = f"{owed.period}:{owed.enrolment_id}:{owed.component}"
    first_time = not accrued.has_accrual and accrued.adjustments == 0
    if delta == 0 and (accrued.has_accrual or owed.amount_vnd == 0):
        return None
    if first_time:
        kind = EntryKind.ARREARS if past_month else EntryKind.ACCRUAL
        return _draft(
            owed, f"accrual:{prefix}", kind, delta, ((accounts.payable(owed.beneficiary_id), -delta),)
        )
    key = f"adjust:{prefix}:{accrued.adjustments + 1}"
    if delta < 0:
        return Shortfall(owed, -delta, key)
    legs = ((accounts.payable(owed.beneficiary_id), -delta),)
    return _draft(owed, key, EntryKind.ARREARS, delta, legs, previously_accrued=accrued.amount_vnd)


def recovery_draft(shortfall: Shortfall, still_owed_vnd: int, previously_accrued_vnd: int) -> EntryDraft:
    """Take the shortfall back from what is still owed to the person; the rest becomes a
    receivable (they were paid more than they were due), offset against later amounts."""
    owed = shortfall.owed
    from_payable = min(shortfall.amount_vnd, max(still_owed_vnd, 0))
    legs = (
        (accounts.payable(owed.beneficiary_id), from_payable),
        (accounts.receivable(owed.beneficiary_id), shortfall.amount_vnd - from_payable),
    )
    counter = tuple(leg for leg in legs if leg[1])
    return _draft(
        owed,
        shortfall.key,
        EntryKind.RECOVERY,
        -shortfall.amount_vnd,
        counter,
        previously_accrued=previously_accrued_vnd,
    )


def offset_draft(beneficiary_id: int, period: Period, amount_vnd: int, receivable_seq: int) -> EntryDraft:
    """Settle part of a receivable out of an amount now owed to the same person."""
    return EntryDraft(
        idempotency_key=f"offset:{beneficiary_id}:{receivable_seq}",
        kind=EntryKind.OFFSET,
        effective_date=period.last_day,
        postings=(
            (accounts.payable(beneficiary_id), amount_vnd),
            (accounts.receivable(beneficiary_id), -amount_vnd),
        ),
        period=str(period),
        memo={"rule": "A recovery is offset against later amounts owed to the same person (ARCHITECTURE)"},
    )


def _draft(
    owed: Owed,
    key: str,
    kind: str,
    expense_vnd: int,
    counter: tuple[tuple[str, int], ...],
    *,
    previously_accrued: int | None = None,
) -> EntryDraft:
    memo: dict[str, Any] = {"component": owed.component, "owed_vnd": owed.amount_vnd}
    if previously_accrued is not None:
        memo["previously_accrued_vnd"] = previously_accrued
    memo["explanation"] = owed.explanation
    return EntryDraft(
        idempotency_key=key,
        kind=kind,
        effective_date=owed.period.last_day,
        postings=((_expense_account(owed.programme), expense_vnd), *counter),
        enrolment_ref=str(owed.enrolment_id),
        period=str(owed.period),
        memo=memo,
    )


@cache
def _expense_account(programme: str) -> str:
    # Built and checked once per programme, not once per entry drafted.
    return accounts.expense(programme)
