"""One harness per adapter kind: the adapter built through the registry, against its simulator.

To put a new adapter kind through the conformance suite, add a module here that defines

    KIND = "mykind"                      # the entry-point name
    CAPABILITIES = frozenset({...})      # what the adapter declares (checked against it)
    SCENARIOS = frozenset({...})         # harness abilities, see `Scenario`
    def open_harness(tmp_path) -> ContextManager[Harness]

Modules are found automatically; nothing else needs editing.
"""

import importlib
import pkgutil
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import Protocol

from payments.adapters.base import PayoutAdapter
from payments.adapters.creditors import BankAccount, CashPickup, Creditor, WalletAccount
from payments.adapters.messages import PayoutInstruction
from payments.adapters.vocabulary import Capability

# The capabilities that say which kinds of creditor an adapter can pay.
CREDITOR_KINDS = (Capability.BANK_ACCOUNTS, Capability.WALLETS, Capability.CASH)


class Scenario(StrEnum):
    TIMEOUT = "timeout"  # arm_timeout(key) makes the next send of key lose its answer after the credit
    WRONG_ACCOUNT = "wrong_account"  # wrong_payee() is rejected with AC01
    TAMPER_RESPONSES = "tamper_responses"  # tamper_responses() makes response signatures fail


@dataclass(frozen=True)
class Payee:
    creditor: Creditor
    name: str  # as we hold it, with diacritics


class Harness(Protocol):
    adapter: PayoutAdapter

    def payee(self, n: int, creditor_kind: str | None = None) -> Payee:
        """An open account, wallet or served cash pickup the simulator knows, its holder name
        folded from `name`; of `creditor_kind` (one of CREDITOR_KINDS the adapter declares) or,
        when None, of whichever kind the harness picks for `n`."""
        ...

    def wrong_payee(self) -> Payee: ...

    def credits(self) -> dict[str, int]:
        """Credits made per payout key, from the simulator's inspection endpoint."""
        ...

    def arm_timeout(self, key: str) -> None: ...

    def tamper_responses(self) -> None: ...

    def callbacks(self, key: str, count: int) -> list[tuple[dict[str, str], bytes]]:
        """At least `count` callback deliveries about `key` (waits briefly for them)."""
        ...

    def settle_all(self) -> None:
        """Bring accepted payouts to settlement where the provider does that asynchronously."""
        ...

    def statement_day(self) -> date: ...


def _modules() -> dict[str, ModuleType]:
    found = {}
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        module = importlib.import_module(f"{__name__}.{info.name}")
        found[module.KIND] = module
    return found


HARNESSES = _modules()


def kinds_with(*capabilities: str, scenario: Scenario | None = None) -> list[str]:
    """Adapter kinds whose adapters declare `capabilities` and whose harness offers `scenario`."""
    return sorted(
        kind
        for kind, module in HARNESSES.items()
        if set(capabilities) <= module.CAPABILITIES and (scenario is None or scenario in module.SCENARIOS)
    )


def creditor_kinds(kind: str) -> list[str]:
    """The kinds of creditor an adapter kind declares it can pay, from its capabilities."""
    return [c for c in CREDITOR_KINDS if c in HARNESSES[kind].CAPABILITIES]


def stranger(creditor_kind: str) -> Payee:
    """A well-formed creditor of `creditor_kind` that no simulator has been told about."""
    name = "Võ Thị Lạ"
    creditors: dict[str, Creditor] = {
        Capability.BANK_ACCOUNTS: BankAccount(bin="970418", account_number="5550001112", holder_name=name),
        Capability.WALLETS: WalletAccount(provider="zalopay", phone="0977000111"),
        Capability.CASH: CashPickup(commune_code="26734", citizen_id="079190000111", holder_name=name),
    }
    return Payee(creditors[creditor_kind], name)


def opener(kind: str) -> Callable[[Path], AbstractContextManager[Harness]]:
    return HARNESSES[kind].open_harness


def payout(key: str, payee: Payee, amount_vnd: int = 500_000) -> PayoutInstruction:
    return PayoutInstruction(
        payout_key=key,
        amount_vnd=amount_vnd,
        creditor=payee.creditor,
        beneficiary_name=payee.name,
        remittance_info=f"BTXH 2025-01 {key}",
        batch_reference="B-2025-01-0001",
    )
