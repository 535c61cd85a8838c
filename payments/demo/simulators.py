"""The demo's bank, e-wallet and post office: real HTTP simulators on free loopback ports, low
fault rates, and a few people who never come to collect their cash."""

from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from payments.adapters.bank_api.simulator import BankSimulator
from payments.adapters.base import AdapterServices, PayoutAdapter
from payments.adapters.ewallet.simulator import EwalletSimulator
from payments.adapters.registry import AdapterRegistry
from payments.adapters.simkit import Faults
from payments.adapters.vnpost.simulator import VnpostSimulator

BANK, WALLET, POST = "demo-bank", "demo-wallet", "demo-post"
LOW_FAULTS = Faults(
    reject_wrong_account=0.01, reject_closed=0.005, timeout_after_credit=0.003, hang_seconds=1.0
)
CASH_FAULTS = Faults(timeout_after_credit=0.003, hang_seconds=1.0)
UNCOLLECTED_RATE = 0.05  # cash nobody comes for: returned NOAS when the pickup window closes


@dataclass
class DemoProviders:
    """The simulators running, and adapters talking to them."""

    bank: BankSimulator
    wallet: EwalletSimulator
    post: VnpostSimulator
    adapters: dict[str, PayoutAdapter] = field(default_factory=dict)
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)  # per adapter instance

    def add_payee(self, row: dict[str, str]) -> None:
        """Open the account or wallet a generated beneficiary row names, under their name."""
        if row["instrument_kind"] == "bank":
            self.bank.add_account(row["bank_bin"], row["account_number"], row["holder_name"])
        elif row["instrument_kind"] == "ewallet":
            self.wallet.add_wallet(row["wallet_phone"], row["full_name"])

    def double_payments(self) -> list[str]:
        """Payout keys any simulator credited more than once (must be empty)."""
        credits = {**self.bank.credits(), **self.wallet.credits(), **self.post.credits()}
        return sorted(key for key, count in credits.items() if count > 1)


def start_providers(stack: ExitStack, seed: int, services: AdapterServices) -> DemoProviders:
    bank = stack.enter_context(BankSimulator(seed=seed, faults=LOW_FAULTS))
    wallet = stack.enter_context(EwalletSimulator(seed=seed, faults=LOW_FAULTS))
    post = stack.enter_context(
        VnpostSimulator(seed=seed, faults=CASH_FAULTS, uncollected_rate=UNCOLLECTED_RATE)
    )
    # Each call to adapter_settings registers a new client key with the simulator: call it once.
    timeouts: dict[str, Any] = {"read_timeout": 0.5, "connect_timeout": 1.0}
    settings = {
        BANK: bank.adapter_settings(**timeouts),
        WALLET: wallet.adapter_settings(**timeouts),
        POST: post.adapter_settings(**timeouts),
    }
    registry = AdapterRegistry(services=services)
    adapters = {name: registry.build(name, values) for name, values in settings.items()}
    return DemoProviders(bank, wallet, post, adapters, settings)
