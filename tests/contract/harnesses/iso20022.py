"""The ISO 20022 host-to-host adapter against the watched-folder bank simulator.

The bank polls the outbox every 10 ms; the adapter waits up to 2 s for the bank's pain.002
(`await_status_seconds`), so sends answer with the bank's verdict, and a status withheld by a
timeout fault (reported after 5 s) leaves the payout UNKNOWN, as the protocol requires.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from payments.adapters.creditors import BankAccount
from payments.adapters.iso20022.simulator import H2HBankSimulator
from payments.adapters.registry import AdapterRegistry
from payments.adapters.simkit import Faults
from payments.adapters.vocabulary import Capability
from payments.text import fold_name
from tests.contract.harnesses import Payee, Scenario

KIND = "iso20022"
CAPABILITIES = frozenset({"send", "status", "statement", "bank_accounts"})
SCENARIOS = frozenset({Scenario.TIMEOUT, Scenario.WRONG_ACCOUNT})
NAMES = ("Nguyễn Thị Đào", "Trần Văn Bình", "Lê Thị Hồng", "Phạm Đức Anh")


class H2HHarness:
    def __init__(self, bank: H2HBankSimulator) -> None:
        self.bank = bank
        settings = bank.adapter_settings(await_status_seconds=2.0)
        self.adapter = AdapterRegistry().build("h2h-under-test", settings)

    def payee(self, n: int, creditor_kind: str | None = None) -> Payee:
        assert creditor_kind in (None, Capability.BANK_ACCOUNTS)
        name = NAMES[n % len(NAMES)]
        account = BankAccount(bin="970415", account_number=f"10220033{n:04d}", holder_name=name)
        self.bank.add_account(account.bin, account.account_number, fold_name(name))
        return Payee(account, name)

    def wrong_payee(self) -> Payee:
        return Payee(BankAccount(bin="970415", account_number="0999000111"), "Không Ai")

    def credits(self) -> dict[str, int]:
        return self.bank.credits()

    def arm_timeout(self, key: str) -> None:
        self.bank.dice.force("timeout_after_credit", key)

    def tamper_responses(self) -> None:
        raise AssertionError("bank files carry no signatures in this exchange")

    def callbacks(self, key: str, count: int) -> list[tuple[dict[str, str], bytes]]:
        raise AssertionError("a file exchange has no callbacks")

    def settle_all(self) -> None:
        """The bank reads what is waiting, then closes the day with a camt.053."""
        self.bank.process()
        self.bank.close_day()

    def statement_day(self) -> date:
        return self.bank.clock().date()


@contextmanager
def open_harness(tmp_path: Path) -> Iterator[H2HHarness]:
    with H2HBankSimulator(
        tmp_path / "h2h", seed=7, faults=Faults(hang_seconds=5.0), poll_seconds=0.01
    ) as bank:
        yield H2HHarness(bank)
