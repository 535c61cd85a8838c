"""The e-wallet adapter against the loopback e-wallet simulator."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from payments.adapters.creditors import WalletAccount
from payments.adapters.ewallet.simulator import EwalletSimulator
from payments.adapters.registry import AdapterRegistry
from payments.adapters.simkit import Faults
from payments.adapters.vocabulary import Capability
from payments.text import fold_name
from tests.contract.harnesses import Payee, Scenario

KIND = "ewallet"
CAPABILITIES = frozenset(
    {"send", "status", "callbacks", "statement", "name_lookup", "signed_responses", "wallets"}
)
SCENARIOS = frozenset({Scenario.TIMEOUT, Scenario.WRONG_ACCOUNT, Scenario.TAMPER_RESPONSES})
NAMES = ("Nguyễn Thị Đào", "Trần Văn Bình", "Lê Thị Hồng", "Phạm Đức Anh")
FAST = {"read_timeout": 0.4, "connect_timeout": 0.5, "read_retries": 1}


class EwalletHarness:
    def __init__(self, sim: EwalletSimulator) -> None:
        self.sim = sim
        self.adapter = AdapterRegistry().build("wallet-under-test", sim.adapter_settings(**FAST))

    def payee(self, n: int, creditor_kind: str | None = None) -> Payee:
        assert creditor_kind in (None, Capability.WALLETS)
        name = NAMES[n % len(NAMES)]
        wallet = WalletAccount(provider="momo", phone=f"+849123450{n:02d}")
        self.sim.add_wallet(wallet.phone, fold_name(name))
        return Payee(wallet, name)

    def wrong_payee(self) -> Payee:
        return Payee(WalletAccount(provider="momo", phone="0999000111"), "Không Ai")

    def credits(self) -> dict[str, int]:
        return self.sim.credits()

    def arm_timeout(self, key: str) -> None:
        self.sim.dice.force("timeout_after_credit", key)

    def tamper_responses(self) -> None:
        self.sim.set_faults(Faults(bad_signatures=1.0))

    def callbacks(self, key: str, count: int) -> list[tuple[dict[str, str], bytes]]:
        def about_key() -> list[tuple[dict[str, str], bytes]]:
            return [(d.headers, d.body) for d in self.sim.deliveries if json.loads(d.body)["order_id"] == key]

        for _ in range(100):
            if len(about_key()) >= count:
                break
            self.sim.wait_for_deliveries(len(self.sim.deliveries) + 1, timeout=0.05)
        return about_key()

    def settle_all(self) -> None:
        pass

    def statement_day(self):
        return datetime.now(UTC).date()


@contextmanager
def open_harness(tmp_path: Path) -> Iterator[EwalletHarness]:
    with EwalletSimulator(seed=7, faults=Faults(hang_seconds=1.5)) as sim:
        yield EwalletHarness(sim)
