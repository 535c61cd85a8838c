"""Words for codes (states, entry kinds, hold reasons) and the navigation, per language."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from payments.security.roles import Role

LABELS = {
    # batch states
    "draft": _l("draft"),
    "pending_approval": _l("pending approval"),
    "approved": _l("approved"),
    "dispatching": _l("dispatching"),
    "dispatched": _l("dispatched"),
    "closed": _l("closed"),
    "cancelled": _l("cancelled"),
    # payout states (rejected is shared with batches)
    "queued": _l("queued"),
    "sending": _l("sending"),
    "accepted": _l("accepted"),
    "settled": _l("settled"),
    "rejected": _l("rejected"),
    "returned": _l("returned"),
    "in_doubt": _l("in doubt"),
    # what a provider said when a batch was dispatched
    "unknown": _l("no clear answer (in doubt)"),
    "not_found": _l("not received by the provider"),
    "amount_mismatch": _l("another amount reported (in doubt)"),
    # ledger entry kinds
    "accrual": _l("accrual"),
    "arrears": _l("arrears"),
    "payout_initiated": _l("payout sent"),
    "payout_settled": _l("payout settled"),
    "payout_returned": _l("payout returned"),
    "recovery": _l("recovery"),
    "offset": _l("offset"),
    "reversal": _l("reversal"),
    # channels
    "bank": _l("bank account"),
    "ewallet": _l("e-wallet"),
    "cash": _l("cash at the post office"),
    # hold reasons
    "manual": _l("manual hold by an officer"),
    "repeated_failures": _l("repeated failures on this instrument"),
    "channel_not_routed": _l("no adapter pays this channel"),
    "provider_name_mismatch": _l("the provider reports another name"),
    "deceased": _l("deceased"),
    "instrument_changed": _l("payment instrument changed recently"),
    "no_instrument": _l("no payment instrument"),
    "shared_account": _l("account shared with other beneficiaries"),
    "holder_name_mismatch": _l("account holder is someone else"),
    "suspended": _l("every enrolment is suspended"),
    # reconciliation exception classes, states and resolutions
    "UNMATCHED_CONFIRMATION": _l("confirmation matching no payout"),
    "UNCONFIRMED_PAYOUT": _l("payout never confirmed"),
    "AMOUNT_MISMATCH": _l("amount differs"),
    "DUPLICATE_CONFIRMATION": _l("confirmed twice"),
    "AMBIGUOUS": _l("matches several payouts"),
    "RETURNED_AFTER_SETTLEMENT": _l("returned after settlement"),
    "STATUS_CONFLICT": _l("conflicting statuses"),
    "BALANCE_BREAK": _l("statement balances do not tie"),
    "CONTRADICTED_ANSWER": _l("provider's answer contradicts the payout"),
    "open": _l("open"),
    "resolved": _l("resolved"),
    "confirm_suggestion": _l("confirm the suggested payout"),
    "mark_returned": _l("mark the payout returned"),
    "write_off": _l("write off (a second finance user approves)"),
    "acknowledge": _l("acknowledge: nothing to change"),
    # what a reconciliation run did with each line (a run's report)
    "noted": _l("noted, nothing to change"),
    "confirmed": _l("confirmed again"),
    "duplicate": _l("booked twice"),
    "conflict": _l("conflicts with the payout's state"),
    "exception": _l("left for a person: an exception"),
    "running": _l("running"),
    "finished": _l("finished"),
    "failed": _l("failed"),
    # roles
    "officer": _l("officer"),
    "approver": _l("approver"),
    "finance": _l("finance"),
    "auditor": _l("auditor"),
    "admin": _l("administrator"),
}


MATCH_PASSES = {
    1: _l("matched by the payout key"),
    2: _l("matched by another reference"),
    3: _l("matched as part of a payment block"),
    4: _l("matched by a person from a suggestion"),
}


def pass_label(number: int) -> str:
    found = MATCH_PASSES.get(number)
    return str(found) if found is not None else str(number)


def label(code: str | None) -> str:
    """The words for `code` in the current language, or the code itself when it has none."""
    if code is None:
        return "—"
    found = LABELS.get(code)
    return str(found) if found is not None else code


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    title: object  # a lazy string
    roles: frozenset[Role]


READERS = frozenset({Role.OFFICER, Role.APPROVER, Role.FINANCE, Role.AUDITOR})
EVERYONE = frozenset(Role)
BOOKS = frozenset({Role.AUDITOR, Role.FINANCE, Role.ADMIN})
AUDIT = frozenset({Role.AUDITOR, Role.ADMIN})
RECONCILERS = frozenset({Role.FINANCE, Role.AUDITOR})
ADMINS = frozenset({Role.ADMIN})

NAVIGATION = [
    NavItem("console.dashboard", _l("Dashboard"), EVERYONE),
    NavItem("console.batches", _l("Batches"), READERS),
    NavItem("console.beneficiaries", _l("Beneficiaries"), READERS),
    NavItem("console.reconciliation", _l("Reconciliation"), RECONCILERS),
    NavItem("console.ledger", _l("Ledger"), BOOKS),
    NavItem("console.audit", _l("Audit log"), AUDIT),
    NavItem("console.users", _l("Users"), ADMINS),
]


def navigation(roles: frozenset[Role]) -> list[NavItem]:
    return [item for item in NAVIGATION if item.roles & roles]
