"""A bank simulator driven by hand (`bank.process()`), and an adapter built through the registry."""

from payments.adapters.creditors import BankAccount
from payments.adapters.iso20022.simulator import H2HBankSimulator
from payments.adapters.messages import PayoutInstruction
from payments.adapters.registry import AdapterRegistry
from payments.adapters.simkit import Faults

HOLDER = "Nguyễn Thị Đào"


def open_bank(tmp_path, *, faults: Faults | None = None, **options) -> H2HBankSimulator:
    return H2HBankSimulator(tmp_path / "h2h", seed=3, faults=faults, **options)


def adapter_for(bank: H2HBankSimulator, **settings):
    return AdapterRegistry().build("vcb-h2h", bank.adapter_settings(**settings))


def account(bank: H2HBankSimulator, n: int, *, closed: bool = False) -> BankAccount:
    opened = BankAccount(bin="970415", account_number=f"10220033{n:04d}", holder_name=HOLDER)
    bank.add_account(opened.bin, opened.account_number, "NGUYEN THI DAO", closed=closed)
    return opened


def unknown_account() -> BankAccount:
    return BankAccount(bin="970415", account_number="0999000111", holder_name="Không Ai")


def payout(key: str, creditor, amount_vnd: int = 500_000, batch: str = "B-2024-08-LD") -> PayoutInstruction:
    return PayoutInstruction(
        payout_key=key,
        amount_vnd=amount_vnd,
        creditor=creditor,
        beneficiary_name=HOLDER,
        remittance_info=f"BTXH 2024-08 {key}",
        batch_reference=batch,
    )


def files(folder, prefix: str) -> list[str]:
    return sorted(p.name for p in folder.glob(f"{prefix}*.xml"))
