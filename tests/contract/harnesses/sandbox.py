"""The sandbox adapter is its own simulator."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from payments.adapters.creditors import BankAccount, CashPickup, Creditor, WalletAccount
from payments.adapters.registry import AdapterRegistry
from payments.adapters.sandbox.adapter import SandboxAdapter
from payments.adapters.sandbox.script import Outcome
from payments.adapters.vocabulary import Capability, ReasonCode
from tests.contract.harnesses import Payee, Scenario

KIND = "sandbox"
CAPABILITIES = frozenset(
    {"send", "status", "callbacks", "statement", "name_lookup", "bank_accounts", "wallets", "cash"}
)
SCENARIOS = frozenset({Scenario.TIMEOUT, Scenario.WRONG_ACCOUNT})
NAMES = ("Nguyễn Thị Đào", "Trần Văn Bình", "Lê Thị Hồng", "Phạm Đức Anh")
ROTATION = (Capability.BANK_ACCOUNTS, Capability.WALLETS, Capability.CASH)


class SandboxHarness:
    def __init__(self) -> None:
        adapter = AdapterRegistry().build("sandbox-under-test", {"kind": "sandbox"})
        assert isinstance(adapter, SandboxAdapter)
        self.adapter = adapter
        self.sandbox = adapter
        adapter.script_creditor("0999000111", Outcome("reject", ReasonCode.AC01))
        self._callbacks: list[tuple[dict[str, str], bytes]] = []

    def payee(self, n: int, creditor_kind: str | None = None) -> Payee:
        """Bank accounts, wallets and cash pickups in turn, unless a kind is asked for."""
        name = NAMES[n % len(NAMES)]
        creditor_kind = creditor_kind or ROTATION[n % len(ROTATION)]
        creditor: Creditor
        if creditor_kind == Capability.CASH:
            return Payee(
                CashPickup(commune_code="25123", citizen_id=f"0011900{n:05d}", holder_name=name), name
            )
        if creditor_kind == Capability.WALLETS:
            creditor = WalletAccount(provider="sandbox", phone=f"09123450{n:02d}")
        else:
            creditor = BankAccount(bin="970436", account_number=f"00110022{n:04d}", holder_name=name)
        self.sandbox.add_holder(creditor, name)
        return Payee(creditor, name)

    def wrong_payee(self) -> Payee:
        return Payee(BankAccount(bin="970436", account_number="0999000111"), "Không Ai")

    def credits(self) -> dict[str, int]:
        return self.sandbox.credits()

    def arm_timeout(self, key: str) -> None:
        self.sandbox.script_key(key, Outcome("unknown"))

    def tamper_responses(self) -> None:
        raise AssertionError("the sandbox has no signed responses")

    def callbacks(self, key: str, count: int) -> list[tuple[dict[str, str], bytes]]:
        self._callbacks.extend(self.sandbox.take_callbacks())
        return [(h, b) for h, b in self._callbacks if json.loads(b)["payout_key"] == key]

    def settle_all(self) -> None:
        pass

    def statement_day(self):
        return datetime.now(UTC).date()


@contextmanager
def open_harness(tmp_path: Path) -> Iterator[SandboxHarness]:
    yield SandboxHarness()
