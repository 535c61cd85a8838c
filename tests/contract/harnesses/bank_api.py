"""The bank API adapter against the loopback bank simulator."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from payments.adapters.bank_api.simulator import BankSimulator
from payments.adapters.creditors import BankAccount
from payments.adapters.registry import AdapterRegistry
from payments.adapters.simkit import Faults
from payments.adapters.vocabulary import Capability
from payments.text import fold_name
from tests.contract.harnesses import Payee, Scenario

KIND = "bank_api"
CAPABILITIES = frozenset({"send", "status", "statement", "name_lookup", "signed_responses", "bank_accounts"})
SCENARIOS = frozenset({Scenario.TIMEOUT, Scenario.WRONG_ACCOUNT, Scenario.TAMPER_RESPONSES})
NAMES = ("Nguyễn Thị Đào", "Trần Văn Bình", "Lê Thị Hồng", "Phạm Đức Anh")
FAST = {"read_timeout": 0.4, "connect_timeout": 0.5, "read_retries": 1}


class BankHarness:
    def __init__(self, sim: BankSimulator) -> None:
        self.sim = sim
        self.adapter = AdapterRegistry().build("bank-under-test", sim.adapter_settings(**FAST))

    def payee(self, n: int, creditor_kind: str | None = None) -> Payee:
        assert creditor_kind in (None, Capability.BANK_ACCOUNTS)
        name = NAMES[n % len(NAMES)]
        account = BankAccount(bin="970436", account_number=f"00710055{n:04d}", holder_name=name)
        self.sim.add_account(account.bin, account.account_number, fold_name(name))
        return Payee(account, name)

    def wrong_payee(self) -> Payee:
        return Payee(BankAccount(bin="970436", account_number="0999000111"), "Không Ai")

    def credits(self) -> dict[str, int]:
        return self.sim.credits()

    def arm_timeout(self, key: str) -> None:
        self.sim.dice.force("timeout_after_credit", key)

    def tamper_responses(self) -> None:
        self.sim.set_faults(Faults(bad_signatures=1.0))

    def callbacks(self, key: str, count: int) -> list[tuple[dict[str, str], bytes]]:
        raise AssertionError("the bank API has no callbacks")

    def settle_all(self) -> None:
        pass

    def statement_day(self):
        return datetime.now(UTC).date()


@contextmanager
def open_harness(tmp_path: Path) -> Iterator[BankHarness]:
    with BankSimulator(seed=7, faults=Faults(hang_seconds=1.5)) as sim:
        yield BankHarness(sim)
