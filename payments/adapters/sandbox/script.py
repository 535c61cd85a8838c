"""What the sandbox has been told to do: how each payout turns out, and whose name its look-up
reports.

Outcomes are scripted per payout key or per creditor (account number, phone or citizen ID); a
payout key's script wins over its creditor's, and the instance's default applies to the rest.
"""

from dataclasses import dataclass

from payments.adapters.creditors import BankAccount, CashPickup, Creditor, WalletAccount
from payments.adapters.messages import NameLookupResult, PayoutInstruction
from payments.adapters.vocabulary import ReasonCode
from payments.text import fold_name

OUTCOMES = ("settle", "accept", "reject", "unknown")


@dataclass(frozen=True)
class Outcome:
    kind: str = "settle"
    reason: ReasonCode | None = None

    def __post_init__(self) -> None:
        if self.kind not in OUTCOMES or (self.kind == "reject") != (self.reason is not None):
            raise ValueError("an outcome is settle, accept, unknown, or reject with a reason")


def creditor_id(creditor: Creditor) -> str:
    """What `script_creditor` keys on: account number, phone or citizen ID."""
    if isinstance(creditor, BankAccount):
        return creditor.account_number
    if isinstance(creditor, CashPickup):
        return creditor.citizen_id
    return creditor.phone


class Script:
    """Outcomes by payout key and by creditor over a default, and the registered holders."""

    def __init__(self, default: Outcome) -> None:
        self._default = default
        self._by_key: dict[str, Outcome] = {}
        self._by_creditor: dict[str, Outcome] = {}
        self._holders: dict[str, tuple[str, bool]] = {}

    def script_key(self, payout_key: str, outcome: Outcome) -> None:
        self._by_key[payout_key] = outcome

    def script_creditor(self, account_phone_or_citizen_id: str, outcome: Outcome) -> None:
        self._by_creditor[account_phone_or_citizen_id] = outcome

    def add_holder(self, creditor: Creditor, name: str, *, closed: bool = False) -> None:
        """What lookup_name reports for `creditor`; a closed account also rejects with AC04."""
        self._holders[creditor_id(creditor)] = (name, closed)
        if closed:
            self.script_creditor(creditor_id(creditor), Outcome("reject", ReasonCode.AC04))

    def outcome_for(self, payout: PayoutInstruction) -> Outcome:
        if not (self._by_key or self._by_creditor):
            return self._default
        return (
            self._by_key.get(payout.payout_key)
            or self._by_creditor.get(creditor_id(payout.creditor))
            or self._default
        )

    def lookup_name(self, creditor: BankAccount | WalletAccount) -> NameLookupResult:
        """Registered holders first; an unregistered bank account reports the name we hold,
        folded as banks do; an unregistered wallet is unknown (AC01)."""
        registered = self._holders.get(creditor_id(creditor))
        if registered is not None:
            name, closed = registered
            if closed:
                return NameLookupResult(found=False, reason=ReasonCode.AC04)
            return NameLookupResult(found=True, reported_name=fold_name(name))
        if isinstance(creditor, BankAccount) and creditor.holder_name:
            return NameLookupResult(found=True, reported_name=fold_name(creditor.holder_name))
        return NameLookupResult(found=False, reason=ReasonCode.AC01)
